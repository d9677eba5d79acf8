"""The harness's brief set: `bench/data/quality_briefs.yaml` parsed into typed briefs and norms.

A brief is a `DraftRequest` plus what the harness needs to judge the draft (its id, the phrases a
good draft mentions, the hard case it stands for). Parsing fails on the first bad brief with its id,
so a typo in the data file is found before a long local run starts, not after.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.drafting.schemas import DraftRequest, Goal

BRIEFS_FILE = Path(__file__).resolve().parent.parent / "data" / "quality_briefs.yaml"
HardCase = Literal["banned_word", "required_hashtag", "long_brief", "no_promise"]


class Norm(BaseModel):
    """A platform's usual length (what a reader takes in without expanding), with its source."""

    model_config = ConfigDict(extra="forbid")

    chars: int = Field(gt=0)
    source: str = Field(min_length=3)


class Brief(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    brand: str
    platforms: list[str] = Field(min_length=1)
    language: str
    goal: Goal
    brief: str
    link: str | None = None
    call_to_action: str | None = None
    must_mention: list[str] = Field(default_factory=list)
    hard: list[HardCase] = Field(default_factory=list)
    notes: str = ""

    def request(self, variants: int = 1) -> DraftRequest:
        """The drafter's request for this brief (validated like any request from the app)."""
        return DraftRequest(brand=self.brand, platforms=self.platforms, brief=self.brief, goal=self.goal,
                            language=self.language, variants=variants, link=self.link,
                            call_to_action=self.call_to_action)


class BriefSet(BaseModel):
    norms: dict[str, Norm] = Field(default_factory=dict)
    briefs: list[Brief]


class BriefError(ValueError):
    """The data file is wrong; the message names the brief and the field to fix."""


def load_briefs(path: Path = BRIEFS_FILE) -> BriefSet:
    """Every brief of `path`, each also checked as a `DraftRequest`; ids must be unique."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise BriefError(f"cannot read the briefs file {path}: {exc}") from exc
    try:
        found = BriefSet.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise BriefError(f"{path}: {where}: {err['msg']}") from exc
    seen: set[str] = set()
    for brief in found.briefs:
        if brief.id in seen:
            raise BriefError(f"{path}: brief id '{brief.id}' is used twice: give each brief its own id")
        seen.add(brief.id)
        try:
            brief.request()
        except ValidationError as exc:
            raise BriefError(f"{path}: brief '{brief.id}' is not a valid draft request: "
                             f"{exc.errors()[0]['msg']}") from exc
    return found


def select(briefs: list[Brief], *, brands: list[str] | None = None, limit: int | None = None) -> list[Brief]:
    """The briefs of `brands` (all when None), the first `limit` of them (all when None).

    With a limit, briefs are taken round-robin across brands (in file order within a brand), so
    `--limit 6` drafts for every brand instead of only the first one in the file."""
    chosen = [b for b in briefs if not brands or b.brand in brands]
    if limit is None or limit >= len(chosen):
        return chosen
    queues: dict[str, list[Brief]] = {}
    for brief in chosen:
        queues.setdefault(brief.brand, []).append(brief)
    out: list[Brief] = []
    while len(out) < limit:
        for queue in queues.values():
            if queue and len(out) < limit:
                out.append(queue.pop(0))
    return out
