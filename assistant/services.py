"""Services: everything the CLI and the UI use, built once from settings, lazily.

No module-level singletons: the CLI builds one `Services` per command, the Streamlit app one per
server process (cached), and each test its own.
"""

from __future__ import annotations

import logging
import threading
from functools import cached_property
from typing import TYPE_CHECKING

from assistant.text import tokens
from assistant.brands import SLUG_RE, Brand, list_brand_slugs, load_brand
from assistant.errors import BrandNotFound, ProviderNotAllowed
from assistant.knowledge.embeddings import Embedder, build_embedder
from assistant.knowledge.ingestion import KnowledgeBase
from assistant.knowledge.retrieval import Retriever
from assistant.settings import Settings, load_settings
from assistant.knowledge.vectorstore import VectorStore

if TYPE_CHECKING:  # drafting pulls in the LLM stack: imported on first use only
    from assistant.accounts import Actor, Directory
    from assistant.accounts.sessions import Sessions
    from assistant.accounts.shares import ShareLinks
    from assistant.desk import Desk, Jobs
    from assistant.drafting.drafter import Drafter
    from assistant.drafting.models import ModelStore
    from assistant.platforms import PlatformRule
    from assistant.drafting.providers import Provider
    from assistant.drafting.passages import Choices
    from assistant.drafting.warming import Warmer, Warming
    from assistant.media import Attachments, MediaLibrary
    from assistant.publishing.connections import Connections
    from assistant.publishing.notifications import Notifications
    from assistant.publishing.outbox import Outbox, ScheduleHook
    from assistant.review import ReviewQueue
    from assistant.voice import VoiceModels

log = logging.getLogger(__name__)


