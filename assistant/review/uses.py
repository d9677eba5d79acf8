"""The AI uses in a brand's provenance records: one per text a model wrote (`review.record`), with
where the model ran, what it was used for and what became of its text. The client notice
(`analytics.notice`, law 132/2025 art. 13) and the traceability export (`plan.trace`, art. 14)
read them.

- Period: a use belongs to the period in which its item entered the queue, so that each use is in
  exactly one period; `at` is when the model wrote the text. Days are the brand's (its zone).
- Where (`where`): `local` for the `local` provider (a GGUF run by llama.cpp inside Copydesk, on
  loopback) and the `fake` test provider (it sends nothing); for `compatible`, `local` when the
  server's base URL is on loopback (127.0.0.0/8, ::1, `localhost`), else `remote`; `openai` and any
  other provider: `remote`. Revisions do not record the base URL, so a compatible server is judged
  by the base URL configured now (the Models panel's, else ASSISTANT_BASE_URL).
- Used for (`purposes`): `drafting` (a draft from a brief) or `refining` (a rewrite of a draft on
  a person's instruction), plus `repair` when the model also corrected its own text after the
  checks; `retrieval` when the prompt held sources found by the embedding model.
- Outcome: the item's state (`approved` covers approved, scheduled and published; `pending` is
  draft, in review, changes requested or waiting for the client), the AI text kept (at approval,
  else so far) and whether a person changed it, who approved it (the internal approver, who holds
  editorial responsibility), the client who approved after them, who rejected it.
"""

from __future__ import annotations

import ipaddress
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from assistant.accounts.schemas import Actor
from assistant.review.record import Person, ProvenanceRecord, RecordSet, brand_records, period_bounds
from assistant.review.states import APPROVED_STATES

LOCAL_PROVIDERS = frozenset({"local", "fake"})
Where = Literal["local", "remote"]


def where(provider: str | None, base_url: str | None = None) -> Where:
    """Where a provider's model ran (the module's docstring)."""
    if provider in LOCAL_PROVIDERS:
        return "local"
    if provider == "compatible" and base_url:
        try:
            host = urlsplit(base_url.strip()).hostname or ""
        except ValueError:
            return "remote"
        if host == "localhost":
            return "local"
        try:
            return "local" if ipaddress.ip_address(host).is_loopback else "remote"
        except ValueError:
            return "remote"
    return "remote"


def current_base_url(services: Any) -> str | None:
    """The compatible server's base URL configured now: the Models panel's choice, else
    ASSISTANT_BASE_URL (`services.model_settings`); None when neither can be read."""
    try:
        return services.model_settings.base_url
    except Exception:  # noqa: BLE001 - a saved choice that cannot be read: the environment's
        return getattr(getattr(services, "settings", None), "base_url", None)


class AIUse(BaseModel):
    """One text a model wrote for an item, and what became of it."""

    model_config = ConfigDict(frozen=True)

    brand: str
    item_id: int
    platform: str
    revision: int
    at: datetime
    provider: str | None
    model: str | None
    prompt_version: str | None
    where: Where
    purposes: list[str]
    sources: int
    test_model: bool
    demo_model: bool
    asked_by: str | None
    asked_by_username: str | None
    entered_queue_at: datetime
    state: str
    archived: bool
    outcome: Literal["approved", "rejected", "pending"]
    kept_share: float | None
    kept_basis: Literal["approval", "current"]
    edited: bool
    ai_generated: bool
    approved_by: str | None
    approved_by_username: str | None
    approved_at: datetime | None
    client_approved_by: str | None
    rejected_by: str | None
    rejected_at: datetime | None


def _name(person: Person | None) -> tuple[str | None, str | None]:
    return (person.name, person.username) if person is not None else (None, None)


def record_uses(record: ProvenanceRecord, base_url: str | None = None) -> list[AIUse]:
    """The uses of one item's record (its model-written revisions)."""
    last = record.approvals[-1] if record.approvals else None
    approved = record.state in APPROVED_STATES
    rejection = next((a for a in reversed(record.actions) if a.action == "reject"), None)
    outcome = "approved" if approved else "rejected" if record.state == "rejected" else "pending"
    approver, approver_username = _name(last.approver if last is not None and approved else None)
    kept = record.ai_text_kept
    out = []
    for r in record.revisions:
        if r.author != "model" or r.model is None:
            continue
        m = r.model
        purposes = ["refining" if m.refinement_of else "drafting", *(["repair"] if m.repaired else []),
                    *(["retrieval"] if r.sources else [])]
        asked, asked_username = _name(m.asked_by)
        out.append(AIUse(
            brand=record.item.brand, item_id=record.item.id, platform=record.item.platform, revision=r.number,
            at=r.created_at, provider=m.provider, model=m.model, prompt_version=m.prompt_version,
            where=where(m.provider, base_url), purposes=purposes, sources=len(r.sources), test_model=m.test_model,
            demo_model=m.demo_model, asked_by=asked, asked_by_username=asked_username,
            entered_queue_at=record.item.created_at, state=record.state, archived=record.archived, outcome=outcome,
            kept_share=kept.kept_share, kept_basis=kept.basis, edited=kept.edit_distance > 0,
            ai_generated=record.ai_generated, approved_by=approver, approved_by_username=approver_username,
            approved_at=last.at if last is not None and approved else None,
            client_approved_by=last.client.name if last is not None and approved and last.client else None,
            rejected_by=rejection.person.name if rejection is not None and outcome == "rejected" else None,
            rejected_at=rejection.at if rejection is not None and outcome == "rejected" else None))
    return out


def period_uses(reader: Any, brand: str, start: date, end: date, *, actor: Actor | str,
                base_url: str | None = None) -> tuple[RecordSet, list[AIUse]]:
    """The brand's records for the period (`review.record.brand_records`: items created or approved
    in it; `actor` must be allowed to view the brand) and the AI uses of the items that entered the
    queue in it (days in the brand's zone, both included), oldest first."""
    records = brand_records(reader, brand, start, end, actor=actor)
    lo, hi = period_bounds(start, end, records.timezone)
    uses = [u for r in records.items if lo <= r.item.created_at < hi for u in record_uses(r, base_url)]
    return records, sorted(uses, key=lambda u: (u.at, u.item_id, u.revision))
