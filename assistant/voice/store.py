"""Every brand's voice model, trained from the knowledge record when needed and cached.

`VoiceModels` is what the drafter, the review queue, the web app and the CLI call. A brand's
model is trained lazily, on the first score after its posts changed:

- the check is cheap: the record's stamp of the brand's posts (their count and latest change, one
  indexed query) is compared with the one last seen in this process; only when it differs are
  the posts read and their fingerprint (their ids: content hashes, so fresh engagement figures
  change the stamp but not the fingerprint) compared with the model's;
- the web app does not wait for a training: `learn` trains in a background thread (one per brand
  at a time) while the cards say the voice is being learnt; `fresh` tells when a score would not
  train. The command line and the benches call `score`, which trains first when needed;
- the model is looked for in memory, then on disk (`cache_dir/voice/<slug>/`, see `model`), and
  trained only when neither matches the fingerprint. Files are a cache: corrupt or missing ones
  are retrained from the record;
- a refresh is a full retrain (cross-validation included) against the background's features,
  which are computed once per process: bench/voice.py measures it (a few seconds). An
  incremental update (partial_fit of an SGD model on the added posts) was not built: SGD fitted
  in full already scored a little below logistic regression (worst account 0.888 against 0.891,
  mean 0.948 against 0.950, same features), partial fits would drift further, a removed post
  cannot be unlearnt, and the calibration margins would go stale.

The brand's own posts are its imported posts and its approved drafts ("approved" exemplars: texts
people signed off as the brand's voice). Other brands' posts are read only when
`voice_use_other_brands` is on (a single-company installation, an administrator's choice); then
they join the background. When it is off they are never read, not even counted.

Thread-safe: one lock per brand (a brand trains once however many threads ask), models shared.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scipy import sparse

from assistant.brands import SLUG_RE
from assistant.errors import ConfigError
from assistant.knowledge.parsing import KnowledgeDoc
from assistant.knowledge.record import KnowledgeRecordStore
from assistant.settings import Settings
from assistant.voice import features
from assistant.voice.background import load_background
from assistant.voice.model import MODEL_VERSION, VoiceModel
from assistant.voice.schemas import MIN_POSTS, VoiceModelInfo, VoiceScore

log = logging.getLogger(__name__)

VOICE_KINDS = ("post", "approved")  # the record's kinds that are the brand's own voice


@dataclass(frozen=True)
class _Entry:
    """What this process knows of a brand: the record ids it last saw and what they gave."""

    stamp: str
    fingerprint: str
    posts: int
    model: VoiceModel | None


def _digest(parts: Sequence[str]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


def _distinct_texts(docs: Sequence[KnowledgeDoc], exclude: set[str] = frozenset()) -> list[str]:
    seen = set(exclude)
    out = []
    for doc in docs:
        key = " ".join(doc.text.split())
        if key and key not in seen:
            seen.add(key)
            out.append(doc.text)
    return out


def _scored(model: VoiceModel, texts: Sequence[str]) -> list[VoiceScore]:
    info = model.info
    return [VoiceScore(score=s, brand_median=info.median, raw=round(r, 6), model_id=info.model_id)
            for r, s in model.scores(list(texts))]


class VoiceModels:
    """Scores texts against a brand's voice; trains, saves and reloads the brand models."""

    def __init__(self, settings: Settings, record: KnowledgeRecordStore, *, use_other_brands: bool | None = None) -> None:
        self.settings = settings
        self.record = record
        self.use_other_brands = settings.voice_use_other_brands if use_other_brands is None else use_other_brands
        self.folder = settings.cache_dir / "voice"
        self.trainings = 0  # models trained by this instance (the bench and the tests read it)
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()  # guards `_locks`
        self._background_lock = threading.Lock()
        self._background: tuple[str, sparse.csr_matrix] | None = None
        self._learning: set[str] = set()  # brands `learn` is training now
        self._failed: dict[str, str] = {}  # brand -> the stamp its last background training failed on

    # --- the public API -------------------------------------------------------------------------

    def score(self, slug: str, text: str) -> VoiceScore | None:
        """How much `text` sounds like the brand; None when the brand has fewer than `MIN_POSTS` posts."""
        return self.scores(slug, [text])[0]

    def scores(self, slug: str, texts: Sequence[str]) -> list[VoiceScore | None]:
        """`score` for many texts at once (one featurization, one model check)."""
        model = self._model(slug)
        return _scored(model, texts) if model is not None else [None] * len(texts)

    def assess(self, slug: str, text: str) -> tuple[VoiceScore, VoiceModelInfo] | None:
        """`score` of `text` with the model's facts (quartiles, posts) from the same model check;
        None when the brand has fewer than `MIN_POSTS` posts."""
        model = self._model(slug)
        return (_scored(model, [text])[0], model.info) if model is not None else None

    def train(self, slug: str, *, force: bool = False) -> VoiceModelInfo | None:
        """Bring the brand's model up to date (with `force`: train it again whatever is saved)."""
        model = self._model(slug, force=force)
        return model.info if model else None

    def info(self, slug: str) -> VoiceModelInfo | None:
        """The brand's model facts (training it first if its posts changed); None below `MIN_POSTS`."""
        return self.train(slug)

    def fresh(self, slug: str) -> bool:
        """Whether the brand's model is up to date in this process: a score would not train."""
        entry = self._entries.get(slug)
        return entry is not None and entry.stamp == self._stamp(slug)

    def learn(self, slug: str) -> bool:
        """Bring the brand's model up to date in a background thread, unless it is fresh, already
        being learnt, or failed on these same posts (then `score` raises the reason). Returns
        whether it is being learnt now."""
        self._folder(slug)  # a bad slug fails here, in the caller
        if self.fresh(slug):
            return False
        stamp = self._stamp(slug)
        with self._lock:
            if slug in self._learning:
                return True
            if self._failed.get(slug) == stamp:
                return False
            self._learning.add(slug)

        def run() -> None:
            try:
                self._model(slug)
            except Exception:
                log.warning("learning the voice of %s failed", slug, exc_info=True)
                self._failed[slug] = stamp
            finally:
                with self._lock:
                    self._learning.discard(slug)

        threading.Thread(target=run, daemon=True, name=f"voice-{slug}").start()
        return True

    def learning(self, slug: str) -> bool:
        """Whether `learn` is training the brand's model right now."""
        with self._lock:
            return slug in self._learning

    def posts(self, slug: str) -> int:
        """How many distinct posts of the brand's own the model learns from (for "n of 20")."""
        self._model(slug)
        entry = self._entries.get(slug)
        return entry.posts if entry else 0

    # --- keeping models fresh -------------------------------------------------------------------

    def _slug_lock(self, slug: str) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(slug, threading.Lock())

    def _folder(self, slug: str) -> Path:
        if not SLUG_RE.match(slug):
            raise ValueError(f"{slug!r} is not a brand slug")
        return self.folder / slug

    def _other_slugs(self, slug: str) -> list[str]:
        return [b for b in self.record.brands() if b != slug] if self.use_other_brands else []

    def _stamp(self, slug: str) -> str:
        return _digest([f"{b}:{self.record.stamp(b, VOICE_KINDS)}" for b in [slug, *self._other_slugs(slug)]])

    def _model(self, slug: str, *, force: bool = False) -> VoiceModel | None:
        folder = self._folder(slug)
        with self._slug_lock(slug):
            stamp = self._stamp(slug)
            entry = self._entries.get(slug)
            if entry is not None and not force and entry.stamp == stamp:
                return entry.model
            docs = self.record.documents(slug, kinds=VOICE_KINDS)
            own = _distinct_texts(docs)
            others = self._other_texts(slug, set(" ".join(t.split()) for t in own))
            background = load_background()
            fingerprint = _digest([f"v{MODEL_VERSION}.{features.FEATURES_VERSION}", background.digest,
                                   *sorted(d.id for d in docs), "others", *sorted(others)])[:32]
            if entry is not None and not force and entry.fingerprint == fingerprint:
                model = entry.model
            elif len(own) < MIN_POSTS:
                model = None
            else:
                saved = None if force else VoiceModel.load(folder)
                model = saved if saved is not None and saved.info.fingerprint == fingerprint else None
                if model is None:
                    counts = {k: sum(d.kind == k for d in docs) for k in VOICE_KINDS}
                    model = self._trained(slug, own, others, fingerprint, counts)
            self._entries[slug] = _Entry(stamp=stamp, fingerprint=fingerprint, posts=len(own), model=model)
            return model

    def _other_texts(self, slug: str, exclude: set[str]) -> list[str]:
        """Other brands' posts for the background: only with `use_other_brands` (else none is read)."""
        if not self.use_other_brands:
            return []
        docs = [d for other in self._other_slugs(slug) for d in self.record.documents(other, kinds=VOICE_KINDS)]
        return _distinct_texts(docs, exclude)

    def _background_matrix(self) -> sparse.csr_matrix:
        """The shipped background's features, computed once per process (per corpus)."""
        background = load_background()
        with self._background_lock:
            if self._background is None or self._background[0] != background.digest:
                self._background = (background.digest, features.featurize(background.texts))
            return self._background[1]

    def _trained(self, slug: str, own: list[str], others: list[str], fingerprint: str,
                 counts: dict[str, int]) -> VoiceModel:
        matrix = self._background_matrix()
        if others:
            matrix = sparse.vstack([matrix, features.featurize(others)], format="csr")
        if matrix.shape[0] == 0:
            raise ConfigError("the voice background corpus (assistant/voice/data/background/*.jsonl) is missing or "
                              "empty: reinstall Copydesk (the files ship inside the package)", code="voice_no_background")
        model = VoiceModel.train(slug, own, matrix, fingerprint=fingerprint, other_brands_posts=len(others),
                                 counts=counts)
        self.trainings += 1
        try:
            model = model.save(self._folder(slug))
        except OSError as exc:  # a read-only or full cache: the model still works in memory
            log.warning("voice model of %s not saved (%s); it will be trained again next time", slug, exc)
        log.info("voice model of %s: %d posts, %d features, %.2f s, %d bytes, cv AUC %.3f", slug, model.info.posts,
                 model.info.features, model.info.train_seconds, model.info.size_bytes, model.info.cv_auc)
        return model
