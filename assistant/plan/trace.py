"""The traceability export for public administrations (Italian law 132/2025 art. 14): every use of
AI for a brand in a period, as CSV or JSON. One row per text a model wrote: who asked for it (the
user), when, which provider and model (and where it ran), for which brand and item, what for, and
what became of the output: kept (the share of its words still in the text, at approval or so far;
edited or not), approved by whom (the internal approver, editorially responsible; the client after
them), rejected by whom, or still pending.

Built from the provenance records (`review.uses.period_uses`, which says what each field means): a
use belongs to the period in which its item entered the queue (days in the brand's zone, both
included), so every use is in exactly one period; only someone who may view the brand gets it.
Times are UTC (ISO 8601), with the brand-local time beside them. Every CSV cell goes through
`plan.cells` (no cell can run as a spreadsheet formula; every cell quoted).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from assistant.accounts.schemas import Actor
from assistant.plan.calendar import to_local
from assistant.plan.cells import neutralised
from assistant.review.uses import AIUse, period_uses, where

SCHEMA = "copydesk.trace/1"
FORMATS = ("csv", "json")
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json"}
COLUMNS = ("brand", "item_id", "platform", "revision", "at", "local_time", "asked_by", "asked_by_username",
           "provider", "model", "where", "purposes", "prompt_version", "sources", "test_model", "entered_queue_at",
           "state", "archived", "outcome", "kept_share", "edited", "ai_generated", "approved_by",
           "approved_by_username", "approved_at", "client_approved_by", "rejected_by", "rejected_at")


@dataclass
class Trace:
    brand: str
    brand_name: str
    timezone: str
    start: date
    end: date
    generated_at: datetime
    generated_by: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "brand": self.brand, "brand_name": self.brand_name, "timezone": self.timezone,
                "from": self.start.isoformat(), "to": self.end.isoformat(),
                "generated_at": self.generated_at.isoformat(), "generated_by": self.generated_by, "rows": self.rows}


def _row(use: AIUse, tz: str) -> dict[str, Any]:
    data = use.model_dump(mode="json")
    data["local_time"] = to_local(use.at, tz).isoformat()
    data["purposes"] = " ".join(use.purposes)
    return {c: data.get(c) for c in COLUMNS}


def trace(reader: Any, brand: str, start: date, end: date, *, actor: Actor | str,
          base_url: str | None = None) -> Trace:
    """Every AI use of `brand` whose item entered the queue from `start` to `end` (the brand's days,
    both included), for `actor` (who must be allowed to view the brand), oldest first."""
    records, uses = period_uses(reader, brand, start, end, actor=actor, base_url=base_url)
    who = reader.actor(actor)
    return Trace(brand=brand, brand_name=records.brand_name, timezone=records.timezone, start=start, end=end,
                 generated_at=records.generated_at, generated_by=who.name,
                 rows=[_row(u, records.timezone) for u in uses])


def add_unqueued(export: Trace, uses: list[dict[str, Any]], base_url: str | None = None) -> Trace:
    """The drafts a model wrote that never entered the queue (the desk's `Desk.unqueued`), as rows
    of their own: outcome `not_queued` (or `discarded`), no item; the rows stay oldest first."""
    for use in uses:
        row = {c: None for c in COLUMNS} | {
            "brand": export.brand, "platform": use["platform"], "at": use["at"].isoformat(),
            "local_time": to_local(use["at"], export.timezone).isoformat(), "asked_by": use["asked_by"],
            "asked_by_username": use["asked_by_username"], "provider": use["provider"], "model": use["model"],
            "where": where(use["provider"], base_url) if use["provider"] else None,
            "purposes": "refining" if use["kind"] == "refine" else "drafting",
            "prompt_version": use["prompt_version"], "sources": use["sources"], "test_model": use["test_model"],
            "state": "interrupted" if use["state"] == "interrupted" else "desk", "archived": False,
            "outcome": "discarded" if use["discarded"] else "not_queued"}
        export.rows.append(row)
    export.rows.sort(key=lambda r: str(r.get("at") or ""))
    return export


def to_csv(export: Trace) -> bytes:
    """The rows as CSV (UTF-8 with BOM, for spreadsheets; header and cells neutralised, all quoted)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(neutralised(COLUMNS))
    writer.writerows(neutralised(row.get(c) for c in COLUMNS) for row in export.rows)
    return out.getvalue().encode("utf-8-sig")


def to_json(export: Trace) -> bytes:
    return json.dumps(export.as_dict(), ensure_ascii=False, indent=2).encode("utf-8")


def render(export: Trace, fmt: str) -> bytes:
    if fmt == "csv":
        return to_csv(export)
    if fmt == "json":
        return to_json(export)
    raise ValueError(f"unknown trace format {fmt!r}: use {', '.join(FORMATS)}")
