"""Style rule sets a brand opts into (`style_rules` in brand.yaml), checked by `checks.validate`
on top of the platform and brand rules, as violations like any other.

`pa-it`, writing for Italian public administrations (its data: `data/pa_it.yaml`):

- `pa_acronym_unexplained`: an all-caps token of 2-6 letters (INPS, SPID, PNRR) whose first use
  has no expansion in parentheses, after it ("SPID (Sistema pubblico di identità digitale)") or
  before it ("Sistema pubblico di identità digitale (SPID)"). An expansion needs two words and,
  after the acronym, must start with the acronym's first letter. Not checked: the data's list of
  acronyms everyone knows (UE, IVA, PDF...), acronyms in the brand's own name, Roman numerals up
  to XXXIX, runs of three or more all-caps words (a shouted heading, not acronyms), hashtags,
  mentions, e-mail addresses and links.
- `pa_bureaucratic_phrase`: a glossary entry ("in data odierna"), with its plain alternatives;
  case-insensitive, whole words, ' and ’ alike.
- `pa_hashtag_case` / `pa_hashtag_case_suggestion`: a hashtag of 12 letters or more all in lower
  case (or all in upper case) is read by screen readers as one long word; written in CamelCase
  each word is read (#ComuneDiMilano). When the post's own words (or the brand's name or
  hashtags) spell the tag, the CamelCase form is suggested; no dictionary is used, and a tag the
  post also uses as a single word ("#partecipazione ... partecipazione") is not flagged.
- `pa_emoji_between_words`: an emoji followed by more words on its line (hashtags aside): screen
  readers say its name in the middle of the sentence, and an emoji standing for a word
  ("Chiuso 🔒 lunedì") loses its meaning. Emoji at the end of a line are fine (`emoji_max`
  still counts them).
- `pa_link_bare` / `pa_link_vague`: a link must follow a description of where it leads, on its
  line or on the line before ending with ":" (words after it on its line count too). A link with
  no words around it is bare; one introduced by "clicca qui", "qui", "link" (the data's list) is
  vague (WCAG 2.4.4 "Link Purpose (In Context)", which the AgID accessibility guidelines adopt).

Severity: all are warnings. Each check is a heuristic that a person must judge (an acronym may be
explained in the image, an emoji may be decorative), and none hides information by itself;
errors block approval, so they are kept for rules a text either meets or not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import regex
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.brands import BrandProfile
from assistant.platforms.counting import CLUSTER, emojis, hashtags, links

DATA = Path(__file__).resolve().parent / "data"
V = TypeVar("V")
Span = tuple[int, int]
Finding = tuple[str, Span, dict[str, Any]]  # code, span, params
SEVERITY = "warning"


# --- the data ---------------------------------------------------------------------------------

class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    year: int | None = None
    url: str = ""


class Phrase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    phrase: str = Field(min_length=1)
    forms: list[str] = Field(default_factory=list)
    plain: list[str] = Field(min_length=1)
    source: str


class PaItData(BaseModel):
    """`data/pa_it.yaml`: the sources, the glossary, the acronyms everyone knows, vague link words."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: dict[str, Source]
    phrases: list[Phrase] = Field(min_length=1)
    common_acronyms: list[str] = Field(default_factory=list)
    vague_link_phrases: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _sources_known(self) -> PaItData:
        unknown = sorted({p.source for p in self.phrases} - set(self.sources))
        if unknown:
            raise ValueError(f"glossary entries cite unknown sources: {', '.join(unknown)}")
        return self


@cache
def pa_it_data() -> PaItData:
    return PaItData.model_validate(yaml.safe_load((DATA / "pa_it.yaml").read_text(encoding="utf-8")))


# --- entry point ------------------------------------------------------------------------------

def violations(text: str, brand: BrandProfile, make: Callable[..., V]) -> list[V]:
    """The violations of the brand's style rule sets, built with `make(code, severity, span,
    brand_rule=True, **params)` (the factory `validate` uses for every violation)."""
    if "pa-it" not in brand.style_rules:
        return []
    data = pa_it_data()
    found = [*acronyms(text, data, brand.name), *jargon(text), *hashtag_case(text, brand),
             *emoji_between_words(text), *link_descriptions(text, data)]
    return [make(code, SEVERITY, span, brand_rule=True, **params) for code, span, params in found]


# --- text helpers -----------------------------------------------------------------------------

_MENTION = regex.compile(r"(?<![\w@])@\w[\w.]*")
_EMAIL = regex.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'", "`": "'"})


