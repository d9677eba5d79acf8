"""Prompt templates: files in `prompts/`, each with a `version` in its front matter, rendered with
LangChain prompt templates. Retrieved material goes into delimited data blocks, escaped so that
it can never close its block or open a new one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from langchain_core.prompts import PromptTemplate

from assistant.errors import ConfigError
from assistant.settings import REPO_ROOT

PROMPTS_DIR = REPO_ROOT / "prompts"
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


@lru_cache(maxsize=32)
def load(name: str, folder: Path = PROMPTS_DIR) -> Template:
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
    body = raw[match.end():].strip() + "\n"
    return Template(name=name, version=str(meta["version"]), template=PromptTemplate.from_template(body))


def escape_data(text: str) -> str:
    """Material inside a data block: angle brackets escaped so it cannot close or open a block."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attr(value: object) -> str:
    return escape_data(str(value)).replace('"', "&quot;")
