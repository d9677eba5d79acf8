"""What a printed provenance record says, in its language: people, authors, actions, shares and
times (in the brand's zone, named). Shared by the HTML page, the PDF and the review page's panel,
so the three say the same thing. Every string comes from the catalogues (`record.*`)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from assistant import i18n
from assistant.analytics.report import fmt_int, fmt_num, fmt_pct
from assistant.platforms.rules import label as platform_label
from assistant.review.record import ActionEntry, ApprovalEntry, Kept, Person, ProvenanceRecord, RevisionEntry


class Words:
    """The record's phrases in `language`; times in `zone`."""

    def __init__(self, language: str, zone: str = "UTC") -> None:
        self.language = language if language in i18n.LANGUAGES else "en"
        self.zone = zone

    def t(self, key: str, **values: object) -> str:
        return i18n.t(key, self.language, **values)

    def known(self, key: str) -> bool:
        return key in i18n.CATALOGUE[self.language]

    # --- values ---------------------------------------------------------------------------------

    def when(self, moment: datetime | None) -> str:
        if moment is None:
            return "—"
        return f"{i18n.moment(moment.astimezone(ZoneInfo(self.zone)), self.language)} ({self.zone})"

    def day(self, value: date) -> str:
        return i18n.day(value, self.language)

    def pct(self, share: float | None) -> str:
        return fmt_pct(share, self.language, 0)

    def count(self, value: float | None) -> str:
        return fmt_int(value, self.language)

    def score(self, value: float | None) -> str:
        return fmt_num(value, self.language, 2)

    def platform(self, platform: str) -> str:
        return platform_label(platform)

    def state(self, state: str | None) -> str:
        return self.t(f"state.{state}") if state and self.known(f"state.{state}") else (state or "")

    def kind(self, kind: str) -> str:
        return self.t(f"record.kind.{kind}") if self.known(f"record.kind.{kind}") else kind

    # --- people and authors ---------------------------------------------------------------------

    def person(self, p: Person | None) -> str:
        if p is None:
            return "—"
        if p.kind == "client_link":
            who = f"{p.name} <{p.email}>" if p.email else p.name
            return self.t("record.client_link", name=who, id=p.share_id)
        if p.kind == "user":
            if p.username:
                return self.t("record.person", name=p.name, id=p.user_id, username=p.username)
            return self.t("record.person_id", name=p.name, id=p.user_id)
        return self.t("record.unidentified", name=p.name)

    def author(self, r: RevisionEntry) -> str:
        if r.model is not None:
            return self.t("record.by_model", model=r.model.model or "?", provider=r.model.provider or "?",
                          prompt=r.model.prompt_version or "?")
        return self.person(r.person)

    def details(self, r: RevisionEntry) -> list[str]:
        """What else a model's version says: who asked, a rewrite's instruction, repair, test model."""
        m = r.model
        if m is None:
            return []
        out = [self.t("record.asked_by", name=self.person(m.asked_by))] if m.asked_by else []
        if m.refinement_of or m.instruction:
            out.append(self.t("record.refinement", instruction=m.instruction or "—"))
        if m.repaired:
            out.append(self.t("record.repaired"))
        if m.test_model:
            out.append(self.t("record.test_model"))
        if m.demo_model:
            out.append(self.t("record.demo_model"))
        return out

    # --- actions and figures --------------------------------------------------------------------

    def action(self, a: ActionEntry) -> str:
        return self.t(f"history.{a.action}") if self.known(f"history.{a.action}") else a.action.replace("_", " ")

    def move(self, a: ActionEntry) -> str:
        if a.from_state == a.to_state or a.to_state is None:
            return ""
        return f"{self.state(a.from_state) or '—'} → {self.state(a.to_state)}"

    def kept(self, k: Kept) -> str:
        basis = self.t(f"record.kept.{k.basis}", version=k.revision)
        return self.t("record.kept_line", basis=basis, kept=self.count(k.kept_words), total=self.count(k.words_v0),
                      share=self.pct(k.kept_share), distance=self.count(k.edit_distance))

    def ai_generated(self, r: ProvenanceRecord) -> str:
        return self.t(f"record.ai_generated.{'yes' if r.ai_generated else 'no'}", kept=self.pct(r.ai_text_kept.kept_share),
                      threshold=self.pct(r.ai_generated_threshold))

    def responsibility(self, r: ProvenanceRecord) -> list[str]:
        """Who holds editorial responsibility (the final internal approver), or that nobody does yet."""
        held = r.editorially_responsible
        if held is None:
            return [self.t("record.not_approved")]
        lines = [self.t("record.responsible", name=self.person(held.person)),
                 self.t("record.responsible_detail", date=self.when(held.approved_at), version=held.revision)]
        last = r.approvals[-1] if r.approvals else None
        if last is not None and last.client is not None:
            lines.append(self.t("record.client_after", name=self.person(last.client), date=self.when(last.at)))
        return lines

    def approval(self, a: ApprovalEntry) -> str:
        line = self.t("record.approval_line", date=self.when(a.at), version=a.revision, name=self.person(a.approver))
        if a.client is not None:
            line += "; " + self.t("record.client_after", name=self.person(a.client), date=self.when(a.at))
        return line + ("; " + self.t("record.override") if a.override else "")

    def facts(self, r: ProvenanceRecord) -> str:
        line = self.t("record.facts", brand=r.item.brand_name, platform=self.platform(r.item.platform),
                      language=r.item.language, state=self.state(r.state))
        return line + (f" · {self.t('record.archived')}" if r.archived else "")
