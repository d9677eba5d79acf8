"""The blocks of the draft prompt, in the order the model reads them, split in two:

- the brand's part (`brand_messages`): the system message, the brand profile, the brand's fixed
  guideline passages, the platform rules and the brand's fixed posts for the platform
  (`passages.py`). It depends only on the brand and the platform, so it
  is byte-identical for every draft of that brand on that platform: a llama.cpp server reuses the
  KV cache of the longest common prefix of the previous request, and a warm-up can compute it
  before the first brief arrives (`warming.py`).
- the draft's part (`draft_messages`): exemplar posts and guideline passages retrieved for the
  brief, then the task (brief, goal, angle, link, call to action). Whatever varies goes here.

Every value that comes from people or retrieval is escaped (`prompts.escape_data`): it is data
inside its block, never instructions (DESIGN.md, "Trust")."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.brands import Brand
from assistant.drafting import prompts
from assistant.drafting.providers.base import Message
from assistant.drafting.schemas import LANGUAGE_NAMES, DraftRequest
from assistant.knowledge.retrieval import Source


def brand_messages(brand: Brand, rule, fixed: Sequence[Source]) -> list[Message]:
    """The system message and the brand's part of the user message: what every draft of `brand` on
    this platform starts with, byte for byte (its `fixed` sources in their fixed order: guideline
    passages, then the brand's posts for the platform)."""
    context = prompts.load("brand").render(
        brand_profile=profile(brand),
        guideline_passages=_joined(passage(s) for s in fixed if s.kind == "guideline"),
        platform_rules=rules(rule), brand_posts=_joined(exemplar(s) for s in fixed if s.kind != "guideline"))
    return [{"role": "system", "content": system(brand)}, {"role": "user", "content": context}]


def system(brand: Brand) -> str:
    return prompts.load("system").render(brand_name=prompts.escape_data(brand.profile.name))


def draft_messages(prefix: list[Message], brand: Brand, request: DraftRequest, platform: str, rule, language: str,
                   angle: str, sources: Sequence[Source]) -> list[Message]:
    """`prefix` (from `brand_messages`) with the draft's own part appended to its user message:
    the sources retrieved for the brief (exemplar posts, of this platform first; passages) and the task."""
    p = brand.profile
    related = [s for s in sources if s.kind == "guideline"]
    posts = sorted((s for s in sources if s.kind != "guideline"),
                   key=lambda s: (s.metadata.get("platform") != platform, -s.score))
    extras = [prompts.phrase("phrases", key, value=prompts.escape_data(value))
              for key, value in (("extras.link", request.link), ("extras.cta", request.call_to_action),
                                 ("extras.disclaimer", p.disclaimer)) if value]
    own = prompts.load("draft").render(
        exemplar_posts=_joined(exemplar(s) for s in posts), related_passages=_joined(passage(s) for s in related),
        platform_label=rule.label, brand_name=prompts.escape_data(p.name), language=language,
        language_name=LANGUAGE_NAMES.get(language, language), goal=request.goal,
        goal_hint=prompts.phrase("goals", request.goal), angle=angle, brief=prompts.escape_data(request.brief),
        extras="\n".join(extras), required_hashtags=hashtags(brand), limit_hint=limit_hint(rule),
    )
    system, context = prefix
    return [system, {"role": "user", "content": f"{context['content']}\n{own}"}]


def _joined(lines) -> str:
    return "\n".join(lines) or prompts.phrase("phrases", "none")


def hashtags(brand: Brand) -> str:
    return " ".join(prompts.escape_data(tag) for tag in brand.profile.required_hashtags)


def limit_hint(rule) -> str:
    key = "limit.weighted" if rule.counting == "weighted" else "limit.other"
    return prompts.phrase("phrases", key, limit=rule.limit)


def profile(brand: Brand) -> str:
    """The brand profile as the model reads it: every field escaped like retrieved text."""
    p = brand.profile
    e = prompts.escape_data

    def line(key: str, value: str) -> str:
        return prompts.phrase("phrases", f"profile.{key}", value=value)

    lines = [line("name", e(p.name)), line("voice", e(" ".join(p.voice.split())))]
    if p.audience:
        lines.append(line("audience", e(" ".join(p.audience.split()))))
    for key in ("pillars", "do", "dont", "banned_words", "hashtags", "required_hashtags"):
        if items := getattr(p, key):
            lines.append(line(key, "; ".join(e(i) for i in items)))
    lines.append(prompts.phrase("phrases", f"profile.emoji.{p.emoji}", max=p.emoji_max))
    return "\n".join(lines)


def rules(rule) -> str:
    def line(key: str, **values: object) -> str:
        return prompts.phrase("phrases", f"rules.{key}", **values)

    lines = [line("platform", label=rule.label), line("limit", limit=limit_hint(rule))]
    if rule.url_weight:
        lines.append(line("url_weight", weight=rule.url_weight))
    for key in ("max_hashtags", "max_topic_tags", "max_links"):
        if getattr(rule, key):
            lines.append(line(key, max=getattr(rule, key)))
    if rule.links_clickable is False:
        lines.append(line("links_not_clickable"))
    if rule.see_more_at:
        lines.append(line("see_more", cut=rule.see_more_at))
    return "\n".join(lines)


def passage(s: Source) -> str:
    heading = s.metadata.get("heading") or ""
    return f'<passage id="{prompts.attr(s.id[:8])}" heading="{prompts.attr(heading)}">{prompts.escape_data(s.text)}</passage>'


def exemplar(s: Source) -> str:
    m = s.metadata
    attrs = [f'id="{prompts.attr(s.id[:8])}"', f'platform="{prompts.attr(m.get("platform", ""))}"']
    if "engagement" in m:
        attrs.append(f'engagement="{prompts.attr(m["engagement"])}"')
    if m.get("kind") == "approved":
        attrs.append('approved_by_team="yes"')
    return f"<post {' '.join(attrs)}>{prompts.escape_data(s.text)}</post>"
