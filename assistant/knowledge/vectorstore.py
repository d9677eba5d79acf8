"""Chroma: one collection per brand. The only module that imports chromadb / langchain_chroma.

Isolation between an agency's clients is structural: every call takes a brand slug and opens
that brand's own collection; there is no call that reads across collections. Embeddings are
always computed by our embedder and passed in, so Chroma never loads (or downloads) a model.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from assistant.knowledge.embeddings import Embedder
from assistant.errors import ConfigError
from assistant.knowledge.parsing import KnowledgeDoc
from assistant.settings import Settings

COLLECTION_PREFIX = "brand-"
_WRITE_BATCH = 1000
COUNT_TTL = 2.0  # seconds: how stale another process's writes may look to `generation`


@dataclass(frozen=True)
class Hit:
    id: str
    text: str
    metadata: dict[str, Any]
    similarity: float  # cosine similarity, 1 = same direction
    embedding: np.ndarray | None


def collection_name(slug: str) -> str:
    return f"{COLLECTION_PREFIX}{slug}"


class VectorStore:
    """Brand collections in an embedded Chroma (default) or a Chroma server."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self._client: Any = None
        self._collections: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._generation: dict[str, int] = {}  # bumped on every write: lets readers cache safely
        self._counts: dict[str, tuple[float, int]] = {}  # slug -> (when read, collection count)

    @property
    def location(self) -> str:
        s = self.settings
        if s.chroma_host:
            return f"{'https' if s.chroma_ssl else 'http'}://{s.chroma_host}:{s.chroma_port}"
        return str(s.chroma_dir)

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                chroma_settings = ChromaSettings(anonymized_telemetry=False)
                s = self.settings
                try:
                    if s.chroma_host:
                        self._client = chromadb.HttpClient(
                            host=s.chroma_host, port=s.chroma_port, ssl=s.chroma_ssl, settings=chroma_settings
                        )
                        self._client.heartbeat()
                    else:
                        s.chroma_dir.mkdir(parents=True, exist_ok=True)
                        self._client = chromadb.PersistentClient(path=str(s.chroma_dir), settings=chroma_settings)
                except Exception as exc:
                    self._client = None
                    raise ConfigError(
                        f"cannot open the Chroma store at {self.location} ({exc}); check ASSISTANT_CHROMA_HOST / "
                        "ASSISTANT_CHROMA_PORT, or unset them to use the embedded store under ASSISTANT_HOME"
                    ) from exc
            return self._client

    def collection(self, slug: str) -> Any:
        """The brand's collection, created on first use; refuses one built by another embedder."""
        with self._lock:
            col = self._collections.get(slug)
            if col is None:
                col = self.client().get_or_create_collection(
                    collection_name(slug),
                    # ef_search above the default 10: recall on dense, similar posts (the same brand's voice)
                    configuration={"hnsw": {"space": "cosine", "ef_search": 64}},
                    metadata={"brand": slug, "embedding_model": self.embedder.name},
                    embedding_function=None,
                )
                built_with = (col.metadata or {}).get("embedding_model")
                if built_with and built_with != self.embedder.name:
                    raise ConfigError(
                        f"brand '{slug}' was indexed with {built_with}, but {self.embedder.name} is configured; "
                        f"run `assistant ingest {slug}` (it re-embeds the brand from the record) or set "
                        f"ASSISTANT_EMBEDDING / ASSISTANT_EMBEDDING_MODEL back"
                    )
                self._collections[slug] = col
            return col

    def built_with(self, slug: str) -> str | None:
        """The embedding model that made the brand's stored vectors (recorded on its collection),
        or None when the brand has no collection yet."""
        if not self.has_collection(slug):
            return None
        col = self.client().get_collection(collection_name(slug), embedding_function=None)
        return (col.metadata or {}).get("embedding_model")

    def has_collection(self, slug: str) -> bool:
        return collection_name(slug) in {c if isinstance(c, str) else c.name for c in self.client().list_collections()}

    def generation(self, slug: str) -> tuple[int, int]:
        """Changes whenever this brand's collection changes: at once for this process's writes, and
        within COUNT_TTL seconds for another process's (the collection's count, read at most that
        often: a count costs ~1 ms at 10,000 posts, a tenth of a query's budget)."""
        now = time.monotonic()
        seen = self._counts.get(slug)
        if seen is None or now - seen[0] > COUNT_TTL:
            seen = self._counts[slug] = (now, self.collection(slug).count())
        return self._generation.get(slug, 0), seen[1]

    def _touch(self, slug: str) -> None:
        self._generation[slug] = self._generation.get(slug, 0) + 1

    def all_of_kind(self, slug: str, kind: str) -> tuple[list[str], list[str], list[dict[str, Any]], np.ndarray]:
        """Every document of one kind with its embedding (for small kinds such as guidelines)."""
        got = _get_all(self.collection(slug), where={"kind": kind}, include=["documents", "metadatas", "embeddings"])
        vectors = np.asarray(got["embeddings"], dtype=np.float32) if len(got["ids"]) else np.empty((0, 0), np.float32)
        return list(got["ids"]), list(got["documents"]), [dict(m or {}) for m in got["metadatas"]], vectors

    def all_ids(self, slug: str) -> set[str]:
        col = self.collection(slug)
        out: set[str] = set()
        total, offset = col.count(), 0
        while offset < total:
            out.update(col.get(include=[], limit=_WRITE_BATCH * 5, offset=offset)["ids"])
            offset += _WRITE_BATCH * 5
        return out

    def documents(self, slug: str, kinds: Sequence[str]) -> list[tuple[str, str, dict[str, Any]]]:
        """(id, text, metadata) of every document of `kinds` (no embeddings)."""
        got = _get_all(self.collection(slug), where=_kind_filter(kinds), include=["documents", "metadatas"])
        return [(i, t, dict(m or {})) for i, t, m in zip(got["ids"], got["documents"], got["metadatas"])]

    def probe(self, slugs: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Open each brand's collection and read it whole: count, ids, one similarity query.
        Meant to run in a child process (`knowledge.doctor`): a corrupt embedded store can crash
        the process that opens it."""
        names = {c if isinstance(c, str) else c.name for c in self.client().list_collections()}
        out: dict[str, dict[str, Any]] = {}
        for slug in slugs:
            if collection_name(slug) not in names:
                out[slug] = {"exists": False, "ids": []}
                continue
            try:
                col = self.client().get_collection(collection_name(slug))
                count = col.count()
                ids = sorted(self.all_ids(slug)) if count else []
                approved = sorted(col.get(where={"kind": "approved"}, include=[], limit=50)["ids"]) if count else []
                out[slug] = {"exists": True, "count": count, "ids": ids,
                             "unsearchable": self._unsearchable(col, ids),
                             "unsearchable_exemplars": self._unsearchable(col, approved, sample=50)}
            except Exception as exc:  # noqa: BLE001 - a broken collection is what the probe reports
                out[slug] = {"exists": True, "error": f"{type(exc).__name__}: {exc}"[:500]}
        return out

    def unsearchable_exemplars(self, slug: str) -> int:
        """Approved exemplars that a query with their own vector does not find (see `probe`)."""
        if not self.has_collection(slug):
            return 0
        col = self.collection(slug)
        approved = sorted(col.get(where={"kind": "approved"}, include=[], limit=50)["ids"])
        return self._unsearchable(col, approved, sample=50)

    @staticmethod
    def _unsearchable(col: Any, ids: Sequence[str], sample: int = 24) -> int:
        """How many of a spread sample of documents a query with their own vector does not find:
        ids can survive in the metadata while the vector index lost them (an interrupted write)."""
        if not ids:
            return 0
        step = max(1, len(ids) // sample)
        picked = list(ids[::step][:sample])
        got = col.get(ids=picked, include=["embeddings"])
        vectors = np.asarray(got["embeddings"], dtype=np.float32)
        found = col.query(query_embeddings=vectors, n_results=min(10, len(ids)), include=[])["ids"]
        return sum(doc_id not in hits for doc_id, hits in zip(got["ids"], found)) + len(picked) - len(got["ids"])

    def move_aside(self) -> Path | None:
        """The embedded store's folder renamed to `chroma.broken-<time>` (kept for inspection); a new
        empty store replaces it. None for a Chroma server."""
        if self.settings.chroma_host:
            return None
        with self._lock:
            self._client, self._collections = None, {}
            folder = self.settings.chroma_dir
            if not folder.exists():
                return None
            target = folder.with_name(f"{folder.name}.broken-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}")
            folder.rename(target)
            return target

    def drop(self, slug: str) -> None:
        self._touch(slug)
        with self._lock:
            self._collections.pop(slug, None)
            if self.has_collection(slug):
                self.client().delete_collection(collection_name(slug))

    # --- reads ----------------------------------------------------------------------------------

    def count(self, slug: str, kinds: Sequence[str] | None = None) -> int:
        col = self.collection(slug)
        if not kinds:
            return col.count()
        return len(col.get(where=_kind_filter(kinds), include=[])["ids"])

    def query(self, slug: str, embedding: np.ndarray, n: int, kinds: Sequence[str] | None = None,
              where: dict[str, Any] | None = None) -> list[Hit]:
        col = self.collection(slug)
        clauses = [c for c in (_kind_filter(kinds) if kinds else None, where) if c]
        flt = clauses[0] if len(clauses) == 1 else ({"$and": clauses} if clauses else None)
        res = col.query(query_embeddings=[np.asarray(embedding, dtype=np.float32)], n_results=n, where=flt,
                        include=["documents", "metadatas", "distances", "embeddings"])
        if not res["ids"] or not res["ids"][0]:
            return []
        embeddings = res.get("embeddings")
        return [
            Hit(id=i, text=d, metadata=dict(m or {}), similarity=1.0 - float(dist),
                embedding=np.asarray(embeddings[0][j], dtype=np.float32) if embeddings is not None else None)
            for j, (i, d, m, dist) in enumerate(zip(res["ids"][0], res["documents"][0], res["metadatas"][0],
                                                     res["distances"][0]))
        ]

    # --- writes ---------------------------------------------------------------------------------

    def upsert(self, slug: str, docs: Sequence[KnowledgeDoc], vectors: np.ndarray) -> None:
        self._touch(slug)
        col = self.collection(slug)
        for i in range(0, len(docs), _WRITE_BATCH):
            part = docs[i:i + _WRITE_BATCH]
            col.upsert(ids=[d.id for d in part], documents=[d.text for d in part],
                       metadatas=[_clean(d.metadata) for d in part], embeddings=vectors[i:i + _WRITE_BATCH])

    def update_metadata(self, slug: str, updates: dict[str, dict[str, Any]]) -> None:
        """Change metadata (e.g. fresh engagement figures) without re-embedding anything."""
        self._touch(slug)
        col = self.collection(slug)
        items = list(updates.items())
        for i in range(0, len(items), _WRITE_BATCH):
            part = items[i:i + _WRITE_BATCH]
            col.update(ids=[k for k, _ in part], metadatas=[_clean(v) for _, v in part])

    def delete(self, slug: str, ids: Sequence[str]) -> None:
        if ids:
            self._touch(slug)
            col = self.collection(slug)
            for i in range(0, len(ids), _WRITE_BATCH):
                col.delete(ids=list(ids[i:i + _WRITE_BATCH]))


def _kind_filter(kinds: Sequence[str]) -> dict[str, Any]:
    kinds = list(kinds)
    return {"kind": kinds[0]} if len(kinds) == 1 else {"kind": {"$in": kinds}}


def _clean(meta: dict[str, Any]) -> dict[str, Any]:
    """Chroma metadata values must be str, int, float or bool; drop None."""
    return {k: v for k, v in meta.items() if v is not None}


def _get_all(col: Any, **query: Any) -> dict[str, list[Any]]:
    """`col.get(**query)` page by page: one get of a whole 100,000-post collection fails in Chroma's
    SQLite ("too many SQL variables")."""
    out: dict[str, list[Any]] = {"ids": [], **{k: [] for k in query.get("include", [])}}
    offset, page = 0, _WRITE_BATCH * 5
    while True:
        got = col.get(limit=page, offset=offset, **query)
        for key in out:
            out[key].extend(got[key] if got[key] is not None else [])
        if len(got["ids"]) < page:
            return out
        offset += page
