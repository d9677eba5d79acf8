"""Violations as data: stored violations keep a code and the values of their message, not its text.

Revision ID: 0003
Revises: 0002_performance
Create Date: 2026-12-01

Before: each stored violation (in `review_revisions.violations`, and in `review_audit.data
["violations"]` of approve overrides) was `{"code", "severity", "message", "span", "platform"}`,
its message already rendered in one language (Italian usually, English sometimes).
After: `{"code", "severity", "params", "span", "platform"}` (None values left out, as
`Violation.as_dict` writes them), rendered in the reader's language when shown.

The params are recovered by matching the old message against the message templates of both
languages as they were when the messages were written (frozen below: a migration must not import
application code, which changes later). Placeholders become named groups; numbers go back to
ints, the unit text back to its `counting` value, language names back to codes, the platform
label stays the label. A message no template matches keeps `params: {}` and its text in
`legacy_message` (which `Violation.message` falls back to). Dicts that already have "params" are
left alone, so running this on partly migrated data is safe.

Downgrade renders the messages again, with the English templates (the original language is not
known any more; a kept `legacy_message` is restored as it was), and drops the params.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003_violations_as_data"
down_revision = "0002_performance"
branch_labels = None
depends_on = None

BATCH = 500

# --- frozen copies of the `violation.*` strings of assistant/locales/{it,en}.py (2026-12-01) -------

TEMPLATES: dict[str, dict[str, str]] = {
    "it": {
        "banned_word": "Parola vietata dal brand: «{found}» (in elenco: {word}).",
        "emoji_not_allowed": "Il brand non usa emoji: {emoji}.",
        "empty": "Il testo è vuoto.",
        "hook_after_see_more": "{platform} mostra circa {cut} caratteri prima di «altro»: la prima frase finisce "
                               "al carattere {end} e resta tagliata.",
        "link_not_clickable": "Su {platform} i link nel testo non sono cliccabili: {link} (rimanda al link in bio).",
        "missing_disclaimer": "Manca l'avvertenza obbligatoria del brand: «{disclaimer}».",
        "missing_required_hashtag": "Manca l'hashtag obbligatorio {tag}.",
        "too_long": "{platform}: {count} {unit} su {limit} consentiti ({over} di troppo).",
        "too_many_bytes": "{platform}: {count} byte su {limit} consentiti (UTF-8).",
        "too_many_emoji": "Il brand usa al massimo {max} emoji per post: {emoji} è la numero {n}.",
        "too_many_hashtags": "{platform} accetta al massimo {max} hashtag: {tag} è il numero {n}.",
        "too_many_links": "{platform} accetta al massimo {max} link diversi: {link} è il numero {n}.",
        "too_many_topic_tags": "{platform} usa un solo tag come argomento: {tag} resterà testo normale.",
        "wrong_language": "Il testo sembra in {detected}, ma era atteso in {expected}.",
    },
    "en": {
        "banned_word": 'Banned by the brand: "{found}" (listed as: {word}).',
        "emoji_not_allowed": "The brand uses no emoji: {emoji}.",
        "empty": "The text is empty.",
        "hook_after_see_more": '{platform} shows about {cut} characters before "see more": the first sentence ends '
                               "at character {end} and is cut off.",
        "link_not_clickable": "Links in {platform} captions are not clickable: {link} (point to the link in bio).",
        "missing_disclaimer": 'The brand\'s required disclaimer is missing: "{disclaimer}".',
        "missing_required_hashtag": "The required hashtag {tag} is missing.",
        "too_long": "{platform}: {count} {unit} of the {limit} allowed ({over} too many).",
        "too_many_bytes": "{platform}: {count} bytes of the {limit} allowed (UTF-8).",
        "too_many_emoji": "The brand uses at most {max} emoji per post: {emoji} is number {n}.",
        "too_many_hashtags": "{platform} allows at most {max} hashtags: {tag} is number {n}.",
        "too_many_links": "{platform} accepts at most {max} different links: {link} is number {n}.",
        "too_many_topic_tags": "{platform} takes one topic tag per post: {tag} will stay plain text.",
        "wrong_language": "The text looks like {detected}, but {expected} was expected.",
    },
}
UNITS: dict[str, dict[str, str]] = {  # violation.unit.<counting>
    "it": {
        "chars": "caratteri",
        "chars_emoji_bytes": "caratteri (le emoji contano i loro byte)",
        "graphemes": "caratteri (grafemi)",
        "utf16": "caratteri (unità UTF-16)",
        "weighted": "caratteri ponderati",
    },
    "en": {
        "chars": "characters",
        "chars_emoji_bytes": "characters (emoji count their bytes)",
        "graphemes": "characters (graphemes)",
        "utf16": "characters (UTF-16 units)",
        "weighted": "weighted characters",
    },
}
LANGUAGE_NAMES: dict[str, dict[str, str]] = {  # violation.lang.<code>
    "it": {"de": "tedesco", "en": "inglese", "es": "spagnolo", "fr": "francese", "it": "italiano",
           "pt": "portoghese"},
    "en": {"de": "German", "en": "English", "es": "Spanish", "fr": "French", "it": "Italian", "pt": "Portuguese"},
}
NUMERIC = frozenset({"count", "limit", "over", "n", "max", "cut", "end"})  # the int params of the checks
LANGUAGE_PARAMS = frozenset({"detected", "expected"})

# --- old message -> params ------------------------------------------------------------------------

_FIELD = re.compile(r"\{(\w+)\}")


def _group(name: str, lang: str) -> str:
    if name in NUMERIC:
        body = r"-?\d+"
    elif name == "unit":  # only the unit texts of that language, longest first ("caratteri" is a prefix)
        body = "|".join(re.escape(u) for u in sorted(UNITS[lang].values(), key=len, reverse=True))
    else:
        body = ".+?"
    return f"(?P<{name}>{body})"


def template_regex(template: str, lang: str) -> re.Pattern[str]:
    """`template` as a regex: literal text escaped, `{name}` a named group, a repeated `{name}` a
    back-reference to its first group (the same value both times)."""
    parts, seen, pos = [], set(), 0
    for m in _FIELD.finditer(template):
        parts.append(re.escape(template[pos:m.start()]))
        name = m.group(1)
        parts.append(f"(?P={name})" if name in seen else _group(name, lang))
        seen.add(name)
        pos = m.end()
    parts.append(re.escape(template[pos:]))
    return re.compile("".join(parts), re.DOTALL)


PATTERNS: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
for _lang, _templates in TEMPLATES.items():
    for _code, _template in _templates.items():
        PATTERNS.setdefault(_code, []).append((_lang, template_regex(_template, _lang)))


def params_from_message(code: str, message: str) -> dict[str, Any] | None:
    """The params that rendered `message` for `code` with one of the frozen templates, or None."""
    for lang, pattern in PATTERNS.get(code, []):
        m = pattern.fullmatch(message.strip())
        if m is None:
            continue
        params = _reverse(m.groupdict(), lang)
        if params is not None:
            return params
    return None


def _reverse(groups: dict[str, str], lang: str) -> dict[str, Any] | None:
    params: dict[str, Any] = {}
    for name, value in groups.items():
        if name in NUMERIC:
            params[name] = int(value)
        elif name == "unit":
            counting = {text: key for key, text in UNITS[lang].items()}.get(value)
            if counting is None:
                return None
            params["counting"] = counting
        elif name in LANGUAGE_PARAMS:
            codes = {text.casefold(): key for key, text in LANGUAGE_NAMES[lang].items()}
            # a language without a name was written as its code, and is rendered so again
            params[name] = codes.get(value.casefold(), value)
        else:
            params[name] = value
    return params


def to_data(violation: Any) -> Any:
    """One stored violation in the new shape (unchanged if it already is, or is not a violation)."""
    if not isinstance(violation, dict) or "params" in violation or "message" not in violation:
        return violation
    out = {k: v for k, v in violation.items() if k != "message" and v is not None}
    message = violation.get("message")
    params = params_from_message(str(violation.get("code")), message) if isinstance(message, str) else None
    if params is None:
        out["params"] = {}
        if message is not None and "legacy_message" not in out:
            out["legacy_message"] = message
    else:
        out["params"] = params
    return out


# --- params -> message (downgrade) ------------------------------------------------------------------

def render_english(violation: dict[str, Any]) -> str:
    if violation.get("legacy_message"):
        return str(violation["legacy_message"])
    template = TEMPLATES["en"].get(str(violation.get("code")))
    if template is None:
        return str(violation.get("code"))
    values = dict(violation.get("params") or {})
    for key in LANGUAGE_PARAMS & values.keys():
        values[key] = LANGUAGE_NAMES["en"].get(str(values[key]), values[key])
    if "counting" in values:
        values["unit"] = UNITS["en"].get(str(values["counting"]), values["counting"])
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return str(violation.get("code"))


def to_text(violation: Any) -> Any:
    if not isinstance(violation, dict) or "params" not in violation:
        return violation
    out = {k: v for k, v in violation.items() if k not in ("params", "legacy_message")}
    out["message"] = render_english(violation)
    out.setdefault("span", None)
    out.setdefault("platform", None)
    return out


# --- the rows -----------------------------------------------------------------------------------------

def _rows(conn: sa.Connection, table: sa.TableClause, column: str) -> Iterator[list[sa.Row]]:
    """Batches of (id, column) rows, by id (keyset: a batch is fetched whole before it is updated)."""
    last = 0
    while True:
        batch = conn.execute(sa.select(table.c.id, table.c[column]).where(table.c.id > last)
                             .order_by(table.c.id).limit(BATCH)).all()
        if not batch:
            return
        yield batch
        last = batch[-1].id


def _convert_list(value: Any, fn: Callable[[Any], Any]) -> Any:
    return [fn(v) for v in value] if isinstance(value, list) else value


def _rewrite(fn: Callable[[Any], Any]) -> None:
    conn = op.get_bind()
    revisions = sa.table("review_revisions", sa.column("id", sa.Integer()), sa.column("violations", sa.JSON()))
    audit = sa.table("review_audit", sa.column("id", sa.Integer()), sa.column("data", sa.JSON()))
    for batch in _rows(conn, revisions, "violations"):
        for row in batch:
            new = _convert_list(row.violations, fn)
            if new != row.violations:
                conn.execute(revisions.update().where(revisions.c.id == row.id).values(violations=new))
    for batch in _rows(conn, audit, "data"):
        for row in batch:
            if not isinstance(row.data, dict) or not isinstance(row.data.get("violations"), list):
                continue
            new = row.data | {"violations": _convert_list(row.data["violations"], fn)}
            if new != row.data:
                conn.execute(audit.update().where(audit.c.id == row.id).values(data=new))


def upgrade() -> None:
    _rewrite(to_data)


def downgrade() -> None:
    _rewrite(to_text)
