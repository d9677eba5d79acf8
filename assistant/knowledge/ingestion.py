"""A brand's knowledge base: files in, into the record (SQL) first and then the brand's collection.

- The record (`knowledge.record`) is the system of record; the collection is its index, kept in
  step by `knowledge.index` and rebuilt from the record by `assistant doctor --repair`.
- A file is parsed completely before anything is written; a file that fails parsing writes
  nothing. Its documents are then written in batches, each batch one transaction of the record
  and then the index: a crash at any moment leaves rows that the next run (or sync) completes,
  never a duplicate (ids are content hashes).

- Unchanged documents (same content id, same metadata) cost nothing: no embedding, no write.
- Same content with new metadata (fresh engagement figures) updates metadata only.
- A changed post (same key: URL, or platform + time) replaces its old version.
- A guideline file is replaced as a whole: passages no longer in it are removed.
- A file is parsed completely before anything is written; a file that fails writes nothing.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from assistant.accounts.permissions import require
from assistant.accounts.schemas import Actor
from assistant.brands import Brand
from assistant.knowledge.embeddings import Embedder, Guard
from assistant.errors import AssistantError
from assistant.knowledge.files import IngestWarning, check_size, read_file
from assistant.knowledge.parsing import INGESTION_VERSION, KnowledgeDoc, ParsedFile, parse_file
from assistant.knowledge.index import IndexSync, Progress
from assistant.knowledge.record import BATCH, KnowledgeRecordStore
from assistant.knowledge.vectorstore import VectorStore

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
    def __init__(self, store: VectorStore, embedder: Embedder, record: KnowledgeRecordStore,
                 max_bytes: int | None = None, guard: Guard | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.record = record
        self._reembedding = threading.Lock()
        self.guard = guard  # the brand's policy on where its texts may go (checked again before embedding)
        self.index = IndexSync(store, record, embedder, guard)
        self.max_bytes = max_bytes

    # --- ingestion ------------------------------------------------------------------------------

    def ingest_parsed(self, slug: str, parsed: ParsedFile, report: IngestReport | None = None,
                      progress: Progress | None = None, *, sync: bool = True) -> IngestReport:
        """Write one parsed file: new documents batch by batch (record, then index), then fresh
        metadata and the documents they replace in one transaction, then the index catches up."""
        report = report or IngestReport(brand=slug)
        if self.model_change(slug) is not None:  # the brand's vectors are another model's: re-embed first
            self.index.rebuild(slug, progress)
        report.files.append(parsed.source)
        report.rejected.extend(parsed.rejected)
        report.warnings.extend(parsed.warnings)
        docs = parsed.documents
        existing = self.record.existing(slug, [d.id for d in docs])
        new_docs = [d for d in docs if d.id not in existing]
        meta_updates = {d.id: d.metadata for d in docs
                        if d.id in existing and _comparable(existing[d.id]) != _comparable(d.metadata)}
        stale = self._superseded(slug, parsed, docs, new_docs)
        before = getattr(self.embedder, "calls", None)
        for i in range(0, len(new_docs), BATCH):
            batch = new_docs[i:i + BATCH]
            # cached: a rerun embeds nothing twice
            vectors = self.index.embed(batch, progress, i, len(new_docs), brand=slug)
            version = self.record.write(slug, add=batch)
            self.index.put(slug, batch, vectors)
            self.record.mark_indexed(slug, [(d.id, version) for d in batch])
        report.embedded += (self.embedder.calls - before) if before is not None else len(new_docs)
        if meta_updates or stale:
            self.record.write(slug, metadata=meta_updates, remove=stale)
        if sync:  # a caller ingesting several files syncs once, after the last
            self.index.sync(slug)
        report.added += len(new_docs)
        report.updated += len(meta_updates)
        report.unchanged += len(docs) - len(new_docs) - len(meta_updates)
        report.replaced += len(stale)
        return report

    def _superseded(self, slug: str, parsed: ParsedFile, docs: Sequence[KnowledgeDoc],
                    new_docs: Sequence[KnowledgeDoc]) -> list[str]:
        """Ids of recorded documents that these documents replace. A post already recorded under
        its id replaces nothing, so only the new ones are looked up (a re-ingest makes no query)."""
        new_ids = {d.id for d in docs}
        if parsed.kind == "guideline":
            return [i for i in self.record.ids_of_source(slug, "guideline", parsed.source) if i not in new_ids]
        stored = self.record.ids_with_keys(slug, "post", {d.metadata["key"] for d in new_docs})
        return [i for i in stored if i not in new_ids]

    def ingest_bytes(self, slug: str, raw: bytes, source: str, *, kind: str | None = None,
                     mapping: Mapping[str, str] | None = None, platform: str | None = None, zone: str | None = None,
                     require_platform: bool = False, report: IngestReport | None = None,
                     progress: Progress | None = None, sync: bool = True, by: Actor | None = None) -> IngestReport:
        """Parse then write one uploaded file. Raises IngestError before writing if the file is bad.
        With `by`, they must hold a role with library uploads on the brand. `zone` is where the
        file's dates without an offset were written: the brand's (`BrandProfile.timezone`), or
        "UTC" when the person says so; None reads them as UTC. `platform`: see `parse_posts_csv`."""
        if by is not None:
            require(by, "library", slug)
        if self.guard is not None:
            self.guard(slug, by)  # refused (and recorded against `by`) before the file is even read
        check_size(len(raw), self.max_bytes, source)
        parsed = parse_file(raw, brand=slug, source=source, kind=kind, mapping=mapping, platform=platform, zone=zone,
                            require_platform=require_platform)
        return self.ingest_parsed(slug, parsed, report, progress, sync=sync)

    def ingest_files(self, brand: Brand, posts: Sequence[Path] = (), guidelines: Sequence[Path] = (), *,
                     mapping: Mapping[str, str] | None = None, platform: str | None = None, zone: str | None = None,
                     require_platform: bool = False, progress: Progress | None = None) -> IngestReport:
        """Ingest files for a brand; with no files, the brand folder's own. A failing file is
        reported in `errors` and writes nothing; the other files still go in. Dates without an
        offset are read in `zone`, by default the brand's time zone."""
        if self.guard is not None:
            self.guard(brand.slug, None)  # a refusal is the whole answer, not one error per file
        if not posts and not guidelines:
            guidelines = brand.guideline_files
            posts = [brand.posts_file] if brand.posts_file.is_file() else []
        report = IngestReport(brand=brand.slug)
        options = {"mapping": mapping, "platform": platform, "zone": zone or brand.profile.timezone,
                   "require_platform": require_platform}
        for path, kind in [*((p, "guideline") for p in guidelines), *((p, "post") for p in posts)]:
            try:
                raw = read_file(Path(path), self.max_bytes)
                self.ingest_bytes(brand.slug, raw, Path(path).name, kind=kind, sync=False, report=report,
                                  progress=progress, **(options if kind == "post" else {}))  # type: ignore[arg-type]
            except AssistantError as exc:
                report.errors.append(str(exc))
        self.index.sync(brand.slug)
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
        """The brand folder's files changed since they were last ingested whole, or the index
        lags behind the record."""
        return self._staleness(brand, self.fingerprint(brand)) is not None

    def _staleness(self, brand: Brand, fingerprint: str) -> str | None:
        """"files" (changed since the last whole ingest), "index" (behind the record) or None."""
        if self.record.fingerprint(brand.slug) != fingerprint:
            return "files"
        if self.record.has_pending(brand.slug) or not self.store.has_collection(brand.slug):
            return "index"
        return None

    def model_change(self, slug: str) -> tuple[str, str] | None:
        """(the model that made the brand's stored vectors, the one configured now) when they
        differ: the brand must be re-embedded (`reembed`) before it can be searched."""
        built = self.store.built_with(slug)
        return (built, self.embedder.name) if built and built != self.embedder.name else None

    def reembed(self, slug: str, progress: Progress | None = None, by: Actor | None = None) -> int:
        """Every recorded document of the brand embedded again with the configured model (its
        collection re-created from the record: nothing is lost); returns how many."""
        if self.guard is not None:
            self.guard(slug, by)
        with self._reembedding:  # two pages opened at once in this process: one rebuild, not two
            if self.model_change(slug) is None:
                return 0
            return self.index.rebuild(slug, progress)

    def index_brand(self, brand: Brand, *, force: bool = False, rebuild: bool = False,
                    progress: Progress | None = None, by: Actor | None = None) -> IngestReport | None:
        """Ingest the brand folder's own files if they changed (or forced); `rebuild` re-creates the
        collection from the record first (nothing is lost: uploads and exemplars live there). A
        brand whose policy refuses the embedding model is refused before anything is read, recorded
        against `by` (who asked)."""
        rebuild = rebuild or self.model_change(brand.slug) is not None  # another model made its vectors
        if rebuild and self.guard is not None:
            self.guard(brand.slug, by)
        if rebuild:
            self.index.rebuild(brand.slug, progress)
            force = True  # and read the brand's own files again
        fingerprint = self.fingerprint(brand)  # reads every file of the brand folder: once
        stale = "files" if force else self._staleness(brand, fingerprint)
        if stale is None:
            return None
        if self.guard is not None:
            self.guard(brand.slug, by)
        if stale == "index":
            self.index.sync(brand.slug)  # only the index lagged: no file to read again
            return IngestReport(brand=brand.slug)
        report = self.ingest_files(brand, progress=progress)
        if not report.errors:
            self.record.set_fingerprint(brand.slug, fingerprint)
        if self.store.unsearchable_exemplars(brand.slug):
            # Seen with the embedded store: an exemplar written by another process can drop out of
            # the vector index when a later write compacts it. The record has it: rebuild.
            self.index.rebuild(brand.slug)
        return report

    # --- the review queue's feedback loop -------------------------------------------------------

    def approved_doc(self, slug: str, *, item_id: int | str, text: str, platform: str, approved_at: datetime,
                     language: str | None = None, extra: Mapping[str, object] | None = None) -> KnowledgeDoc:
        """An approved post as an exemplar document (kind `approved`), keyed by its review item."""
        from assistant.errors import IngestError
        from assistant.knowledge.parsing import content_id, normalize_text

        normalized = normalize_text(text)
        if not normalized:
            raise IngestError(f"review item {item_id}: the approved text is empty; nothing to add")
        if approved_at.tzinfo is None:
            approved_at = approved_at.replace(tzinfo=timezone.utc)
        key = str(item_id)
        meta: dict[str, object] = {**(extra or {}), "brand": slug, "kind": "approved", "platform": platform,
                                   "posted_at": approved_at.isoformat(), "posted_ts": int(approved_at.timestamp()),
                                   "source": "review-queue", "item_id": key, "key": key, "language": language}
        return KnowledgeDoc(id=content_id(slug, "approved", platform, normalized), kind="approved", text=text,
                            metadata={k: v for k, v in meta.items() if v is not None})

    def record_approved(self, session: object, doc: KnowledgeDoc, slug: str) -> None:
        """Inside the approval's transaction: the exemplar replaces the item's previous one."""
        self.record.remove_in(session, slug, kind="approved", key=str(doc.metadata["key"]), keep=doc.id)
        self.record.put_in(session, slug, doc)

    def withdraw_approved(self, session: object, slug: str, *, item_id: int | str) -> int:
        """Inside the reopening's transaction: the item's exemplar leaves the record."""
        return len(self.record.remove_in(session, slug, kind="approved", key=str(item_id)))

    def add_approved(self, slug: str, *, item_id: int | str, text: str, platform: str, approved_at: datetime,
                     language: str | None = None, extra: Mapping[str, object] | None = None) -> str:
        """Record and index an approved post as an exemplar (outside a review transaction)."""
        doc = self.approved_doc(slug, item_id=item_id, text=text, platform=platform, approved_at=approved_at,
                                language=language, extra=extra)
        self.record.db.write(lambda s: self.record_approved(s, doc, slug))
        self.index.sync(slug)
        return doc.id

    def update_metadata(self, slug: str, updates: Mapping[str, dict]) -> None:
        """Fresh metadata (e.g. performance figures) for recorded documents: record, then index."""
        if updates:
            self.record.write(slug, metadata=updates)
            self.index.sync(slug)

    def counts(self, slug: str) -> dict[str, int]:
        got = self.record.counts(slug)
        return {"posts": got.get("post", 0), "guideline_chunks": got.get("guideline", 0),
                "approved": got.get("approved", 0)}


def _comparable(meta: Mapping) -> dict:
    # `row` moves when rows are inserted above; it is not a change of the post itself.
    return {k: v for k, v in meta.items() if k not in {"row"} and v is not None}
