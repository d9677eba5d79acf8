"""Prompt templates: files in `prompts/`, each with a `version` in its front matter. Templates are
rendered with LangChain prompt templates; phrase files (`kind: phrases`) hold one `key: text`
per line (goals, angles, the lines of the profile and rules blocks). Every sentence the model
reads comes from these files, and `fingerprint()` (a hash of all of them) is part of the version
each draft records, so an edited file is never mistaken for the version it replaced.

Retrieved material goes into delimited data blocks, escaped so that it can never close its
block or open a new one."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from langchain_core.prompts import PromptTemplate

from assistant.errors import ConfigError
from assistant.resources import prompts_dir

PROMPTS_DIR = prompts_dir()
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)


@dataclass(frozen=True)
class Template:
    name: str
    version: str
    template: PromptTemplate

    @property
    def tag(self) -> str:
        return f"{self.name}@{self.version}"

    def render(self, **values: object) -> str:
        missing = sorted(set(self.template.input_variables) - set(values))
        if missing:
            raise ConfigError(f"prompt '{self.name}' needs {', '.join(missing)}; pass them or edit prompts/{self.name}.md")
        return self.template.format(**{k: v for k, v in values.items() if k in self.template.input_variables})


def _read(name: str, folder: Path) -> tuple[dict, str]:
    path = Path(folder) / f"{name}.md"
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"prompt template {path} is missing; restore it from the repository") from None
    match = _FRONT_MATTER.match(raw)
    if not match:
        raise ConfigError(f"{path}: start the file with front matter '---\\nversion: N\\n---'")
    meta = yaml.safe_load(match.group(1)) or {}
    if "version" not in meta:
        raise ConfigError(f"{path}: the front matter needs a 'version'")
    return meta, raw[match.end():]


@lru_cache(maxsize=32)
def load(name: str, folder: Path = PROMPTS_DIR) -> Template:
    meta, body = _read(name, folder)
    return Template(name=name, version=str(meta["version"]), template=PromptTemplate.from_template(body.strip() + "\n"))


@lru_cache(maxsize=32)
def phrases(name: str, folder: Path = PROMPTS_DIR) -> dict[str, str]:
    """A phrase file: `key: text` per line; blank lines and `#` comments are skipped."""
    _, body = _read(name, folder)
    out: dict[str, str] = {}
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, text = line.partition(":")
        if not sep or not key.strip():
            raise ConfigError(f"{Path(folder) / name}.md, line {number}: write it as 'key: text'")
        out[key.strip()] = text.strip()
    return out


def phrase(name: str, key: str, folder: Path = PROMPTS_DIR, **values: object) -> str:
    """One phrase of a phrase file, with its `{placeholders}` filled."""
    table = phrases(name, folder)
    if key not in table:
        raise ConfigError(f"prompts/{name}.md has no '{key}'; add the line '{key}: ...'")
    return table[key].format(**values) if values else table[key]


@lru_cache(maxsize=4)
def fingerprint(folder: Path = PROMPTS_DIR) -> str:
    """A short hash of every prompt file: any edit to any of them changes it."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).glob("*.md")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


# Characters that render like the brackets of a block tag, and invisible ones that could hide a
# tag from a reader (bidi overrides, zero-width spaces; ZWJ stays: it joins emoji sequences).
_LOOKALIKE = str.maketrans({"〈": "<", "⟨": "<", "‹": "<", "《": "<", "❮": "<", "〉": ">", "⟩": ">", "›": ">",
                            "》": ">", "❯": ">"})
_INVISIBLE = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")


def normalize_data(text: object) -> str:
    """Foreign text with look-alike brackets folded (NFKC turns full-width and small-form ones
    into ASCII; the table the rest) and invisible formatting characters removed."""
    folded = unicodedata.normalize("NFKC", str(text)).translate(_LOOKALIKE)
    return _INVISIBLE.sub("", folded)


def escape_data(text: object) -> str:
    """Material inside a data block (retrieved posts, guidelines, briefs, profile fields): look-alike
    brackets normalised, then `&`, `<` and `>` escaped, so it can never close or open a block."""
    return normalize_data(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attr(value: object) -> str:
    return escape_data(str(value)).replace('"', "&quot;")
