"""A brand's knowledge base: files in, idempotent and all-or-nothing per file, into its collection.

- Unchanged documents (same content id, same metadata) cost nothing: no embedding, no write.
- Same content with new metadata (fresh engagement figures) updates metadata only.
- A changed post (same key: URL, or platform + time) replaces its old version.
- A guideline file is replaced as a whole: passages no longer in it are removed.
- A file is parsed completely before anything is written; a file that fails writes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from assistant.brands import Brand
from assistant.knowledge.embeddings import Embedder
from assistant.errors import AssistantError
from assistant.knowledge.files import IngestWarning, read_file
from assistant.knowledge.parsing import INGESTION_VERSION, KnowledgeDoc, ParsedFile, parse_file
from assistant.knowledge.vectorstore import VectorStore

Progress = Callable[[int, int], None]
POST_KINDS = ("post", "approved")


@dataclass
class IngestReport:
    """What an ingest did, per brand, summed over files."""

    brand: str
    added: int = 0
    updated: int = 0  # metadata refreshed, no re-embedding
    replaced: int = 0  # an older version of the same post or passage removed
    unchanged: int = 0
    rejected: list[IngestWarning] = field(default_factory=list)
    warnings: list[IngestWarning] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # files that failed as a whole
    files: list[str] = field(default_factory=list)
    embedded: int = 0  # texts sent to the embedding model

    def as_dict(self) -> dict:
        return {
            "brand": self.brand, "files": self.files, "added": self.added, "updated": self.updated,
            "replaced": self.replaced, "unchanged": self.unchanged, "skipped": self.unchanged,
            "rejected": len(self.rejected), "rejected_rows": [str(w) for w in self.rejected],
            "warnings": [str(w) for w in self.warnings], "errors": self.errors, "embedded": self.embedded,
        }


class KnowledgeBase:
    def __init__(self, store: VectorStore, embedder: Embedder, max_bytes: int | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.max_bytes = max_bytes

    # --- ingestion ------------------------------------------------------------------------------

    def ingest_parsed(self, slug: str, parsed: ParsedFile, report: IngestReport | None = None,
                      progress: Progress | None = None) -> IngestReport:
        """Write one parsed file into the brand's collection."""
        report = report or IngestReport(brand=slug)
        report.files.append(parsed.source)
        report.rejected.extend(parsed.rejected)
        report.warnings.extend(parsed.warnings)
        docs = parsed.documents
        existing = self.store.existing(slug, [d.id for d in docs])
        new_docs = [d for d in docs if d.id not in existing]
        meta_updates = {d.id: d.metadata for d in docs
                        if d.id in existing and _comparable(existing[d.id]) != _comparable(d.metadata)}
        stale = self._superseded(slug, parsed, docs, new_docs)
        if new_docs:
            before = getattr(self.embedder, "calls", None)
            vectors = self._embed(new_docs, progress)
            report.embedded += (self.embedder.calls - before) if before is not None else len(new_docs)
            self.store.upsert(slug, new_docs, vectors)
        if meta_updates:
            self.store.update_metadata(slug, meta_updates)
        self.store.delete(slug, stale)
        report.added += len(new_docs)
        report.updated += len(meta_updates)
        report.unchanged += len(docs) - len(new_docs) - len(meta_updates)
        report.replaced += len(stale)
        return report

    def _superseded(self, slug: str, parsed: ParsedFile, docs: Sequence[KnowledgeDoc],
                    new_docs: Sequence[KnowledgeDoc]) -> list[str]:
        """Ids of stored documents that these documents replace. A post already stored under its
        id replaces nothing, so only the new ones are looked up (a re-ingest makes no query)."""
        new_ids = {d.id for d in docs}
        if parsed.kind == "guideline":
            stored = self.store.ids_where(slug, {"$and": [{"kind": "guideline"}, {"source": parsed.source}]})
            return [i for i in stored if i not in new_ids]
        keys = sorted({d.metadata["key"] for d in new_docs})
        stale: list[str] = []
        for i in range(0, len(keys), 500):
            stored = self.store.ids_where(slug, {"$and": [{"kind": "post"}, {"key": {"$in": keys[i:i + 500]}}]})
            stale.extend(i2 for i2 in stored if i2 not in new_ids)
        return stale

    def _embed(self, docs: Sequence[KnowledgeDoc], progress: Progress | None):
        import numpy as np

        step = 64
        parts = []
        for i in range(0, len(docs), step):
            parts.append(self.embedder.passages([d.embed_text for d in docs[i:i + step]]))
            if progress:
                progress(min(i + step, len(docs)), len(docs))
        return np.vstack(parts)

    def ingest_bytes(self, slug: str, raw: bytes, source: str, *, kind: str | None = None,
                     mapping: Mapping[str, str] | None = None, report: IngestReport | None = None,
                     progress: Progress | None = None) -> IngestReport:
        """Parse then write one uploaded file. Raises IngestError before writing if the file is bad."""
        if self.max_bytes is not None and len(raw) > self.max_bytes:
            from assistant.errors import IngestError

            raise IngestError(f"{source}: {len(raw) / 1e6:.1f} MB is over the {self.max_bytes / 1e6:.1f} MB "
                              "limit; split the file or raise ASSISTANT_MAX_UPLOAD_MB")
        parsed = parse_file(raw, brand=slug, source=source, kind=kind, mapping=mapping)
        return self.ingest_parsed(slug, parsed, report, progress)

    def ingest_files(self, brand: Brand, posts: Sequence[Path] = (), guidelines: Sequence[Path] = (), *,
                     mapping: Mapping[str, str] | None = None, progress: Progress | None = None) -> IngestReport:
        """Ingest files for a brand; with no files, the brand folder's own. A failing file is
        reported in `errors` and writes nothing; the other files still go in."""
        if not posts and not guidelines:
            guidelines = brand.guideline_files
            posts = [brand.posts_file] if brand.posts_file.is_file() else []
        report = IngestReport(brand=brand.slug)
        for path, kind in [*((p, "guideline") for p in guidelines), *((p, "post") for p in posts)]:
            try:
                raw = read_file(Path(path), self.max_bytes)
                self.ingest_bytes(brand.slug, raw, Path(path).name, kind=kind,
                                  mapping=mapping if kind == "post" else None, report=report, progress=progress)
            except AssistantError as exc:
                report.errors.append(str(exc))
        return report

    # --- keeping the index fresh ----------------------------------------------------------------

    def fingerprint(self, brand: Brand) -> str:
        h = hashlib.sha256(f"v{INGESTION_VERSION}|{self.embedder.name}".encode())
        for path in brand.knowledge_files:
            if path.name == "brand.yaml":
                continue
            h.update(path.name.encode())
            h.update(path.read_bytes())
        return h.hexdigest()[:16]

    def is_stale(self, brand: Brand) -> bool:
        if not self.store.has_collection(brand.slug):
            return True
        return self.store.state(brand.slug).get("fingerprint") != self.fingerprint(brand)

    def index_brand(self, brand: Brand, *, force: bool = False, rebuild: bool = False,
                    progress: Progress | None = None) -> IngestReport | None:
        """Index the brand folder's own files if the index is missing or stale (or forced)."""
        if rebuild:
            self.store.drop(brand.slug)
        if not force and not rebuild and not self.is_stale(brand):
            return None
        report = self.ingest_files(brand, progress=progress)
        if not report.errors:
            self.store.set_state(brand.slug, fingerprint=self.fingerprint(brand))
        return report

    # --- the review queue's feedback loop -------------------------------------------------------

    def add_approved(self, slug: str, *, item_id: int | str, text: str, platform: str, approved_at: datetime,
                     language: str | None = None, extra: Mapping[str, object] | None = None) -> str:
        """Upsert an approved post as an exemplar (kind `approved`) into `slug`'s collection only.
        Its key is the review item id: re-approving an edited item replaces its previous exemplar;
        approving the same text again writes nothing new. Returns the document id."""
        from assistant.errors import IngestError
        from assistant.knowledge.parsing import content_id, normalize_text

        normalized = normalize_text(text)
        if not normalized:
            raise IngestError(f"review item {item_id}: the approved text is empty; nothing to add")
        if approved_at.tzinfo is None:
            approved_at = approved_at.replace(tzinfo=timezone.utc)
        doc_id = content_id(slug, "approved", platform, normalized)
        key = str(item_id)
        meta: dict[str, object] = {**(extra or {}), "brand": slug, "kind": "approved", "platform": platform,
                                   "posted_at": approved_at.isoformat(), "posted_ts": int(approved_at.timestamp()),
                                   "source": "review-queue", "item_id": key, "key": key, "language": language}
        doc = KnowledgeDoc(id=doc_id, kind="approved", text=text, metadata=meta)
        existing = self.store.existing(slug, [doc_id])
        if doc_id not in existing:
            self.store.upsert(slug, [doc], self._embed([doc], None))
        elif _comparable(existing[doc_id]) != _comparable(meta):
            self.store.update_metadata(slug, {doc_id: meta})
        stale = self.store.ids_where(slug, {"$and": [{"kind": "approved"}, {"key": key}]})
        self.store.delete(slug, [i for i in stale if i != doc_id])
        return doc_id

    def remove_approved(self, slug: str, *, item_id: int | str) -> int:
        """Withdraw a review item's exemplar (it was reopened: it no longer speaks for the brand).
        Returns how many documents were removed (0 or 1)."""
        stale = self.store.ids_where(slug, {"$and": [{"kind": "approved"}, {"key": str(item_id)}]})
        self.store.delete(slug, list(stale))
        return len(stale)

    def counts(self, slug: str) -> dict[str, int]:
        if not self.store.has_collection(slug):
            return {"posts": 0, "guideline_chunks": 0, "approved": 0}
        return {"posts": self.store.count(slug, ["post"]), "guideline_chunks": self.store.count(slug, ["guideline"]),
                "approved": self.store.count(slug, ["approved"])}


def _comparable(meta: Mapping) -> dict:
    # `row` moves when rows are inserted above; it is not a change of the post itself.
    return {k: v for k, v in meta.items() if k not in {"row"} and v is not None}