def _blank(text: str, spans: list[Span]) -> str:
    """`text` with `spans` replaced by spaces (offsets unchanged)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _entities(text: str) -> list[Span]:
    """Links, hashtags, mentions and e-mail addresses: not prose."""
    spans = [(s, e) for _, s, e in links(text)] + [(s, e) for _, s, e in hashtags(text)]
    spans += [m.span() for m in _MENTION.finditer(text)] + [m.span() for m in _EMAIL.finditer(text)]
    return spans


def _fold(text: str) -> tuple[str, list[int], list[int]]:
    """Case-folded NFC text with one apostrophe, and for each of its characters the start and
    end of the cluster it came from (accents are kept: in Italian "è" is not "e")."""
    if unicodedata.is_normalized("NFC", text) and len(text.casefold()) == len(text) \
            and not any(map(unicodedata.combining, text)):  # the common case: one character each
        return text.casefold().translate(_APOSTROPHES), list(range(len(text))), list(range(1, len(text) + 1))
    out, starts, ends = [], [], []
    for m in CLUSTER.finditer(text):
        piece = unicodedata.normalize("NFC", m.group()).casefold().translate(_APOSTROPHES)
        out.append(piece)
        starts += [m.start()] * len(piece)
        ends += [m.end()] * len(piece)
    return "".join(out), starts, ends


def _initial(word: str) -> str:
    """The first letter of a word without its elided article ("l'Istituto" -> "i"), unaccented."""
    word = word.translate(_APOSTROPHES).rsplit("'", 1)[-1]
    return unicodedata.normalize("NFD", word[:1].casefold())[:1]


# --- acronyms ---------------------------------------------------------------------------------

_ACRONYM = regex.compile(r"(?<![\p{L}\p{M}\p{N}_&])\p{Lu}{2,6}(?![\p{L}\p{M}\p{N}_&])")
_CAPS_RUN = regex.compile(r"(?<!\p{L})\p{Lu}{2,}(?:[^\p{L}\p{N}\n]+\p{Lu}{2,}){2,}(?!\p{L})")
_ROMAN = re.compile(r"X{0,3}(?:IX|IV|V?I{0,3})")
_AFTER = regex.compile(r"\s*\(\s*([^()\n]+?)\s*\)")
_WORDS = regex.compile(r"\p{L}[\p{L}\p{M}'’]*")


def acronyms(text: str, data: PaItData, brand_name: str = "") -> list[Finding]:
    """The first use of each acronym that has no expansion in parentheses next to it."""
    prose = _blank(text, _entities(text))
    shouted = [m.span() for m in _CAPS_RUN.finditer(prose)]
    skip = set(data.common_acronyms) | set(_ACRONYM.findall(brand_name))
    seen: set[str] = set()
    found: list[Finding] = []
    for m in _ACRONYM.finditer(prose):
        token = m.group()
        if token in skip or token in seen or _ROMAN.fullmatch(token) \
                or any(s <= m.start() < e for s, e in shouted):
            continue
        seen.add(token)
        if not _expanded(prose, m.start(), m.end(), token):
            found.append(("pa_acronym_unexplained", m.span(), {"acronym": token}))
    return found


def _expanded(text: str, start: int, end: int, token: str) -> bool:
    after = _AFTER.match(text, end)
    if after:  # SPID (Sistema pubblico di identità digitale)
        words = _WORDS.findall(after.group(1))
        if len(words) >= 2 and _initial(words[0]) == _initial(token):
            return True
    line_start = text.rfind("\n", 0, start) + 1
    before = text[line_start:start].rstrip()
    if before.endswith("(") and regex.match(r"\s*\)", text[end:]):  # Sistema ... digitale (SPID)
        words = _WORDS.findall(before[:-1])
        recent = words[-(2 * len(token) + 3):]
        return len(words) >= 2 and any(_initial(w) == _initial(token) for w in recent)
    return False


# --- bureaucratic phrases ---------------------------------------------------------------------

def _pattern(form: str) -> str:
    """A regex for one glossary form: whole words; spaces match any spacing; "x*" ends a stem."""
    words = unicodedata.normalize("NFC", form).casefold().translate(_APOSTROPHES).split()
    parts = [re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) for w in words]
    body = r"\s+".join(parts).replace("'", r"'\s*")
    tail = "" if form.rstrip().endswith(("'", "’")) else r"(?!\w)"
    return r"(?<!\w)" + body + tail


@cache
def _glossary_patterns() -> list[tuple[Phrase, re.Pattern[str], set[str]]]:
    """One regex per entry, its longest form first (so "a mezzo di" wins over "a mezzo"), and the
    longest word of each form: an entry none of whose words is in the text is not tried."""
    out = []
    for entry in pa_it_data().phrases:
        forms = sorted((entry.phrase, *entry.forms), key=len, reverse=True)
        needles = {max(re.split(r"[\s'’*]+", unicodedata.normalize("NFC", f).casefold()), key=len) for f in forms}
        out.append((entry, re.compile("|".join(map(_pattern, forms))), needles))
    return out


def jargon(text: str) -> list[Finding]:
    """Every glossary phrase in the text (links, hashtags and mentions aside); where two overlap
    ("entro e non oltre il"), the one that starts first, the longer if they start together."""
    folded, starts, ends = _fold(_blank(text, _entities(text)))
    hits = []
    for entry, pattern, needles in _glossary_patterns():
        if not any(needle in folded for needle in needles):
            continue
        for m in pattern.finditer(folded):
            hits.append((starts[m.start()], ends[m.end() - 1], entry))
    found: list[Finding] = []
    last_end = -1
    for start, end, entry in sorted(hits, key=lambda h: (h[0], -h[1])):
        if start < last_end:
            continue
        last_end = end
        found.append(("pa_bureaucratic_phrase", (start, end),
                      {"found": text[start:end], "phrase": entry.phrase,
                       "plain": ", ".join(f"«{p}»" for p in entry.plain), "source": entry.source}))
    return found


# --- hashtags ---------------------------------------------------------------------------------

_CAMEL_PARTS = regex.compile(r"\p{Lu}[\p{Ll}\p{M}]*|\p{Ll}[\p{Ll}\p{M}]*|\p{N}+")
MIN_HASHTAG_LETTERS = 12


def hashtag_case(text: str, brand: BrandProfile | None = None) -> list[Finding]:
    """Long hashtags all in lower (or upper) case, with the CamelCase form when it can be found."""
    known = [*(brand.hashtags if brand else []), *(brand.required_hashtags if brand else [])]
    words = {w.casefold() for w in _WORD.findall(_blank(text, _entities(text)))}
    words |= {w.casefold() for tag in known for w in _CAMEL_PARTS.findall(tag)}
    words |= {w.casefold() for w in _WORD.findall(brand.name if brand else "")}
    found: list[Finding] = []
    for tag, start, end in hashtags(text):
        letters = [c for c in tag[1:] if c.isalpha()]
        if len(letters) < MIN_HASHTAG_LETTERS:
            continue
        if any(c.isupper() for c in letters[1:]) and not all(c.isupper() for c in letters):
            continue
        if tag[1:].casefold() in words:
            continue  # one word, used as such in the post
        suggestion = _camel(tag, known, words)
        if suggestion:
            found.append(("pa_hashtag_case_suggestion", (start, end), {"tag": tag, "suggestion": suggestion}))
        else:
            found.append(("pa_hashtag_case", (start, end), {"tag": tag}))
    return found


def _camel(tag: str, known: list[str], words: set[str]) -> str | None:
    """`tag` in CamelCase: a brand hashtag spelling it so, or the fewest of `words` that spell it."""
    body = tag[1:].casefold()
    for k in known:
        if k[1:].casefold() == body and k[1:] != k[1:].lower() and k[1:] != k[1:].upper():
            return "#" + k[1:]
    best: list[list[str] | None] = [[]] + [None] * len(body)
    for i in range(1, len(body) + 1):
        for j in range(max(0, i - 30), i):
            head = best[j]
            if head is not None and body[j:i] in words and (best[i] is None or len(head) + 1 < len(best[i])):
                best[i] = [*head, body[j:i]]
    parts = best[-1]
    if not parts or len(parts) < 2:
        return None
    return "#" + "".join(p[:1].upper() + p[1:] for p in parts)


# --- emoji ------------------------------------------------------------------------------------

def emoji_between_words(text: str) -> list[Finding]:
    """Emoji followed by more words on the same line (hashtags do not count as words)."""
    prose = _blank(text, [(s, e) for _, s, e in hashtags(text)])
    found: list[Finding] = []
    for emoji, start, end in emojis(text):
        line_end = text.find("\n", end)
        rest = prose[end:len(text) if line_end < 0 else line_end]
        if _WORD.search(rest):
            found.append(("pa_emoji_between_words", (start, end), {"emoji": emoji}))
    return found


# --- links ------------------------------------------------------------------------------------

def link_descriptions(text: str, data: PaItData) -> list[Finding]:
    """Links with no description before or after them on their line (or on the line before, ending
    with ":"), and links introduced by a vague phrase ("clicca qui")."""
    found_links = links(text)
    prose = _blank(text, _entities(text))
    found: list[Finding] = []
    previous_end = 0
    for url, start, end in found_links:
        line_start = text.rfind("\n", 0, start) + 1
        since = max(line_start, previous_end)  # from the link before, when it is on this line
        intro = prose[since:start]
        if not _WORD.search(intro) and since == line_start:
            intro = _line_before(text, line_start) or intro
        line_end = text.find("\n", end)
        after = prose[end:len(text) if line_end < 0 else line_end]
        vague = _vague(intro, data.vague_link_phrases)
        if vague:
            found.append(("pa_link_vague", (start, end), {"link": url, "phrase": vague}))
        elif not _WORD.search(intro) and not _WORD.search(after):
            found.append(("pa_link_bare", (start, end), {"link": url}))
        previous_end = end
    return found


def _line_before(text: str, line_start: int) -> str:
    """The last non-empty line before `line_start` when it ends with ":" (it introduces the link;
    a line ending with its own link does not)."""
    lines = [line.strip() for line in text[:line_start].splitlines() if line.strip()]
    if not lines:
        return ""
    last = regex.sub(r"[^\p{L}\p{N}:]+$", "", lines[-1])
    return last if last.endswith(":") else ""


def _vague(intro: str, phrases: list[str]) -> str | None:
    """The longest of `phrases` that ends `intro` (punctuation, arrows and emoji after it aside)."""
    folded = regex.sub(r"[^\p{L}\p{N}]+$", "", _fold(intro)[0])
    ends = [p for p in phrases if re.search(_pattern(p) + "$", folded)]
    return max(ends, key=len) if ends else None
