"""The internal report's own figures: review and human edits, IA usage and cost. Never gathered for
the client version (`build_report(..., audience="client")`)."""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from assistant.analytics import insights
from assistant.analytics.report.numbers import fmt_duration, fmt_int, fmt_num, fmt_pct
from assistant.review.queries import Fact


def _month_facts(queue: Any, brand: str, start: datetime, end: datetime) -> list[Fact]:
    return [f for f in insights.facts(queue, brand=brand) if start <= f.created_at < end]


def review_rows(queue: Any, brand: str, start: datetime, end: datetime, lang: str) -> list[dict[str, Any]]:
    """(label key, this month, to date) rows, formatted in `lang`."""
    facts = _month_facts(queue, brand, start, end)
    m = insights.overall(facts)
    seconds = [f.seconds_to_approval for f in facts if f.seconds_to_approval is not None]
    overall = queue.metrics(brand=brand).overall
    rows = [
        ("drafts", fmt_int(m["items"], lang), fmt_int(overall.items, lang)),
        ("decided", fmt_int(m["decided"], lang), fmt_int(overall.decided, lang)),
        ("approved", fmt_int(m["approved"], lang), fmt_int(overall.approved, lang)),
        ("rejected", fmt_int(sum(f.state == "rejected" for f in facts), lang), fmt_int(overall.rejected, lang)),
        ("approval_rate", fmt_pct(m["approval_rate"], lang, 1), fmt_pct(overall.approval_rate, lang, 1)),
        ("ai_kept", fmt_pct(m["ai_text_kept"], lang, 1), fmt_pct(overall.kept_share, lang, 1)),
        ("unedited", "—", fmt_int(overall.approved_unedited, lang)),
        ("edit_distance", "—", fmt_num(overall.mean_edit_distance, lang)),
        ("hours", fmt_duration(statistics.median(seconds) if seconds else None, lang),
         fmt_duration(overall.median_seconds_to_approval, lang)),
    ]
    return [{"label": label, "month": month, "to_date": to_date} for label, month, to_date in rows]


def ai_usage(queue: Any, brand: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Drafts, tokens and cost per provider and model of the month's drafts, then a total row."""
    usage: dict[tuple[str, str], dict[str, Any]] = {}
    for f in _month_facts(queue, brand, start, end):
        provider, model = f.provider or "—", f.model or "—"
        u = usage.setdefault((provider, model), {"provider": provider, "model": model, "drafts": 0, "tokens_in": 0,
                                                 "tokens_out": 0, "cost": 0.0})
        u["drafts"] += 1
        u["tokens_in"] += f.prompt_tokens
        u["tokens_out"] += f.completion_tokens
        u["cost"] += f.cost_usd
    rows = [usage[k] for k in sorted(usage)]
    if rows:
        rows.append({"provider": None, "model": "", **{k: sum(u[k] for u in rows)
                                                        for k in ("drafts", "tokens_in", "tokens_out", "cost")}})
    return rows
