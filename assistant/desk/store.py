"""The desk's rows in the system of record: sessions, turns (jobs) and streamed drafts.

Every read and change is a user's: a session is seen and changed only by the user it belongs
to, and starting a job needs the "draft" role on the brand (checked here, not only in the UI).
The job runner (`jobs.py`) writes through the `writer_*` methods, which take row ids only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from assistant.accounts.permissions import require
from assistant.accounts.schemas import Actor
from assistant.db.engine import Database, utcnow
from assistant.db.models import DeskDraft, DeskSession, DeskTurn
from assistant.desk.schemas import (MAX_MEDIA, DeskOptions, DeskSessionView, DraftMedia, SessionSummary,
                                    StreamedDraft, Turn)
from assistant.drafting.schemas import Draft
from assistant.errors import AssistantError, InvalidRequest

if TYPE_CHECKING:
    from assistant.media import MediaLibrary

STALE = timedelta(seconds=20)  # no heartbeat for this long: the process running the job is gone
TITLE = 140


class DeskNotFound(AssistantError):
    """No such drafting session for this user (or it was discarded)."""


class DeskBusy(AssistantError):
    """A job is still running in this session: wait for it, or open a new brief."""


class Desk:
    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow, stale: timedelta = STALE,
                 media: MediaLibrary | None = None) -> None:
        self.db = db
        self.clock = clock
        self.stale = stale
        self.media = media  # the brands' libraries: the files a card may take (`set_media`)

    # --- sessions -------------------------------------------------------------------------------

    def open(self, actor: Actor, brand: str, options: DeskOptions | None = None) -> int:
        """A new, empty session on `brand` for `actor`."""
        require(actor, "draft", brand)
        now = self.clock()

        def txn(s: Session) -> int:
            row = DeskSession(user_id=_uid(actor), brand=brand, title="", options=(options or DeskOptions()).model_dump(),
                              created_at=now, updated_at=now)
            s.add(row)
            s.flush()
            return row.id
        return self.db.write(txn)

    def latest(self, actor: Actor, brand: str) -> int | None:
        """The user's most recent session on the brand (None: there is none yet)."""
        if actor.user_id is None:
            return None
        return self.db.read(lambda s: s.scalar(
            select(DeskSession.id).where(DeskSession.user_id == actor.user_id, DeskSession.brand == brand,
                                         DeskSession.discarded_at.is_(None))
            .order_by(DeskSession.updated_at.desc(), DeskSession.id.desc()).limit(1)))

    def recent(self, actor: Actor, brand: str, limit: int = 12) -> list[SessionSummary]:
        """The user's earlier sessions on the brand, newest first, each with its number of drafts."""
        if actor.user_id is None:
            return []

        def txn(s: Session) -> list[SessionSummary]:
            rows = s.scalars(select(DeskSession).where(
                DeskSession.user_id == actor.user_id, DeskSession.brand == brand, DeskSession.discarded_at.is_(None),
                DeskSession.title != "").order_by(DeskSession.updated_at.desc(), DeskSession.id.desc()).limit(limit)).all()
            ids = [r.id for r in rows]
            counts = dict(s.execute(select(DeskTurn.session_id, func.count(DeskDraft.id)).join(
                DeskDraft, DeskDraft.turn_id == DeskTurn.id).where(
                DeskTurn.session_id.in_(ids), DeskDraft.state == "done", DeskDraft.discarded_at.is_(None))
                .group_by(DeskTurn.session_id)).all()) if ids else {}
            running = set(s.scalars(select(DeskTurn.session_id).where(
                DeskTurn.session_id.in_(ids), DeskTurn.state == "running")).all()) if ids else set()
            return [SessionSummary(id=r.id, title=r.title, updated_at=r.updated_at, drafts=counts.get(r.id, 0),
                                   running=r.id in running) for r in rows]
        return self.db.read(txn)

    def get(self, actor: Actor, session_id: int) -> DeskSessionView:
        """The whole session: its turns and drafts as they stand (a dead job is marked interrupted first)."""
        self.reap()

        def txn(s: Session) -> DeskSessionView:
            row = self._own(s, actor, session_id)
            turns = s.scalars(select(DeskTurn).where(DeskTurn.session_id == row.id).order_by(DeskTurn.id)).all()
            drafts = s.scalars(select(DeskDraft).where(DeskDraft.turn_id.in_([t.id for t in turns]))
                               .order_by(DeskDraft.id)).all() if turns else []
            by_turn: dict[int, list[StreamedDraft]] = {}
            for d in drafts:
                by_turn.setdefault(d.turn_id, []).append(_draft(d))
            return DeskSessionView(
                id=row.id, brand=row.brand, user_id=row.user_id, title=row.title,
                options=DeskOptions.model_validate(row.options), refine_target=row.refine_target,
                created_at=row.created_at, updated_at=row.updated_at,
                turns=[Turn(id=t.id, kind=t.kind, text=t.text, request=t.request, state=t.state, error=t.error,
                            owner=t.owner, heartbeat_at=t.heartbeat_at, created_at=t.created_at,
                            finished_at=t.finished_at, drafts=by_turn.get(t.id, [])) for t in turns])
        return self.db.read(txn)

    def save_options(self, actor: Actor, session_id: int, options: DeskOptions) -> None:
        self._change(actor, session_id, lambda row: setattr(row, "options", options.model_dump()))

    def set_target(self, actor: Actor, session_id: int, draft_id: str | None) -> None:
        """The draft the next message refines (None: the next message is a new brief)."""
        self._change(actor, session_id, lambda row: setattr(row, "refine_target", draft_id))

    def discard_session(self, actor: Actor, session_id: int) -> None:
        """Out of the recent list (the rows stay: drafts sent to review keep their origin)."""
        self._change(actor, session_id, lambda row: setattr(row, "discarded_at", self.clock()))

    # --- cards ----------------------------------------------------------------------------------

    def edit(self, actor: Actor, draft_row: int, text: str) -> None:
        """The user's edit of a card, saved as they type; the model's text stays as it was."""
        def change(s: Session, d: DeskDraft) -> None:
            model_text = d.draft["text"] if d.draft else d.text
            d.edited_text = None if text == model_text else text
            d.edited_at = self.clock()
        self._card(actor, draft_row, change)

    def discard(self, actor: Actor, draft_row: int) -> None:
        self._card(actor, draft_row, lambda s, d: setattr(d, "discarded_at", self.clock()))

    def set_media(self, actor: Actor, draft_row: int, items: Sequence[DraftMedia]) -> list[DraftMedia]:
        """The card's media, in order, replacing those it had (empty: none): files of the session's
        brand, each once, at most `MAX_MEDIA`, each with the alt text typed on the card (None: the
        file's own). Only the card's owner; a card sent to review is refused (its item has them)."""
        from assistant.media import MediaError, alt

        chosen = [DraftMedia(media_id=int(m.media_id), alt=alt.clean(m.alt)) for m in items]
        ids = [m.media_id for m in chosen]
        if len(set(ids)) != len(ids):
            raise MediaError("the same media id is given twice: choose each file once", code="media_twice")
        if len(ids) > MAX_MEDIA:
            raise MediaError(f"{len(ids)} media on one draft: choose at most {MAX_MEDIA}",
                             code="desk_media_too_many", n=len(ids), max=MAX_MEDIA)
        if self.media is None:
            raise InvalidRequest("this desk has no media library: build it with Desk(..., media=MediaLibrary(...))")
        brands = {i: self.media.get(i).brand for i in ids}  # an unknown id: `media_unknown`

        def change(s: Session, d: DeskDraft) -> None:
            session = s.get(DeskSession, s.get(DeskTurn, d.turn_id).session_id)
            if d.discarded_at is not None or d.draft is None:
                raise MediaError(f"draft {d.id} is discarded or not finished: choose media on a finished draft",
                                 code="desk_media_closed")
            if d.sent_item_id is not None:
                raise MediaError(f"draft {d.id} is already in review as item {d.sent_item_id}: change its media "
                                 "there (the review page's Media tab, or `assistant queue attach`)",
                                 code="desk_media_sent", item=d.sent_item_id)
            for media_id, brand in brands.items():
                if brand != session.brand:
                    raise MediaError(f"media {media_id} belongs to brand {brand}, this draft to {session.brand}: "
                                     f"upload the file to {session.brand} (`assistant media add {session.brand} FILE`)",
                                     code="desk_media_wrong_brand", id=media_id, media_brand=brand,
                                     brand=session.brand)
            d.media = [m.model_dump() for m in chosen]
        self._card(actor, draft_row, change)
        return chosen

    def card(self, actor: Actor, draft_row: int) -> StreamedDraft:
        """One card as it stands now (only its owner's)."""
        return self.db.read(lambda s: _draft(self._row(s, actor, draft_row)))

    def mark_sent(self, actor: Actor, draft_row: int, item_id: int) -> None:
        self._card(actor, draft_row, lambda s, d: setattr(d, "sent_item_id", item_id))

    # --- jobs -----------------------------------------------------------------------------------

    def start_turn(self, actor: Actor, session_id: int, *, kind: str, text: str, request: dict[str, Any],
                   owner: str) -> int:
        """A new job in the session (refused while another one runs there)."""
        if not text.strip():
            raise InvalidRequest("the brief is empty: write what the post is about")
        now = self.clock()

        def txn(s: Session) -> int:
            row = self._own(s, actor, session_id)
            require(actor, "draft", row.brand)
            if s.scalar(select(DeskTurn.id).where(DeskTurn.session_id == row.id, DeskTurn.state == "running")):
                raise DeskBusy("drafts are still being written in this session: wait for them, or start a new brief")
            if not row.title:
                row.title = " ".join(text.split())[:TITLE]
            row.updated_at = now
            turn = DeskTurn(session_id=row.id, kind=kind, text=text, request=request, state="running", owner=owner,
                            heartbeat_at=now, created_at=now)
            s.add(turn)
            s.flush()
            return turn.id
        self.reap()
        return self.db.write(txn)

    def resume(self, actor: Actor, turn_id: int, owner: str) -> tuple[dict[str, Any], set[tuple[str, int]]]:
        """An interrupted job runs again: its request, and the drafts it already finished (kept).
        What it had half-streamed stays in the record, replaced by the new attempt."""
        now = self.clock()

        def txn(s: Session) -> tuple[dict[str, Any], set[tuple[str, int]]]:
            turn = s.get(DeskTurn, turn_id)
            if turn is None:
                raise DeskNotFound(f"no drafting job {turn_id}")
            row = self._own(s, actor, turn.session_id)
            require(actor, "draft", row.brand)
            if turn.state != "interrupted":
                raise DeskBusy(f"job {turn_id} is {turn.state}: only an interrupted job can be resumed")
            turn.state, turn.owner, turn.heartbeat_at, turn.finished_at, turn.error = "running", owner, now, None, None
            done = set()
            for d in s.scalars(select(DeskDraft).where(DeskDraft.turn_id == turn_id)).all():
                if d.state == "done":
                    done.add((d.platform, d.variant))
                else:
                    d.state, d.updated_at = "replaced", now
            return dict(turn.request), done
        return self.db.write(txn)

    def reap(self) -> int:
        """Mark interrupted every running job whose process stopped beating; returns how many."""
        cutoff = self.clock() - self.stale

        def txn(s: Session) -> int:
            dead = s.scalars(select(DeskTurn.id).where(DeskTurn.state == "running",
                                                       DeskTurn.heartbeat_at < cutoff)).all()
            if dead:
                self._interrupt(s, list(dead))
            return len(dead)
        if not self.db.read(lambda s: s.scalar(select(DeskTurn.id).where(
                DeskTurn.state == "running", DeskTurn.heartbeat_at < cutoff).limit(1))):
            return 0  # the common case: a read, no write
        return self.db.write(txn)

    def _interrupt(self, s: Session, turn_ids: list[int]) -> None:
        now = self.clock()
        s.execute(update(DeskTurn).where(DeskTurn.id.in_(turn_ids), DeskTurn.state == "running")
                  .values(state="interrupted", finished_at=now))
        s.execute(update(DeskDraft).where(DeskDraft.turn_id.in_(turn_ids), DeskDraft.state == "streaming")
                  .values(state="interrupted", updated_at=now))

    def unqueued(self, actor: Actor, brand: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Every draft a model wrote on the desk for `brand` between `start` and `end` (UTC) that
        never entered the review queue: AI uses the queue cannot see (the traceability export).
        Everyone's, so `actor` must be allowed to view the brand."""
        from assistant.db.models import Item, User

        require(actor, "view", brand)

        def txn(s: Session) -> list[dict[str, Any]]:
            queued = select(Item.draft_id).where(Item.draft_id.is_not(None))
            rows = s.execute(
                select(DeskDraft, DeskTurn, User).join(DeskTurn, DeskDraft.turn_id == DeskTurn.id)
                .join(DeskSession, DeskTurn.session_id == DeskSession.id).join(User, DeskSession.user_id == User.id)
                .where(DeskSession.brand == brand, DeskTurn.created_at >= start, DeskTurn.created_at < end,
                       DeskDraft.state.in_(("done", "interrupted")), DeskDraft.sent_item_id.is_(None),
                       DeskDraft.draft_id.is_(None) | DeskDraft.draft_id.not_in(queued))
                .order_by(DeskTurn.created_at, DeskDraft.id)).all()
            return [{"at": turn.created_at, "platform": d.platform, "state": d.state, "kind": turn.kind,
                     "provider": (d.draft or {}).get("provider"), "model": (d.draft or {}).get("model"),
                     "prompt_version": (d.draft or {}).get("prompt_version"),
                     "sources": len((d.draft or {}).get("sources") or []),
                     "test_model": bool((d.draft or {}).get("test_model")), "discarded": d.discarded_at is not None,
                     "asked_by": user.name, "asked_by_username": user.username} for d, turn, user in rows]
        return self.db.read(txn)

    # --- the job runner's writes (row ids only: it already holds a started job) ------------------

    def writer_begin(self, turn_id: int, platform: str, variant: int) -> int:
        def txn(s: Session) -> int:
            row = DeskDraft(turn_id=turn_id, platform=platform, variant=variant, state="streaming", text="",
                            repairing=False, updated_at=self.clock())
            s.add(row)
            s.flush()
            return row.id
        return self.db.write(txn)

    def writer_stream(self, draft_row: int, text: str, repairing: bool) -> None:
        self.db.write(lambda s: s.execute(update(DeskDraft).where(DeskDraft.id == draft_row).values(
            text=text, repairing=repairing, updated_at=self.clock())))

    def writer_finish(self, draft_row: int, draft: Draft) -> None:
        self.db.write(lambda s: s.execute(update(DeskDraft).where(DeskDraft.id == draft_row).values(
            state="done", text=draft.text, repairing=False, draft_id=draft.id, draft=draft.model_dump(mode="json"),
            updated_at=self.clock())))

    def writer_end(self, turn_id: int, state: str, error: dict[str, Any] | None = None,
                   target: str | None = None) -> None:
        """The job ended (done or failed); a refinement's result becomes the next refine target."""
        now = self.clock()

        def txn(s: Session) -> None:
            turn = s.get(DeskTurn, turn_id)
            if turn is None:
                return
            turn.state, turn.error, turn.finished_at, turn.heartbeat_at = state, error, now, now
            s.execute(update(DeskDraft).where(DeskDraft.turn_id == turn_id, DeskDraft.state == "streaming")
                      .values(state="interrupted", updated_at=now))
            session = s.get(DeskSession, turn.session_id)
            if session is not None:
                session.updated_at = now
                if target is not None:
                    session.refine_target = target
        self.db.write(txn)

    def writer_beat(self, owner: str) -> None:
        """The owner process is alive: every job it runs gets a fresh heartbeat."""
        now = self.clock()
        self.db.write(lambda s: s.execute(update(DeskTurn).where(DeskTurn.owner == owner, DeskTurn.state == "running")
                                          .values(heartbeat_at=now)))

    def writer_orphans(self, owner: str, alive: set[int]) -> None:
        """Jobs this process owns but no longer runs (a thread that died): interrupted now."""
        def txn(s: Session) -> None:
            ids = [i for i in s.scalars(select(DeskTurn.id).where(DeskTurn.owner == owner,
                                                                   DeskTurn.state == "running")).all()
                   if i not in alive]
            if ids:
                self._interrupt(s, ids)
        self.db.write(txn)

    # --- helpers --------------------------------------------------------------------------------

    def _own(self, s: Session, actor: Actor, session_id: int) -> DeskSession:
        row = s.get(DeskSession, session_id)
        if row is None or actor.user_id is None or row.user_id != actor.user_id or row.discarded_at is not None:
            raise DeskNotFound(f"no drafting session {session_id} of yours: pick one from the recent briefs")
        return row

    def _change(self, actor: Actor, session_id: int, fn: Callable[[DeskSession], None]) -> None:
        def txn(s: Session) -> None:
            row = self._own(s, actor, session_id)
            fn(row)
            row.updated_at = self.clock()
        self.db.write(txn)

    def _row(self, s: Session, actor: Actor, draft_row: int) -> DeskDraft:
        d = s.get(DeskDraft, draft_row)
        turn = s.get(DeskTurn, d.turn_id) if d is not None else None
        if d is None or turn is None:
            raise DeskNotFound(f"no draft {draft_row} on the desk")
        self._own(s, actor, turn.session_id)
        return d

    def _card(self, actor: Actor, draft_row: int, fn: Callable[[Session, DeskDraft], None]) -> None:
        def txn(s: Session) -> None:
            d = self._row(s, actor, draft_row)
            fn(s, d)
            d.updated_at = self.clock()
        self.db.write(txn)


def _uid(actor: Actor) -> int:
    if actor.user_id is None:
        raise InvalidRequest("drafting sessions belong to a signed-in user: sign in first")
    return actor.user_id


def _draft(d: DeskDraft) -> StreamedDraft:
    return StreamedDraft(id=d.id, turn_id=d.turn_id, platform=d.platform, variant=d.variant, state=d.state,
                         text=d.text, repairing=d.repairing,
                         draft=Draft.model_validate(d.draft) if d.draft else None,
                         edited_text=d.edited_text, edited_at=d.edited_at, sent_item_id=d.sent_item_id,
                         discarded=d.discarded_at is not None,
                         media=[DraftMedia.model_validate(m) for m in d.media or []])
