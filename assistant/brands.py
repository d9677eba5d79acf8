"""Brand profiles: `brand_profiles/<slug>/brand.yaml`, validated, plus where the brand's files live."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.errors import BrandNotFound, BrandProfileError

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
GUIDELINE_SUFFIXES = (".md", ".markdown", ".txt")

EmojiPolicy = Literal["none", "sparing", "free"]
"""`none`: no emoji at all; `sparing`: at most `emoji_max` (default 3); `free`: no limit."""


def _iso_639_1(value: str) -> str:
    value = value.strip().lower()
    if not re.fullmatch(r"[a-z]{2}", value):
        raise ValueError(f"{value!r} is not an ISO 639-1 code: use two letters such as 'it' or 'en'")
    return value


class BrandProfile(BaseModel):
    """One brand's profile. Unknown keys are an error, so a typo never goes unnoticed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: str = Field(default="", description="Folder name; set by load_brand, not in the YAML.")
    name: str = Field(min_length=1)
    language: str
    voice: str = Field(min_length=1)
    languages: list[str] = Field(default_factory=list)
    audience: str = ""
    pillars: list[str] = Field(default_factory=list)
    do: list[str] = Field(default_factory=list)
    dont: list[str] = Field(default_factory=list)
    banned_words: list[str] = Field(default_factory=list)
    required_hashtags: list[str] = Field(default_factory=list)
    disclaimer: str = ""
    hashtags: list[str] = Field(default_factory=list)
    emoji: EmojiPolicy = "sparing"
    emoji_max: int = Field(default=3, ge=0)
    platforms: list[str] = Field(default_factory=list)
    timezone: str = "Europe/Rome"
    four_eyes: bool = False
    # Who must approve, in order: `[internal]` (default) or `[internal, client]` (the client
    # approves after an internal approver, through a share link or a client account).
    approval: list[Literal["internal", "client"]] = Field(default_factory=lambda: ["internal"])
    cadence: dict[str, int] = Field(
        default_factory=dict, description="Target posts per week by platform (planning)."
    )

    @field_validator("approval")
    @classmethod
    def _check_approval(cls, value: list[str]) -> list[str]:
        if value not in (["internal"], ["internal", "client"]):
            raise ValueError("approval is [internal] or [internal, client] (the client approves last)")
        return value

    @property
    def client_stage(self) -> bool:
        return "client" in self.approval

    @field_validator("language")
    @classmethod
    def _check_language(cls, value: str) -> str:
        return _iso_639_1(value)

    @field_validator("languages")
    @classmethod
    def _check_languages(cls, value: list[str]) -> list[str]:
        return [_iso_639_1(v) for v in value]

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}: use an IANA name such as 'Europe/Rome'") from exc
        return value

    @field_validator("required_hashtags", "hashtags")
    @classmethod
    def _check_hashtags(cls, value: list[str]) -> list[str]:
        return [v if v.startswith("#") else f"#{v}" for v in (s.strip() for s in value) if v]

    @field_validator("platforms")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value]

    @property
    def all_languages(self) -> list[str]:
        """The main language first, then the others the brand posts in."""
        return [self.language, *(lang for lang in self.languages if lang != self.language)]


class Brand(BaseModel):
    """A brand profile with the location of its knowledge files."""

    model_config = ConfigDict(frozen=True)

    profile: BrandProfile
    folder: Path

    @property
    def slug(self) -> str:
        return self.profile.slug

    @property
    def posts_file(self) -> Path:
        return self.folder / "posts.csv"

    @property
    def guideline_files(self) -> list[Path]:
        folder = self.folder / "guidelines"
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if p.suffix.lower() in GUIDELINE_SUFFIXES and p.is_file())

    @property
    def knowledge_files(self) -> list[Path]:
        files = [self.profile_file, *self.guideline_files]
        if self.posts_file.is_file():
            files.append(self.posts_file)
        return files

    @property
    def profile_file(self) -> Path:
        return self.folder / "brand.yaml"


def _format_validation_error(exc: ValidationError, path: Path) -> str:
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            problems.append(f"unknown key '{key}' (remove it or check its spelling)")
        elif err["type"] == "missing":
            problems.append(f"missing required key '{key}'")
        else:
            problems.append(f"'{key}': {err['msg']}")
    return f"{path}: " + "; ".join(problems)


def parse_profile(path: Path, slug: str) -> BrandProfile:
    """Read and validate one brand.yaml; errors name the file and the key."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BrandNotFound(f"{path} does not exist: create it with at least name, language and voice") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise BrandProfileError(f"{path}: not valid UTF-8 YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise BrandProfileError(f"{path}: expected a mapping of keys (name, language, voice, ...)")
    if "slug" in raw:
        raise BrandProfileError(f"{path}: unknown key 'slug' (the folder name is the slug)")
    try:
        return BrandProfile(slug=slug, **raw)
    except ValidationError as exc:
        raise BrandProfileError(_format_validation_error(exc, path)) from exc
    except TypeError as exc:  # non-string keys
        raise BrandProfileError(f"{path}: {exc}") from exc


def load_brand(brands_dir: Path, slug: str) -> Brand:
    """Load one brand by slug from `brands_dir`."""
    if not SLUG_RE.match(slug):
        raise BrandNotFound(f"'{slug}' is not a valid brand slug: use lowercase letters, digits and '-'")
    folder = Path(brands_dir) / slug
    if not (folder / "brand.yaml").is_file():
        known = ", ".join(b for b in list_brand_slugs(brands_dir)) or "none"
        raise BrandNotFound(f"no brand '{slug}' in {brands_dir} (known brands: {known})")
    return Brand(profile=parse_profile(folder / "brand.yaml", slug), folder=folder)


def list_brand_slugs(brands_dir: Path) -> list[str]:
    root = Path(brands_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "brand.yaml").is_file() and SLUG_RE.match(p.name))
