"""The provenance record of a review item: its responsible-AI record (DESIGN.md "The record").

Built from the system of record only (review_items; review_revisions with their provider, model,
prompt version, meta and sources; review_audit; review_comments; users), through the queue's own
read API (`ReviewReader.get`) and SQL:

- `revisions`: who wrote each text: the model (provider, model, prompt version; a refinement names
  the draft it rewrote and the instruction; who asked for it) or a person (the name as recorded,
  the user id and username), and the sources the model read (id, kind, score, snippet).
- `actions`: every audited action with the person's identity (a user's id and name, or the client
  link's id, name and e-mail) and its time; `comments` likewise.
- `approvals`: each final approval: the internal approver (never a client), the client who
  approved after them (brands with a client stage), the approved version, and the share of the
  AI's text kept and the edit distance at that approval (`review.metrics`).
- `editorially_responsible`: the internal approver of the latest approval, while the item is
  approved (approved, scheduled, published); None while it is not (never approved, in review,
  reopened, waiting for the client): nobody holds editorial responsibility for it yet.
- `ai_generated`: `review.disclosure.ai_generated(kept share, threshold)` with the brand's
  `ai_generated_threshold` (0.5 by default), on the share at approval, else the share so far.

Append-only: revisions, audit events and comments are never updated or deleted (no code path
does, and migration 0007 makes the database refuse it), so every entry of `revisions`,
`actions`, `comments` and `approvals` stays as it was: later edits, reopenings and approvals only
add entries. What changes by definition: `state`, `archived`, `version`, `current_revision`,
`ai_text_kept`, `ai_generated`, `editorially_responsible` and `generated_at` / `generated_by`.

Only someone who may `view` the brand (a staff role) reads a record: checked here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import and_, or_, select

from assistant.accounts.permissions import require
from assistant.accounts.schemas import Actor
from assistant.db.models import AuditEvent, Item, User
from assistant.errors import AssistantError, InvalidRequest
from assistant.review import metrics as rm
from assistant.review.disclosure import ai_generated, threshold_of
from assistant.review.schemas import AuditEventPublic, ItemView, RevisionPublic
from assistant.review.states import APPROVED_STATES
from assistant.review.wiring import WiredReader
from assistant.text.snippets import snippet

SCHEMA = "copydesk.provenance/1"
APPROVAL_ACTIONS = ("approve", "client_approve")
CLIENT_ACTIONS = ("client_approve", "client_request_changes")


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True)


class Person(_Entry):
    """Who acted: a user (the name as recorded then, the user id, the username), a client through a
    share link (its id, the name and e-mail it was made for), or a name with no account (typed
    before accounts existed: "(legacy) Name")."""

    kind: Literal["user", "client_link", "unidentified"]
    name: str
    user_id: int | None = None
    username: str | None = None
    share_id: int | None = None
    email: str | None = None


class ModelAuthor(_Entry):
    provider: str | None
    model: str | None
    prompt_version: str | None
    asked_by: Person | None = None  # who asked the model (an author of its draft, for four-eyes)
    refinement_of: str | None = None  # the draft this one rewrote (a follow-up instruction)
    instruction: str | None = None
    repaired: bool = False  # the model fixed its own first attempt after the checks
    test_model: bool = False
    demo_model: bool = False


class SourceEntry(_Entry):
    id: str
    kind: str
    score: float | None = None
    snippet: str


class RevisionEntry(_Entry):
    number: int
    created_at: datetime
    author: Literal["model", "person"]
    model: ModelAuthor | None = None
    person: Person | None = None
    sources: list[SourceEntry] = []
    text: str


class Kept(_Entry):
    """The share of the AI's text kept (`review.metrics`): v0 against `revision`."""

    basis: Literal["approval", "current"]
    revision: int
    words_v0: int
    words_final: int
    kept_words: int
    kept_share: float | None
    edit_distance: int


class ActionEntry(_Entry):
    id: int
    at: datetime
    action: str
    from_state: str | None
    to_state: str | None
    note: str | None
    person: Person
    by_client: bool
    data: dict[str, Any] | None = None


class CommentEntry(_Entry):
    id: int
    at: datetime
    person: Person
    text: str


class ApprovalEntry(_Entry):
    """One final approval: the internal approver is editorially responsible for it."""

    action_id: int
    at: datetime
    revision: int
    approver: Person | None  # the internal approver (None only in data from before approvals were staged)
    approved_internally_at: datetime | None
    client: Person | None = None  # the client who approved after the internal approver
    override: bool = False  # approved over blocking rules, with a written reason
    kept: Kept


class Responsible(_Entry):
    """The person holding editorial responsibility: the final internal approver."""

    person: Person
    approved_at: datetime  # their (internal) approval
    final_approval_at: datetime  # the item's approval (the client's, with a client stage)
    revision: int


