"""Brand profiles: `brand_profiles/<slug>/brand.yaml`, validated, plus where the brand's files live."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.errors import BrandNotFound, BrandProfileError
from assistant.errors import ProviderNotAllowed

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
GUIDELINE_SUFFIXES = (".md", ".markdown", ".txt")

EmojiPolicy = Literal["none", "sparing", "free"]
"""`none`: no emoji at all; `sparing`: at most `emoji_max` (default 3); `free`: no limit."""
StyleRuleSet = Literal["pa-it"]
"""Optional writing rules checked on top of the brand's (`assistant/platforms/style.py`): `pa-it`,
Italian public-administration writing (acronyms, bureaucratic phrases, hashtags, emoji, links)."""

DESTINATIONS = ("local", "compatible", "openai")
"""Where drafting and embeddings can send a brand's material (`allowed_providers`): `local` (this
machine: a GGUF run in-process, the offline embedding model), `compatible` (an OpenAI-compatible
server at a base URL), `openai` (OpenAI's API). `fake`, the test provider, sends nothing anywhere."""


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
    # AI disclosure (`assistant.review.disclosure` documents the rule): `always` (every post says
    # it), `when_unreviewed` (a post the AI wrote says it unless a named person approves it), `none`.
    # `public_interest`: informing the public on matters of public interest (EU AI Act art. 50(4)):
    # approval by a named person only, and a missing required disclosure cannot be overridden.
    ai_disclosure: Literal["none", "when_unreviewed", "always"] = "when_unreviewed"
    public_interest: bool = False
    disclosure: dict[str, str] = Field(default_factory=dict, description="The disclosure text per language "
                                       "({approver}: the approver's name); default: the catalogue's.")
    ai_generated_threshold: float = Field(default=0.5, gt=0, le=1, description="AI text kept at or above "
                                          "this share: the item is AI-generated.")
    # Who must approve, in order: `[internal]` (default) or `[internal, client]` (the client
    # approves after an internal approver, through a share link or a client account).
    approval: list[Literal["internal", "client"]] = Field(default_factory=lambda: ["internal"])
    cadence: dict[str, int] = Field(
        default_factory=dict, description="Target posts per week by platform (planning)."
    )
    # Where the brand's material may go (drafting, refining, repair, embeddings): the providers
    # allowed (default: all; `fake` always), and for `compatible` servers the hosts allowed
    # (host or host:port of the base URL; without the key: any host).
    allowed_providers: list[str] = Field(default_factory=lambda: list(DESTINATIONS))
    allowed_hosts: list[str] | None = None
    style_rules: list[StyleRuleSet] = Field(default_factory=list)
    # Alt text on attached images: `required` (a missing or unconfirmed one blocks approval like any
    # error), `optional` (a warning). Unset: required for brands with `style_rules: [pa-it]`.
    alt_text: Literal["required", "optional"] | None = None

    @field_validator("style_rules", mode="before")
    @classmethod
    def _check_style_rules(cls, value: object) -> object:
        value = [value] if isinstance(value, str) else value
        if isinstance(value, list):
            known = get_args(StyleRuleSet)
            unknown = [v for v in value if v not in known]
            if unknown:
                raise ValueError(f"unknown style rule set {unknown[0]!r}: the sets are {', '.join(known)} "
                                 "(e.g. style_rules: [pa-it])")
            return list(dict.fromkeys(value))
        return value

    @field_validator("allowed_providers")
    @classmethod
    def _check_providers(cls, value: list[str]) -> list[str]:
        names = [v.strip().lower() for v in value]
        unknown = [n for n in names if n not in DESTINATIONS]
        if unknown:
            raise ValueError(f"unknown provider {unknown[0]!r}: list local, compatible and/or openai "
                             "(fake, the test provider, is always allowed)")
        if not names:
            raise ValueError("empty: list at least one of local, compatible, openai (without the key all are allowed)")
        return list(dict.fromkeys(names))

    @field_validator("allowed_hosts")
    @classmethod
    def _check_hosts(cls, value: list[str] | None, info) -> list[str] | None:
        if value is None:
            return None
        if "compatible" not in info.data.get("allowed_providers", DESTINATIONS):
            raise ValueError("lists hosts of compatible servers, but allowed_providers does not include "
                             "compatible: add it there, or remove allowed_hosts")
        if not value:
            raise ValueError("empty: list the hosts of the compatible servers allowed (e.g. 127.0.0.1:11434), "
                             "or remove the key (any host)")
        return list(dict.fromkeys(_host_entry(v) for v in value))

    @field_validator("approval")
    @classmethod
    def _check_approval(cls, value: list[str]) -> list[str]:
        if value not in (["internal"], ["internal", "client"]):
            raise ValueError("approval is [internal] or [internal, client] (the client approves last)")
        return value

    @field_validator("disclosure")
    @classmethod
    def _check_disclosure(cls, value: dict[str, str]) -> dict[str, str]:
        out = {_iso_639_1(k): " ".join(str(v).split()) for k, v in value.items()}
        for lang, text in out.items():
            if not text or set(re.findall(r"{([^{}]*)}", text)) - {"approver"}:
                raise ValueError(f"{lang}: write the disclosure text; its only placeholder is {{approver}}")
        return out

    @property
    def alt_text_required(self) -> bool:
        """Must every attached image carry alt text confirmed by a person (`alt_text`)?"""
        return self.alt_text == "required" if self.alt_text is not None else "pa-it" in self.style_rules

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


# --- where a brand's material may go ------------------------------------------------------------

def _host(host: str, port: int | None) -> str:
    name = f"[{host}]" if ":" in host else host
    return f"{name}:{port}" if port else name


def _host_entry(raw: str) -> str:
    """An `allowed_hosts` entry, normalised: "llm.example.com", "127.0.0.1:11434", "[::1]:8080"."""
    text = raw.strip().lower()
    problem = ValueError(f"{raw!r} is not a host: write the host name or host:port of the compatible server's "
                         "base URL, without scheme or path (e.g. 127.0.0.1:11434, llm.example.com, [::1]:8080)")
    if not text or "://" in text or any(c in text for c in "/?#@ \t"):
        raise problem
    try:
        parts = urlsplit(f"//{text}")
        host, port = parts.hostname, parts.port
    except ValueError:
        raise problem from None
    if not host:
        raise problem
    return _host(host, port)


def url_host(base_url: str | None) -> str | None:
    """The host:port a base URL sends to (the scheme's port when none is written), lowercased."""
    if not base_url:
        return None
    try:
        parts = urlsplit(base_url.strip())
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return base_url.strip()
    return _host(parts.hostname, port) if parts.hostname else base_url.strip()


def _host_listed(allowed: list[str] | None, base_url: str | None) -> bool:
    if allowed is None:
        return True
    try:
        parts = urlsplit((base_url or "").strip())
        host, port = parts.hostname, parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return False
    for entry in allowed:
        listed = urlsplit(f"//{entry}")
        if host and listed.hostname == host and listed.port in (None, port):
            return True
    return False


def check_destination(profile: BrandProfile, provider: str, base_url: str | None = None, *,
                      use: Literal["drafting", "embeddings"] = "drafting") -> None:
    """Raise `ProviderNotAllowed` when the brand's policy does not let its material go to `provider`
    (for a `compatible` server: to the host of `base_url`). Called before anything is sent; `fake`
    sends nothing anywhere and is always allowed."""
    if provider == "fake":
        return
    host = url_host(base_url) or ("api.openai.com" if provider == "openai" else None)
    params: dict[str, object] = {
        "brand": profile.name, "slug": profile.slug, "provider": provider, "host": host or "-", "use": use,
        "allowed": ", ".join(profile.allowed_providers), "hosts": ", ".join(profile.allowed_hosts or [])}
    where = f"{profile.slug or '<brand>'}/brand.yaml"
    if provider not in profile.allowed_providers:
        if use == "embeddings":
            raise ProviderNotAllowed(
                f"brand '{profile.name}' does not allow its material to go to the '{provider}' embedding model "
                f"(allowed_providers in {where}: {params['allowed']}); nothing was sent: use an allowed embedding "
                f"model (ASSISTANT_EMBEDDING=local or openai), or add '{provider}' to allowed_providers",
                code="embedding_refused", **params)
        raise ProviderNotAllowed(
            f"brand '{profile.name}' does not allow its material to go to provider '{provider}' (allowed_providers "
            f"in {where}: {params['allowed']}); nothing was sent: choose an allowed provider in the Models panel "
            f"(or ASSISTANT_PROVIDER), or add '{provider}' to allowed_providers", code="provider_refused", **params)
    if provider == "compatible" and not _host_listed(profile.allowed_hosts, base_url):
        raise ProviderNotAllowed(
            f"brand '{profile.name}' allows compatible servers only at {params['hosts']} (allowed_hosts in {where}), "
            f"not at {params['host']}; nothing was sent: point the compatible server at an allowed host in the "
            f"Models panel (or ASSISTANT_BASE_URL), choose another provider, or add '{params['host']}' to "
            "allowed_hosts", code="host_refused", **params)