class Services:
    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None,
                 provider: Provider | None = None) -> None:
        self.settings = settings or load_settings()
        self.settings.ensure_dirs()
        self._embedder = embedder
        self._brands: dict[str, tuple[int, Brand]] = {}  # slug -> (brand.yaml mtime, parsed profile)
        self._fixed_provider = provider  # given (tests): used as it is, whatever is saved
        self._built_provider: tuple[object, Provider] | None = None  # (the saved choice's stamp, provider)
        self._provider_lock = threading.Lock()
        tokens.cache_dir(self.settings.cache_dir / "tiktoken")  # pin tiktoken's cache before anything imports it lazily

    @cached_property
    def embedder(self) -> Embedder:
        return self._embedder or build_embedder(self.settings)

    @cached_property
    def store(self) -> VectorStore:
        return VectorStore(self.settings, self.embedder)

    @cached_property
    def knowledge(self) -> KnowledgeBase:
        from assistant.knowledge.record import KnowledgeRecordStore

        # The record lives in the same database as the review queue (one system of record).
        return KnowledgeBase(self.store, self.embedder, KnowledgeRecordStore(self.review),
                             max_bytes=self.settings.max_upload_bytes, guard=self.allow_embedding)

    @cached_property
    def voice(self) -> VoiceModels:
        """The brands' voice-match models (trained from the knowledge record, cached on disk)."""
        from assistant.knowledge.record import KnowledgeRecordStore
        from assistant.voice import VoiceModels

        return VoiceModels(self.settings, KnowledgeRecordStore(self.review))

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.store, self.embedder, guard=self.allow_embedding)

    def allow_embedding(self, slug: str, by: Actor | None = None) -> None:
        """The brand's policy on where its material may go, for the embedding model: a refusal is
        recorded against `by` and raised before anything is embedded. A slug without a brand
        folder has no policy (everything is allowed); `fake` sends nothing anywhere."""
        from assistant.knowledge.embeddings import check_embedder

        if self.embedder.provider == "fake":
            return
        try:
            profile = self.brand(slug).profile
        except BrandNotFound:
            return
        try:
            check_embedder(profile, self.embedder)
        except ProviderNotAllowed as exc:
            self.refused(exc, by)
            raise

    def refused(self, exc: ProviderNotAllowed, by: Actor | None) -> None:
        """A request refused by a brand's policy, in the account log ("provider_refused": the brand,
        the provider and host, what for, and who asked). The refusal stands even if this fails."""
        try:
            self.people.record("provider_refused", by, exc.record())
        except Exception:  # the database is away: the refusal is still the answer, and logged here
            log.exception("could not record the refusal of %s for brand %s", exc.params.get("provider"),
                          exc.params.get("slug"))

    @cached_property
    def models(self) -> ModelStore:
        """The model choice saved in the app (the administrators' panel, `assistant models set`)."""
        from assistant.drafting.models import ModelStore

        return ModelStore(self.settings.home)

    def model_settings(self) -> Settings:
        """The settings drafting uses: the environment first, then the choice saved in the app."""
        from assistant.drafting.models import effective_settings

        return effective_settings(self.settings, self.models.load())

    @property
    def provider(self) -> Provider:
        """Who writes the drafts (`model_settings`), built again when the saved choice changes, in
        this process or another one on the same home."""
        if self._fixed_provider is not None:
            return self._fixed_provider
        from assistant.drafting.providers import build_provider

        with self._provider_lock:
            stamp = self.models.stamp()
            if self._built_provider is None or self._built_provider[0] != stamp:
                self._built_provider = (stamp, build_provider(self.model_settings()))
            return self._built_provider[1]

    @cached_property
    def rules(self) -> dict[str, PlatformRule]:
        from assistant.platforms import get_rules

        return get_rules(self.settings.platform_overrides)

    def drafter(self, provider: Provider | None = None, *, actor: Actor | None = None) -> Drafter:
        """A drafter; with `actor`, every draft and refinement checks their role on the brand."""
        from assistant.drafting.drafter import Drafter
        from assistant.drafting.pricing import price_table

        return Drafter(retriever=self.retriever, provider=provider or self.provider,
                       prices=price_table(self.settings), rules=self.rules, load_brand=self.brand,
                       prompt_budget=self.settings.prompt_budget, max_output_tokens=self.settings.max_output_tokens,
                       actor=actor, refused=self.refused, warmer=self.warmer, choices=self.passage_choices)

    @cached_property
    def passage_choices(self) -> Choices:
        """Each brand's fixed guideline passages, chosen once per process (until they change)."""
        from assistant.drafting.passages import Choices

        return Choices()

    @cached_property
    def warmer(self) -> Warmer:
        """Prompt-cache warm-ups, one set per process: deduplicated across page runs and drafters."""
        from assistant.drafting.warming import Warmer

        return Warmer()

    def warm(self, slug: str, platform: str | None = None, *, actor: Actor | None = None) -> Warming | None:
        """When a brand is chosen: the brand's part of the draft prompt sent in the background to a
        provider that caches prompts (the local model), so the first draft starts sooner. Returns
        at once, cheap to call on every page run; None when there is nothing to warm."""
        return self.drafter(actor=actor).warm(slug, platform)

    @cached_property
    def review(self) -> ReviewQueue:
        """The review queue (migrated on first use), wired to brand rules and the exemplar loop."""
        from assistant.review import ReviewQueue

        return ReviewQueue.from_services(self)

    @cached_property
    def media(self) -> MediaLibrary:
        """The brands' media libraries: files under home/media, rows in the queue's database."""
        from assistant.media import MediaLibrary

        return MediaLibrary.from_settings(self.review, self.settings)

    @cached_property
    def attachments(self) -> Attachments:
        """Media attached to review items, in order, with alt text."""
        from assistant.media import Attachments

        return Attachments(self.review, self.media)

    @cached_property
    def scheduling(self) -> ScheduleHook:
        """What scheduling an item also does: its posts to the brand's connected accounts enter the outbox."""
        from assistant.db.engine import utcnow
        from assistant.publishing.outbox import ScheduleHook

        return ScheduleHook(utcnow)

    @cached_property
    def connections(self) -> Connections:
        """The brands' connected accounts (secrets sealed with the installation's key, read when needed)."""
        from assistant.publishing.connections import Connections
        from assistant.publishing.vault import Vault

        return Connections(self.review, lambda: Vault.from_settings(self.settings), brand_exists=self.brand)

    @cached_property
    def outbox(self) -> Outbox:
        """The durable outbox of posts to publish (`assistant worker` runs it)."""
        from assistant.publishing.outbox import Outbox

        return Outbox.from_settings(self.review, self.connections, self.settings, attachments=lambda item_id: self.attachments.list(item_id))

    @cached_property
    def notifications(self) -> Notifications:
        from assistant.publishing.notifications import Notifications

        return Notifications(self.review)

    @cached_property
    def desk(self) -> Desk:
        """Drafting sessions, in the same database as the queue (a card's media: from the brands' libraries)."""
        from datetime import timedelta

        from assistant.desk import Desk

        return Desk(self.review, stale=timedelta(seconds=self.settings.job_stale_seconds), media=self.media)

    @cached_property
    def jobs(self) -> Jobs:
        """Drafting jobs run by this process (one heartbeat for all of them)."""
        from assistant.desk import Jobs

        return Jobs(self.desk, lambda actor: self.drafter(actor=actor))

    @property
    def people(self) -> Directory:
        """Users and roles, in the same database as the queue."""
        return self.review.people

    @cached_property
    def secret(self) -> str:
        from assistant.accounts.secret import load_secret

        configured = self.settings.session_secret
        return load_secret(self.settings.home, configured.get_secret_value() if configured else None)

    @cached_property
    def sessions(self) -> Sessions:
        from assistant.accounts.sessions import Sessions

        return Sessions(self.people, self.secret, hours=self.settings.session_hours)

    @cached_property
    def shares(self) -> ShareLinks:
        from assistant.accounts.shares import ShareLinks

        return ShareLinks(self.people, self.secret)

    def share_url(self, token: str) -> str:
        return f"{self.settings.public_url}/client/{token}"

    def brands(self, actor: Actor | None = None) -> list[Brand]:
        """Every brand, or with `actor` the brands they hold a role on ("all brands" = all of theirs)."""
        slugs = list_brand_slugs(self.settings.brands_dir)
        if actor is not None:
            from assistant.accounts import visible_brands

            slugs = visible_brands(actor, slugs)
        return [self.brand(slug) for slug in slugs]

    def brand(self, slug: str) -> Brand:
        """The brand's profile, parsed again only when its brand.yaml changes (every page run and
        every draft asks for it)."""
        if not SLUG_RE.match(slug):
            return load_brand(self.settings.brands_dir, slug)  # raises with the reason
        try:
            mtime = (self.settings.brands_dir / slug / "brand.yaml").stat().st_mtime_ns
        except OSError:
            return load_brand(self.settings.brands_dir, slug)  # raises BrandNotFound
        cached = self._brands.get(slug)
        if cached is None or cached[0] != mtime:
            cached = self._brands[slug] = (mtime, load_brand(self.settings.brands_dir, slug))
        return cached[1]