class ItemFacts(_Entry):
    id: int
    draft_id: str | None
    brand: str
    brand_name: str
    platform: str
    language: str
    goal: str
    brief: str
    created_at: datetime
    created_by: Person


class ProvenanceRecord(_Entry):
    schema_id: str = SCHEMA
    item: ItemFacts
    state: str
    archived: bool
    version: int
    current_revision: int
    timezone: str  # the brand's: how printed records show times (JSON times are UTC)
    revisions: list[RevisionEntry]
    actions: list[ActionEntry]
    comments: list[CommentEntry]
    approvals: list[ApprovalEntry]
    editorially_responsible: Responsible | None
    ai_text_kept: Kept
    ai_generated: bool
    ai_generated_threshold: float
    generated_at: datetime
    generated_by: Person

    @property
    def sources(self) -> list[SourceEntry]:
        return [s for r in self.revisions for s in r.sources]


class RecordSet(_Entry):
    """The records of a brand's items created or approved in a period (days in the brand's zone,
    both included)."""

    schema_id: str = SCHEMA + "+set"
    brand: str
    brand_name: str
    timezone: str
    start: date
    end: date
    generated_at: datetime
    generated_by: Person
    items: list[ProvenanceRecord]


# --- reading ------------------------------------------------------------------------------------

def item_record(reader: WiredReader, item_id: int, *, actor: Actor | str) -> ProvenanceRecord:
    """The record of one item, for `actor` (who must be allowed to view its brand)."""
    who = reader.actor(actor)
    view = reader.get(item_id)
    require(who, "view", view.brand)
    return _record(reader, view, _usernames(reader), who)


def brand_records(reader: WiredReader, brand: str, start: date, end: date, *, actor: Actor | str) -> RecordSet:
    """The records of `brand`'s items (archived ones too) created, or approved (internally or by
    the client), between `start` and `end`: days in the brand's zone, both included."""
    who = reader.actor(actor)
    require(who, "view", brand)
    name, zone, _ = brand_facts(reader, brand)
    lo, hi = period_bounds(start, end, zone)
    approved = select(AuditEvent.item_id).where(AuditEvent.action.in_(APPROVAL_ACTIONS), AuditEvent.at >= lo,
                                                AuditEvent.at < hi)
    stmt = (select(Item.id).where(Item.brand == brand, or_(and_(Item.created_at >= lo, Item.created_at < hi),
                                                           Item.id.in_(approved)))
            .order_by(Item.id))
    ids = reader.read(lambda s: list(s.scalars(stmt)))
    usernames = _usernames(reader)
    records = [_record(reader, reader.get(i), usernames, who) for i in ids]
    return RecordSet(brand=brand, brand_name=name, timezone=zone, start=start, end=end,
                     generated_at=reader.clock(), generated_by=_actor_person(who), items=records)


def period_bounds(start: date, end: date, zone: str) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in `zone`, as aware datetimes."""
    if end < start:
        raise InvalidRequest(f"the period ends ({end}) before it starts ({start}): give --from on or before --to",
                             code="record_period")
    tz = ZoneInfo(zone)
    return (datetime.combine(start, time(0), tzinfo=tz), datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz))


def brand_facts(reader: WiredReader, brand: str) -> tuple[str, str, float]:
    """The brand's name, time zone and `ai_generated_threshold` (defaults when its profile is gone)."""
    try:
        policy = reader.policy(brand)
    except AssistantError:
        policy = None
    name = getattr(policy, "name", None)
    zone = getattr(policy, "timezone", None)
    return (name if isinstance(name, str) and name else brand, zone if isinstance(zone, str) and zone else "UTC",
            threshold_of(policy))


def _usernames(reader: WiredReader) -> dict[int, str]:
    return reader.read(lambda s: {i: u for i, u in s.execute(select(User.id, User.username))})


# --- building -----------------------------------------------------------------------------------

def _record(reader: WiredReader, view: ItemView, usernames: dict[int, str], who: Actor) -> ProvenanceRecord:
    name, zone, threshold = brand_facts(reader, view.brand)
    created_by = _person(view.created_by, view.created_by_id, usernames)
    revisions = [_revision(r, created_by, usernames) for r in view.revisions]
    actions = [_action(a, usernames) for a in view.audit]
    approvals = _approvals(actions, view.revisions)
    responsible = None
    if view.state in APPROVED_STATES and approvals and approvals[-1].approver is not None:
        last = approvals[-1]
        responsible = Responsible(person=last.approver, approved_at=last.approved_internally_at or last.at,
                                  final_approval_at=last.at, revision=last.revision)
    kept = (approvals[-1].kept if responsible is not None else
            Kept(basis="current", revision=view.current_revision, **view.metrics.model_dump()))
    facts = ItemFacts(id=view.id, draft_id=view.draft_id, brand=view.brand, brand_name=name, platform=view.platform,
                      language=view.language, goal=view.goal, brief=view.brief, created_at=view.created_at,
                      created_by=created_by)
    return ProvenanceRecord(
        item=facts, state=view.state, archived=view.archived, version=view.version,
        current_revision=view.current_revision, timezone=zone, revisions=revisions, actions=actions,
        comments=[CommentEntry(id=c.id, at=c.created_at, person=_person(c.author, c.author_id, usernames), text=c.text)
                  for c in view.comments],
        approvals=approvals, editorially_responsible=responsible, ai_text_kept=kept,
        ai_generated=ai_generated(kept.kept_share, threshold), ai_generated_threshold=threshold,
        generated_at=reader.clock(), generated_by=_actor_person(who))


