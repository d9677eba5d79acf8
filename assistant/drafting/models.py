"""The model choice made in the app: the administrators' provider panel (and `assistant models`)
saves who writes the drafts (provider, model, base URL, key) in `$ASSISTANT_HOME/models.json`.

- The file is made with 0600 permissions and refused when others can read it (like the session
  secret: whoever reads it holds the keys). Keys never leave it in full: shown as "sk-…abcd",
  never logged, never in the database, never in a repr.
- Every app process and command on the same ASSISTANT_HOME reads the same file, so a choice saved
  in one is used by all of them at their next draft, and survives a restart.
- The environment wins: a setting given by an environment variable, `.env` or a command-line flag
  is used instead of the saved one, field by field; `overrides` names the variable. A saved model
  or base URL belongs to the saved provider: when the environment chooses another provider, none
  of them applies.
- Keys per service (DESIGN.md): the OpenAI key is kept for OpenAI only; a compatible server's key
  is kept with the address of that server and goes to no other address.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError, field_validator

from assistant.accounts.permissions import require_admin
from assistant.accounts.schemas import Actor
from assistant.errors import ConfigError, InvalidRequest
from assistant.settings import Settings

log = logging.getLogger(__name__)

FILE_NAME = "models.json"
PANEL_PROVIDERS = ("local", "openai", "compatible")  # what the panel offers (`fake` is for tests)
ProviderName = Literal["local", "openai", "compatible", "fake"]
# The settings the choice can set, and the environment variables that win over it.
VARIABLES: dict[str, tuple[str, ...]] = {
    "provider": ("ASSISTANT_PROVIDER",),
    "model": ("ASSISTANT_MODEL",),
    "base_url": ("ASSISTANT_BASE_URL",),
    "local_model_path": ("ASSISTANT_LOCAL_MODEL_PATH",),
    "openai_api_key": ("OPENAI_API_KEY", "ASSISTANT_OPENAI_API_KEY"),
    "compatible_api_key": ("ASSISTANT_COMPATIBLE_API_KEY",),
}
Problem = Literal["url_missing", "url_scheme", "url_invalid", "key_missing", "model_file_missing"]


class ModelChoice(BaseModel):
    """What the panel saved. Keys are `SecretStr`: a repr, a log line or an error shows `**********`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    provider: ProviderName | None = None
    model: str | None = None
    base_url: str | None = None
    local_model_path: str | None = None
    openai_api_key: SecretStr | None = None
    compatible_api_key: SecretStr | None = None
    compatible_key_url: str | None = None  # the one server the compatible key goes to
    updated_by: str | None = None
    updated_at: str | None = None

    @field_validator("provider", "model", "base_url", "local_model_path", "compatible_key_url", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    @field_validator("openai_api_key", "compatible_api_key", mode="before")
    @classmethod
    def _blank_key(cls, value: object) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        return value.strip() or None if isinstance(value, str) else value

    def key(self) -> str | None:
        """The key of the chosen provider (the OpenAI key for openai, the server's own for compatible)."""
        secret = {"openai": self.openai_api_key, "compatible": self.compatible_key()}.get(self.provider or "")
        return secret.get_secret_value() if secret else None

    def compatible_key(self) -> SecretStr | None:
        """The compatible key, only for the server it was given for."""
        same = same_url(self.compatible_key_url, self.base_url)
        return self.compatible_api_key if same else None

    def public(self) -> dict[str, object]:
        """What may be shown or printed: the keys masked."""
        return {"provider": self.provider, "model": self.model, "base_url": self.base_url,
                "local_model_path": self.local_model_path, "key": mask(self.key()),
                "updated_by": self.updated_by, "updated_at": self.updated_at}


def same_url(a: str | None, b: str | None) -> bool:
    return bool(a and b) and a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()  # type: ignore[union-attr]


def mask(key: str | None) -> str:
    """A key as it may be shown again: "sk-…abcd" (short keys show only their last two characters)."""
    if not key:
        return ""
    if len(key) >= 16:
        return f"{key[:3]}…{key[-4:]}"
    return f"…{key[-2:]}" if len(key) >= 8 else "…"


class ModelStore:
    """The saved choice: one JSON file with 0600 permissions in ASSISTANT_HOME."""

    def __init__(self, home: Path) -> None:
        self.path = Path(home) / FILE_NAME

    def __repr__(self) -> str:
        return f"ModelStore({str(self.path)!r})"

    def stamp(self) -> tuple[int, int, int] | None:
        """Changes whenever the file is saved again (by any process): None when nothing is saved."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def load(self) -> ModelChoice:
        if not self.path.exists():
            return ModelChoice()
        mode = stat.S_IMODE(self.path.stat().st_mode)
        if mode & 0o077:
            raise ConfigError(f"{self.path} can be read by others (mode {mode:o}): run `chmod 600 {self.path}`, or "
                              "delete it and choose the model again")
        try:
            return ModelChoice.model_validate(json.loads(self.path.read_text(encoding="utf-8")))
        except (ValueError, ValidationError):
            raise ConfigError(f"{self.path} is not a saved model choice: delete it and choose the model again") from None

    def save(self, choice: ModelChoice, *, by: Actor) -> ModelChoice:
        """Write `choice` (only an administrator of the installation may): atomically, 0600."""
        require_admin(by, "manage_models")
        if problems(choice):
            raise InvalidRequest(f"the model choice is incomplete: {', '.join(problems(choice))}")
        stamped = choice.model_copy(update={"updated_by": by.username or by.label,
                                            "updated_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        data = stamped.model_dump(mode="json")
        for key in ("openai_api_key", "compatible_api_key"):
            secret = getattr(stamped, key)
            data[key] = secret.get_secret_value() if secret else None
        self._write(json.dumps(data, indent=2))
        log.info("model choice saved by %s: provider=%s model=%s base_url=%s", stamped.updated_by,
                 stamped.provider, stamped.model, stamped.base_url)
        return stamped

    def _write(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{FILE_NAME}.{os.getpid()}.{time.monotonic_ns()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(tmp, 0o600)  # whatever the umask
            os.replace(tmp, self.path)  # atomic: a reader sees the old choice or the new one
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def changed(current: ModelChoice, *, provider: str, model: str | None = None, base_url: str | None = None,
            local_model_path: str | None = None, api_key: str | None = None, forget_key: bool = False) -> ModelChoice:
    """The saved choice with what the panel's form says. A blank key keeps the saved key of that
    provider; the compatible key stays only while the server's address stays the same."""
    values = {"provider": provider, "model": model, "base_url": base_url if provider == "compatible" else None,
              "local_model_path": local_model_path if provider == "local" else None}
    try:
        new = ModelChoice.model_validate({**dict(current), **values})
    except ValidationError:
        raise InvalidRequest(f"unknown provider {provider!r}: use one of {', '.join(PANEL_PROVIDERS)}") from None
    key = (api_key or "").strip()
    if provider == "openai":
        new = new.model_copy(update={"openai_api_key": SecretStr(key) if key else
                                     (None if forget_key else current.openai_api_key)})
    if provider == "compatible":
        kept = current.compatible_api_key if same_url(current.compatible_key_url, new.base_url) else None
        secret = SecretStr(key) if key else (None if forget_key else kept)
        new = new.model_copy(update={"compatible_api_key": secret,
                                     "compatible_key_url": new.base_url if secret else None})
    return new


def problems(choice: ModelChoice, settings: Settings | None = None) -> list[Problem]:
    """What keeps `choice` from working, as codes the panel shows in the reader's language (with
    `settings`, a missing OpenAI key too: the environment may give it)."""
    found: list[Problem] = []
    if choice.provider == "compatible":
        if not choice.base_url:
            found.append("url_missing")
        elif not choice.base_url.lower().startswith(("http://", "https://")):
            found.append("url_scheme")
        elif not _well_formed(choice.base_url):
            found.append("url_invalid")
    if settings is not None and choice.provider == "openai" and not (choice.openai_api_key or settings.openai_api_key):
        found.append("key_missing")  # checked only when the environment's own key is known
    if choice.provider == "local" and choice.local_model_path and not Path(choice.local_model_path).expanduser().is_file():
        found.append("model_file_missing")
    return found


def _well_formed(url: str) -> bool:
    from urllib.parse import urlparse

    try:
        parsed = urlparse(url)
        parsed.port  # noqa: B018 - raises on a port that is not a number from 0 to 65535
    except ValueError:
        return False
    return bool(parsed.hostname) and " " not in url


# --- what the drafts use ------------------------------------------------------------------------

def overrides(settings: Settings) -> dict[str, str]:
    """The settings of the choice that the environment (or `.env`, or a flag) gives, with the
    variable that gives each: they win over the saved choice."""
    env = {k.upper() for k in os.environ}
    out = {}
    for name, variables in VARIABLES.items():
        if name in settings.model_fields_set:
            out[name] = next((v for v in variables if v in env), variables[0])
    return out


def effective_settings(settings: Settings, choice: ModelChoice) -> Settings:
    """`settings` with the saved choice filled in where the environment says nothing."""
    explicit = settings.model_fields_set
    provider = settings.provider if "provider" in explicit else (choice.provider or settings.provider)
    if choice.provider is None or (provider or "").strip().lower() != choice.provider:
        return settings  # the saved model, address and key belong to another provider
    update: dict[str, object] = {"provider": choice.provider}
    for name in ("model", "base_url", "local_model_path", "openai_api_key"):
        value = getattr(choice, name)
        if name not in explicit and value is not None:
            update[name] = Path(value).expanduser() if name == "local_model_path" else value
    base_url = update.get("base_url", settings.base_url)
    if "compatible_api_key" not in explicit and same_url(choice.compatible_key_url, base_url):  # type: ignore[arg-type]
        update["compatible_api_key"] = choice.compatible_api_key
    return settings.model_copy(update=update)


def candidate_settings(settings: Settings, choice: ModelChoice) -> Settings:
    """The settings a "test connection" uses: the form's choice over everything; a key not typed
    is the one the environment gives for the same service (for a compatible server: the same address)."""
    openai_key = choice.openai_api_key or settings.openai_api_key
    own = choice.compatible_key()
    if own is None and same_url(settings.base_url, choice.base_url):
        own = settings.compatible_api_key
    return settings.model_copy(update={
        "provider": choice.provider, "model": choice.model, "base_url": choice.base_url,
        "local_model_path": Path(choice.local_model_path).expanduser() if choice.local_model_path else None,
        "openai_api_key": openai_key if choice.provider == "openai" else None,
        "compatible_api_key": own if choice.provider == "compatible" else None,
        "llm_max_retries": 0, "llm_timeout": min(settings.llm_timeout, 30.0)})


@dataclass(frozen=True)
class ModelStatus:
    """What drafting uses now, and why: for the panel and `assistant models show`."""

    provider: str
    model: str
    base_url: str | None
    key: str  # masked
    key_from: str | None  # the variable that gives the key, "saved" (the panel), or None (no key)
    overrides: dict[str, str] = field(default_factory=dict)
    saved: dict[str, object] = field(default_factory=dict)  # the saved choice, keys masked


def status(settings: Settings, choice: ModelChoice) -> ModelStatus:
    from assistant.drafting.providers import DEFAULT_OPENAI_MODEL, resolve_provider_name

    effective = effective_settings(settings, choice)
    won = overrides(settings)
    name = resolve_provider_name(effective)
    key_field = {"openai": "openai_api_key", "compatible": "compatible_api_key"}.get(name)
    secret = getattr(effective, key_field) if key_field else None
    key_from = None
    if secret is not None:
        key_from = won.get(key_field, "saved") if key_field else None
    default = {"openai": DEFAULT_OPENAI_MODEL, "compatible": "default", "local": "bundled", "fake": "fake-echo-1"}
    model = effective.model or (str(effective.local_model_path) if name == "local" and effective.local_model_path
                                else default.get(name, ""))
    return ModelStatus(provider=name, model=model, base_url=effective.base_url if name == "compatible" else None,
                       key=mask(secret.get_secret_value() if secret else None), key_from=key_from, overrides=won,
                       saved=choice.public())


# --- test connection ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ConnectionCheck:
    """One short completion: the model's answer, or the failure in the provider's own words."""

    ok: bool
    provider: str
    model: str
    answer: str = ""
    failure: str | None = None  # auth, not_found, rate_limit, timeout, unreachable, status, config, unexpected, empty
    detail: str = ""  # the provider's exact words (keys masked)
    latency_ms: int = 0


def check_connection(settings: Settings, choice: ModelChoice, *, by: Actor) -> ConnectionCheck:
    """Build the provider of `choice` and ask it for one short sentence."""
    from assistant.drafting import prompts
    from assistant.drafting.providers import build_provider
    from assistant.drafting.providers.check import failure

    require_admin(by, "manage_models")
    candidate = candidate_settings(settings, choice)
    secrets = [s.get_secret_value() for s in (candidate.openai_api_key, candidate.compatible_api_key) if s]
    started = time.perf_counter()
    name, model = choice.provider or "", choice.model or ""
    try:
        provider = build_provider(candidate)
        name, model = provider.name, provider.model
        messages = [{"role": "user", "content": prompts.load("connection").render()}]
        answer = provider.complete(messages, temperature=0.0, max_tokens=40).strip()
    except Exception as exc:  # noqa: BLE001 - a diagnosis: whatever failed is shown, in the provider's words
        kind, detail = failure(exc)
        for secret in secrets:
            detail = detail.replace(secret, mask(secret))
        log.info("connection test of %s failed: %s", name, kind)
        return ConnectionCheck(False, name, model, failure=kind, detail=detail, latency_ms=_since(started))
    if not answer:
        return ConnectionCheck(False, name, model, failure="empty", latency_ms=_since(started))
    return ConnectionCheck(True, name, model, answer=answer, latency_ms=_since(started))


def _since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
