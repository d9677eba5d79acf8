"""Keeping the vector index in step with the record: index what is pending, drop what the record
no longer has, rebuild a brand's collection from the record, adopt an index older than the record.

Every write to the embedded Chroma store happens inside `writing()`, which leaves a marker file
named after the process under `<chroma>/.writers/` for as long as it writes; a marker whose process
is gone means a writer died mid-write (the way an embedded store gets corrupted), and the next
start checks the store in a child process (`doctor`) before opening it.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from assistant.knowledge.embeddings import Embedder, Guard
from assistant.knowledge.parsing import KnowledgeDoc
from assistant.knowledge.record import BATCH, KnowledgeRecordStore
from assistant.knowledge.vectorstore import VectorStore

Progress = Callable[[int, int], None]
EMBED_STEP = 64


class WriterMarks:
    """Marker files of the processes writing to an embedded store (one per process)."""

    def __init__(self, chroma_dir: Path | None) -> None:
        self.folder = chroma_dir / ".writers" if chroma_dir is not None else None
        self._mine: Path | None = None

    def mark(self) -> None:
        if self.folder is None or self._mine is not None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self._mine = self.folder / str(os.getpid())
        self._mine.write_text(datetime.now(timezone.utc).isoformat())
        atexit.register(self.clear)

    def clear(self) -> None:
        if self._mine is not None:
            self._mine.unlink(missing_ok=True)
            self._mine = None

    def dead(self) -> list[Path]:
        """Markers of writers that are gone: each one a write that may have been cut."""
        if self.folder is None or not self.folder.is_dir():
            return []
        return [p for p in self.folder.iterdir() if p.name.isdigit() and not _alive(int(p.name))]


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class IndexSync:
    def __init__(self, store: VectorStore, record: KnowledgeRecordStore, embedder: Embedder,
                 guard: Guard | None = None) -> None:
        self.store = store
        self.record = record
        self.embedder = embedder
        self.guard = guard  # the brand's policy on where its texts may go, before any is embedded
        self.marks = WriterMarks(None if store.settings.chroma_host else store.settings.chroma_dir)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Around every write to the embedded store: the marker stays if the process dies inside."""
        self.marks.mark()
        yield

    def embed(self, docs: Sequence[KnowledgeDoc], progress: Progress | None = None,
              done: int = 0, total: int | None = None, *, brand: str) -> np.ndarray:
        if docs and self.guard is not None:
            self.guard(brand, None)
        parts = []
        total = total if total is not None else len(docs)
        for i in range(0, len(docs), EMBED_STEP):
            parts.append(self.embedder.passages([d.embed_text for d in docs[i:i + EMBED_STEP]]))
            if progress:
                progress(done + min(i + EMBED_STEP, len(docs)), total)
        return np.vstack(parts) if parts else np.empty((0, self.embedder.dim), dtype=np.float32)

    def put(self, brand: str, docs: Sequence[KnowledgeDoc], vectors: np.ndarray) -> None:
        with self.writing():
            self.store.upsert(brand, docs, vectors)

    # --- sync -----------------------------------------------------------------------------------

    def sync(self, brand: str) -> dict[str, int]:
        """Bring the brand's collection in step with the record: index pending rows (their vectors
        come from the embedding cache), delete what the record no longer holds."""
        adopted = self.adopt(brand) if not self.record.adopted(brand) else 0
        indexed = 0
        while batch := self.record.pending(brand, BATCH):
            docs = [d for d, _ in batch]
            self.put(brand, docs, self.embed(docs, brand=brand))
            self.record.mark_indexed(brand, [(d.id, when) for d, when in batch])
            indexed += len(batch)
        # Then by ids, whatever the flags say: a store can lose what it had acknowledged (a process
        # killed while Chroma wrote, seen in the crash tests), so missing rows are indexed again.
        recorded = self.record.ids(brand)
        in_index = self.store.all_ids(brand) if self.store.has_collection(brand) else set()
        missing = sorted(recorded - in_index)
        for i in range(0, len(missing), BATCH):
            docs = self.record.documents(brand, ids=missing[i:i + BATCH])
            self.put(brand, docs, self.embed(docs, brand=brand))
        orphans = sorted(in_index - recorded)
        if orphans:
            with self.writing():
                self.store.delete(brand, orphans)
        return {"adopted": adopted, "indexed": indexed + len(missing), "removed": len(orphans)}

    def rebuild(self, brand: str, progress: Progress | None = None) -> int:
        """Drop the brand's collection and index every recorded document again."""
        if not self.record.adopted(brand):
            self.adopt(brand)  # an older index's documents go into the record before it is dropped
        started = datetime.now(timezone.utc)
        with self.writing():
            self.store.drop(brand)
        docs = self.record.documents(brand)
        for i in range(0, len(docs), BATCH):
            part = docs[i:i + BATCH]
            self.put(brand, part, self.embed(part, progress, i, len(docs), brand=brand))
        self.record.mark_all_indexed(brand, started)
        self.sync(brand)  # anything written meanwhile
        return len(docs)

    def adopt(self, brand: str) -> int:
        """An index from before the record existed (uploads and exemplars lived only there): copy
        the documents the record lacks into it, as indexed, once. Nothing is deleted before this."""
        docs: list[KnowledgeDoc] = []
        if self.store.has_collection(brand):
            known = self.record.ids(brand)
            docs = [KnowledgeDoc(id=i, kind=str(m.get("kind", "post")), text=t, metadata=m)
                    for i, t, m in self.store.documents(brand, ["post", "guideline", "approved"]) if i not in known]
        if docs:
            version = self.record.write(brand, add=docs)
            self.record.mark_indexed(brand, [(d.id, version) for d in docs])
        self.record.set_adopted(brand)
        return len(docs)