def _person(name: str, user_id: int | None, usernames: dict[int, str], data: dict[str, Any] | None = None) -> Person:
    share = (data or {}).get("share_id")
    if share is not None:
        client = (data or {}).get("client") or {}
        return Person(kind="client_link", name=str(client.get("name") or name), share_id=int(share),
                      email=client.get("email"))
    if user_id is not None:
        return Person(kind="user", name=name, user_id=user_id, username=usernames.get(user_id))
    return Person(kind="unidentified", name=name)


def _actor_person(who: Actor) -> Person:
    if who.kind == "link":
        return Person(kind="client_link", name=who.name, share_id=who.share_id, email=who.email)
    if who.user_id is not None:
        return Person(kind="user", name=who.name, user_id=who.user_id, username=who.username)
    return Person(kind="unidentified", name=who.label)


def _revision(r: RevisionPublic, asked_by: Person, usernames: dict[int, str]) -> RevisionEntry:
    if r.number == 0 or r.author.startswith("ai:"):
        meta = r.meta or {}
        model = ModelAuthor(provider=r.provider, model=r.model, prompt_version=r.prompt_version, asked_by=asked_by,
                            refinement_of=meta.get("parent_id"), instruction=meta.get("instruction"),
                            repaired=bool(meta.get("repaired")), test_model=bool(meta.get("test_model")),
                            demo_model=bool(meta.get("demo_model")))
        sources = [SourceEntry(id=str(s.get("id", "")), kind=str(s.get("kind") or ""),
                               score=s.get("score") if isinstance(s.get("score"), (int, float)) else None,
                               snippet=str(s.get("snippet") or snippet(str(s.get("text") or ""), 160)))
                   for s in r.sources or [] if isinstance(s, dict)]
        return RevisionEntry(number=r.number, created_at=r.created_at, author="model", model=model, sources=sources,
                             text=r.text)
    return RevisionEntry(number=r.number, created_at=r.created_at, author="person",
                         person=_person(r.author, r.author_id, usernames), text=r.text)


def _action(a: AuditEventPublic, usernames: dict[int, str]) -> ActionEntry:
    person = _person(a.actor, a.actor_id, usernames, a.data)
    return ActionEntry(id=a.id, at=a.at, action=a.action, from_state=a.from_state, to_state=a.to_state, note=a.note,
                       person=person, by_client=a.action in CLIENT_ACTIONS or person.kind == "client_link",
                       data=a.data)


def _approvals(actions: list[ActionEntry], revisions: list[RevisionPublic]) -> list[ApprovalEntry]:
    """Each final approval with the internal approval it completes (the latest one before it)."""
    out: list[ApprovalEntry] = []
    internal: ActionEntry | None = None
    for a in actions:
        if a.action == "approve":
            internal = a
        if a.action in APPROVAL_ACTIONS and a.to_state == "approved":
            kept = _kept(a, revisions)
            out.append(ApprovalEntry(
                action_id=a.id, at=a.at, revision=kept.revision,
                approver=internal.person if internal is not None else None,
                approved_internally_at=internal.at if internal is not None else None,
                client=a.person if a.action == "client_approve" else None,
                override=bool(internal is not None and (internal.data or {}).get("override")), kept=kept))
    return out


def _kept(approval: ActionEntry, revisions: list[RevisionPublic]) -> Kept:
    """The metrics an approval recorded; computed from its revision's text for older events."""
    data = approval.data or {}
    number = data.get("revision")
    if not isinstance(number, int):  # no revision named: the latest text written before the approval
        number = max((r.number for r in revisions if r.created_at <= approval.at), default=0)
    fields = ("words_v0", "words_final", "kept_words", "kept_share", "edit_distance")
    if all(k in data for k in fields):
        return Kept(basis="approval", revision=number, **{k: data[k] for k in fields})
    texts = {r.number: r.text for r in revisions}
    m = rm.edit_metrics(texts.get(0, ""), texts.get(number, texts.get(0, "")))
    return Kept(basis="approval", revision=number, **m.model_dump())
