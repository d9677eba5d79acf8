"""The human review queue: drafts in, people edit, comment, approve or reject; all of it kept.

- Every text is a revision (v0 is exactly what the model wrote); nothing is updated in place
  without an audit event, nothing is deleted (archive instead).
- States move only along `TRANSITIONS` (`review.states`: the one place they are defined).
- Optimistic locking: an item's `version` grows by one on every change of its row, by a
  compare-and-swap UPDATE in the same transaction that writes the revision and the audit event
  (`review.store`). A change based on a stale version writes nothing and raises `EditConflict`,
  which carries both texts: no silent overwrite, no lost update, across threads and processes.
- Every change takes `by`: the acting `accounts.Actor` (or an active user's username), whose
  role on the brand is checked here (`accounts.permissions`) and whose id is recorded.
- The queue owns its sessions: one short transaction per public method; only pydantic schemas
  (`review.schemas`) leave it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.accounts.permissions import can, require
from assistant.accounts.schemas import Actor
from assistant.db.models import Comment, Item, Revision
from assistant.errors import IllegalTransition, InvalidRequest
from assistant.review.delivery import Delivery
from assistant.review.disclosure import approval_errors
from assistant.review import metrics as rm
from assistant.review import timing
from assistant.review.wiring import WiredReader
from assistant.review.schemas import ApprovalBlocked, CommentPublic, FourEyesRequired, ItemPublic
from assistant.review.states import NOTE_REQUIRED, TRANSITIONS, allowed_actions

if TYPE_CHECKING:
    from assistant.drafting.schemas import Draft

log = logging.getLogger(__name__)


# What `decide` takes, in the order a page offers them.
DECISIONS = ("submit", "approve", "request_changes", "reject", "reopen", "client_approve", "client_request_changes")
# The Draft's fields that have columns of their own (the rest of it goes into the revision's `meta`).
DRAFT_COLUMNS = frozenset({"text", "sources", "provider", "model", "prompt_version", "prompt_tokens",
                           "completion_tokens", "cost_usd", "violations", "brand", "platform", "brief", "goal",
                           "language"})


def _required(value: str | None, what: str, code: str = "text_required") -> str:
    if not value or not value.strip():
        raise InvalidRequest(f"{what}: write it (it is kept in the audit log)", code=code)
    return value.strip()


class ReviewQueue(Delivery, WiredReader):
    """The queue: every change, one short transaction each (reads and wiring: `WiredReader`)."""

    # --- the building blocks of every change ----------------------------------------------------

    def _check(self, s: Session, item: Item, action: str, base_version: int | None, yours: str | None = None) -> str:
        """The state `action` leads to; raises on a stale base version or an illegal move."""
        if base_version is not None and item.version != base_version:
            raise self._conflict(s, item, base_version, yours)
        if item.archived:
            raise IllegalTransition(f"item {item.id} is archived: it can no longer be changed", code="archived",
                                    item=item.id)
        moves = TRANSITIONS.get(action)
        if moves is not None and item.state not in moves:
            raise IllegalTransition(
                f"cannot {action.replace('_', ' ')} item {item.id}: it is {item.state}; from {item.state} "
                f"the allowed actions are: {', '.join(allowed_actions(item.state))}",
                code="illegal_move", action=action, item=item.id, state=item.state)
        return moves[item.state] if moves is not None else item.state

    def _move(self, item_id: int, action: str, *, by: Actor | str, base_version: int | None = None,
              note: str | None = None, data: dict[str, Any] | None = None,
              values: Callable[[Item], dict[str, Any]] | None = None,
              inside: Callable[[Session, Item, ItemPublic], None] | None = None) -> ItemPublic:
        """A state change: permission, check, compare-and-swap, audit (and `inside`, e.g. the
        exemplar); one transaction."""
        actor = self.actor(by)
        if action in NOTE_REQUIRED:
            note = _required(note, f"note (why you {action.replace('_', ' ')})", "note_required")

        def txn(s: Session) -> ItemPublic:
            item = self._item(s, item_id)
            self.permit(actor, action, item.brand, item.id)
            from_state = item.state
            to_state = self._check(s, item, action, base_version)
            self._cas(s, item, base_version, state=to_state, **(values(item) if values else {}))
            self._audit(s, item, actor, action, from_state, to_state, note, data)
            public = self._public(item, self._revision(s, item.id, item.current_revision))
            if inside is not None:
                inside(s, item, public)
            return public

        return self.write(txn)

    # --- adding ---------------------------------------------------------------------------------

    def add_draft(self, draft: Draft, *, by: Actor | str, submit: bool = False, edited_text: str | None = None,
                  keep_incomplete: bool = False) -> ItemPublic:
        """A model draft enters the queue: v0 is `draft.text` exactly; an `edited_text` that differs
        becomes revision 1 by `by`. Adding the same draft (same id) again returns the existing item.

        An incomplete draft (cut off, empty, over the hard limit) never enters as a normal draft:
        it is refused unless `keep_incomplete`, and then it stays a `draft` (not submitted), marked.
        `by` asked for the draft: they count as an author of v0 (four-eyes)."""
        actor = self.actor(by)
        require(actor, "draft", draft.brand)
        if not draft.complete:
            if not keep_incomplete:
                raise InvalidRequest(f"draft {draft.id[:8]} is incomplete ({draft.incomplete_message('en')}); "
                                     "retry it, or keep it explicitly as a draft", code="draft_incomplete")
            submit = False
        edited = edited_text if edited_text is not None and edited_text != draft.text else None
        violations = None
        if edited is not None:
            _required(edited, "edited_text")
            violations = self.validate(edited, platform=draft.platform, brand=draft.brand, language=draft.language)
        dumped = draft.model_dump(mode="json", exclude={"messages"})
        author = f"ai:{draft.provider}/{draft.model}"
        try:
            written_at = datetime.fromisoformat(draft.created_at).astimezone(timezone.utc)
        except (TypeError, ValueError):
            written_at = self.clock()

        def txn(s: Session) -> ItemPublic:
            existing = s.scalars(select(Item).where(Item.draft_id == draft.id)).first()
            if existing is not None:
                return self._public(existing, self._revision(s, existing.id, existing.current_revision))
            now = self.clock()
            item = Item(draft_id=draft.id, brand=draft.brand, platform=draft.platform, brief=draft.brief,
                        goal=draft.goal, language=draft.language, state="in_review" if submit else "draft",
                        version=1, current_revision=0 if edited is None else 1, archived=False,
                        created_by=actor.label, created_by_id=actor.user_id, created_at=now, updated_at=now,
                        submitted_at=now if submit else None)
            s.add(item)
            s.flush()  # the id
            current = Revision(item_id=item.id, number=0, text=draft.text, author=author, created_at=written_at,
                               violations=[v.as_dict() for v in draft.violations], sources=dumped["sources"], provider=draft.provider,
                               model=draft.model, prompt_version=draft.prompt_version,
                               prompt_tokens=draft.prompt_tokens, completion_tokens=draft.completion_tokens,
                               cost_usd=draft.cost_usd, meta={k: v for k, v in dumped.items() if k not in DRAFT_COLUMNS})
            s.add(current)
            self._audit(s, item, actor, "create", None, "draft", data={"draft_id": draft.id, "author": author,
                                                                    **({"incomplete": draft.incomplete}
                                                                       if not draft.complete else {})})
            if edited is not None:
                current = Revision(item_id=item.id, number=1, text=edited, author=actor.label,
                                   author_id=actor.user_id, created_at=now, violations=violations)
                s.add(current)
                self._audit(s, item, actor, "edit", "draft", "draft", data={"revision": 1})
            if submit:
                self._audit(s, item, actor, "submit", "draft", "in_review")
            s.flush()
            return self._public(item, current)

        return self.write(txn)

    # --- changes --------------------------------------------------------------------------------

    def edit(self, item_id: int, text: str, *, by: Actor | str, base_version: int) -> ItemPublic:
        """Save `text` as a new revision, if the item is still at `base_version` (else EditConflict)."""
        actor = self.actor(by)
        _required(text, "text")
        brand, platform, language = self._head(item_id)
        violations = self.validate(text, platform=platform, brand=brand, language=language)  # outside the lock

        def txn(s: Session) -> ItemPublic:
            item = self._item(s, item_id)
            self.permit(actor, "edit", item.brand, item.id)
            state = self._check(s, item, "edit", base_version, yours=text)
            current = self._revision(s, item.id, item.current_revision)
            if text == current.text:
                return self._public(item, current)  # nothing changed: no revision, no version bump
            number = item.current_revision + 1
            self._cas(s, item, base_version, yours=text, current_revision=number)
            new = Revision(item_id=item.id, number=number, text=text, author=actor.label, author_id=actor.user_id,
                           created_at=self.clock(), violations=violations)
            s.add(new)
            self._audit(s, item, actor, "edit", state, state,
                        data={"revision": number, "errors": sum(v.get("severity") == "error" for v in violations)})
            return self._public(item, new)

        return self.write(txn)

    def submit(self, item_id: int, *, by: Actor | str, base_version: int | None = None) -> ItemPublic:
        return self._move(item_id, "submit", by=by, base_version=base_version,
                          values=lambda item: {"submitted_at": item.submitted_at or self.clock()})

    def request_changes(self, item_id: int, *, by: Actor | str, note: str, base_version: int | None = None) -> ItemPublic:
        return self._move(item_id, "request_changes", by=by, note=note, base_version=base_version)

    def reject(self, item_id: int, *, by: Actor | str, note: str, base_version: int | None = None) -> ItemPublic:
        return self._move(item_id, "reject", by=by, note=note, base_version=base_version)

    def reopen(self, item_id: int, *, by: Actor | str, note: str, base_version: int | None = None) -> ItemPublic:
        """Back to review; the item's exemplar is withdrawn until it is approved again."""
        who = self.actor(by)

        def withdraw(s: Session, item: Item, public: ItemPublic) -> None:
            if self.exemplars is not None:
                removed = self.exemplars.withdraw(s, public)
                self._audit(s, item, who, "exemplar_removed", item.state, item.state, data={"removed": removed})

        public = self._move(item_id, "reopen", by=who, note=note, base_version=base_version, inside=withdraw)
        self._index(public)
        return public

    def approve(self, item_id: int, *, by: Actor | str, override_reason: str | None = None,
                base_version: int | None = None, note: str | None = None) -> ItemPublic:
        """Approve the current text (an approver), with an optional `note` (kept as the event's
        note). Error-severity violations need a written `override_reason` (the note then; a note
        given too is kept beside it). With `four_eyes`, whoever put the item in the queue (asked the
        model) or wrote any revision cannot approve it; compared by user id. With a client stage
        the item goes to `client_review`, and the client's approval makes it `approved`."""
        actor = self.actor(by)
        reason = override_reason.strip() if override_reason and override_reason.strip() else None
        remark = note.strip() if note and note.strip() else None
        brand, _, _ = self._head(item_id)
        four_eyes, client = self.four_eyes(brand), self.client_stage(brand)

        def txn(s: Session) -> ItemPublic:
            item = self._item(s, item_id)
            self.permit(actor, "approve", item.brand, item.id)
            self._check(s, item, "approve", base_version)
            current = self._revision(s, item.id, item.current_revision)
            errors = [*approval_errors(self.policy(item.brand), item, current, self._revision(s, item.id, 0), actor),
                      *self.item_errors(s, item.id, item.platform, item.brand)]  # its media
            if errors and reason is None:
                listed = "; ".join(v.message("en") for v in errors)
                raise ApprovalBlocked(f"item {item.id} breaks {len(errors)} rule(s) ({listed}): edit the text, or "
                                      "approve with an override reason", errors, item=item.id, n=len(errors))
            if errors:
                self.permit(actor, "override", item.brand, item.id)
            if four_eyes:
                self._second_pair(s, item, actor)
            data: dict[str, Any] = {"revision": current.number}
            if reason and remark:
                data["note"] = remark
            if errors:
                data |= {"override": True, "violations": [v.as_dict() for v in errors]}
            if client:
                self._cas(s, item, base_version, state="client_review")
                self._audit(s, item, actor, "approve", "in_review", "client_review", reason or remark,
                            data | {"stage": "internal"})
                return self._public(item, current)
            return self._approved(s, item, current, actor, "approve", base_version, reason or remark, data)

        public = self.write(txn)
        self._index(public)
        return public

    def client_approve(self, item_id: int, *, by: Actor | str, note: str | None = None,
                       base_version: int | None = None) -> ItemPublic:
        """The client's approval (a share link or a client account): the item is `approved`."""
        actor = self.actor(by)

        def txn(s: Session) -> ItemPublic:
            item = self._item(s, item_id)
            self.permit(actor, "client_approve", item.brand, item.id)
            self._check(s, item, "client_approve", base_version)
            current = self._revision(s, item.id, item.current_revision)
            return self._approved(s, item, current, actor, "client_approve", base_version, note,
                                  {"revision": current.number, "stage": "client"})

        public = self.write(txn)
        self._index(public)
        return public

    def client_request_changes(self, item_id: int, *, by: Actor | str, note: str,
                               base_version: int | None = None) -> ItemPublic:
        """The client asks for changes: back to the team with the client's comment."""
        return self._move(item_id, "client_request_changes", by=by, note=note, base_version=base_version)

    def decide(self, item_id: int, action: str, *, by: Actor | str, note: str | None = None,
               override_reason: str | None = None, base_version: int | None = None) -> ItemPublic:
        """One decision by its name (what the review page's and the client page's buttons send):
        submit, approve, request_changes, reject, reopen, client_approve, client_request_changes."""
        if action == "submit":
            return self.submit(item_id, by=by, base_version=base_version)
        if action == "approve":
            return self.approve(item_id, by=by, override_reason=override_reason, base_version=base_version,
                                note=note)
        if action == "client_approve":
            return self.client_approve(item_id, by=by, note=note, base_version=base_version)
        if action in ("request_changes", "reject", "reopen", "client_request_changes"):
            return getattr(self, action)(item_id, by=by, note=note or "", base_version=base_version)
        raise InvalidRequest(f"action: {action!r} is not a decision; use one of {', '.join(DECISIONS)}")

    def _second_pair(self, s: Session, item: Item, actor: Actor) -> None:
        authors = {item.created_by_id} | set(s.scalars(select(Revision.author_id).where(
            Revision.item_id == item.id, Revision.author_id.is_not(None))))
        if actor.user_id is not None and actor.user_id in authors:
            queued = actor.user_id == item.created_by_id
            role = "put it in the queue" if queued else "edited its text"
            brand = str(getattr(self.policy(item.brand), "name", None) or item.brand)  # its name, not the slug
            raise FourEyesRequired(f"brand {brand} requires four eyes: {actor.label} {role}, so another "
                                   "approver must approve item " + str(item.id),
                                   code="four_eyes_queued" if queued else "four_eyes_edited",
                                   brand=brand, item=item.id)

    def _approved(self, s: Session, item: Item, current: Revision, actor: Actor, action: str,
                  base_version: int | None, note: str | None, data: dict[str, Any]) -> ItemPublic:
        """The final approval: metrics fixed, audited, and the text becomes an exemplar."""
        now = self.clock()
        m = rm.edit_metrics(self._revision(s, item.id, 0).text, current.text)
        waited = (now - item.submitted_at).total_seconds() if item.submitted_at else None
        from_state = item.state
        self._cas(s, item, base_version, state="approved", approved_at=now, words_v0=m.words_v0,
                  words_final=m.words_final, kept_words=m.kept_words, edit_distance=m.edit_distance,
                  seconds_to_approval=waited)
        self._audit(s, item, actor, action, from_state, "approved", note, data | m.model_dump())
        public = self._public(item, current)
        self._exemplar(s, item, public, current.text, actor)
        return public

    def schedule(self, item_id: int, when: datetime, *, by: Actor | str, base_version: int | None = None) -> ItemPublic:
        """Schedule (or reschedule) at `when` (aware). A time already past (`timing.GRACE` allowed) is
        refused with `timing.ScheduleInPast` and nothing is written: mark the item published instead."""
        when = timing.aware(when)

        def future(item: Item) -> dict[str, Any]:
            zone = str(getattr(self.policy(item.brand), "timezone", None) or "UTC")  # the brand's, for the message
            return {"scheduled_for": timing.not_past(item.id, when, self.clock(), tz=zone)}

        who = self.actor(by)  # the outbox (`review.hooks.Scheduling`) records who scheduled, in the same transaction
        return self._move(item_id, "schedule", by=who, base_version=base_version, values=future,
                          data={"scheduled_for": when.astimezone(timezone.utc).isoformat()},
                          inside=lambda s, item, public: self.scheduled(s, public, who))

    def assign(self, item_id: int, assignee: str | None, *, by: Actor | str, base_version: int | None = None) -> ItemPublic:
        """Give the item to a person (a username: an active user who may edit on the item's brand),
        or to nobody (None or empty)."""
        to = None
        if assignee and assignee.strip():
            person = self.actor(assignee)
            brand, _, _ = self._head(item_id)
            if not can(person, "edit", brand):
                raise InvalidRequest(f"assignee: {person.username} holds no role that edits on brand {brand}; "
                                     "assign someone who does (or grant them editor)", code="assignee_cannot_edit",
                                     person=person.name)
            to = person.username
        return self._move(item_id, "assign", by=by, base_version=base_version, data={"assignee": to},
                          values=lambda item: {"assignee": to})

    def archive(self, item_id: int, *, by: Actor | str, note: str | None = None, base_version: int | None = None) -> ItemPublic:
        return self._move(item_id, "archive", by=by, note=note, base_version=base_version,
                          values=lambda item: {"archived": True})

    def comment(self, item_id: int, text: str, *, by: Actor | str) -> CommentPublic:
        actor = self.actor(by)
        text = _required(text, "comment text", "comment_required")

        def txn(s: Session) -> CommentPublic:
            item = self._item(s, item_id)
            self.permit(actor, "comment", item.brand, item.id)
            self._check(s, item, "comment", None)
            row = Comment(item_id=item.id, author=actor.label, author_id=actor.user_id, text=text,
                          created_at=self.clock())
            s.add(row)
            s.flush()
            self._audit(s, item, actor, "comment", item.state, item.state, data={"comment_id": row.id})
            return CommentPublic.model_validate(row)

        return self.write(txn)

    def _exemplar(self, s: Session, item: Item, public: ItemPublic, text: str, by: Actor) -> None:
        """Inside the approval's transaction: the text becomes an exemplar, with its audit event.
        A failure here fails the approval: both are recorded or neither."""
        if self.exemplars is not None:
            doc_id = self.exemplars.record(s, public, text)
            self._audit(s, item, by, "exemplar_added", item.state, item.state,
                        data={"doc_id": doc_id, "revision": public.current_revision})

    def _index(self, item: ItemPublic) -> None:
        """After the commit: the brand's index catches up. A failure leaves the exemplar recorded
        and pending (the next sync indexes it); it is logged, never raised."""
        if self.exemplars is None:
            return
        try:
            self.exemplars.index(item.brand)
        except Exception as exc:  # noqa: BLE001 - the decision is committed; the index catches up later
            log.warning("item %s: the brand's index did not take the exemplar yet (%s: %s); the next sync will",
                        item.id, type(exc).__name__, exc)
