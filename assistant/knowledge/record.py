"""The knowledge base's system of record: every document of every brand in the SQL database.

The only module of `knowledge/` that speaks SQL. Chroma (`vectorstore`) is an index of these rows:
whatever happens to it (a crash while it writes, a corrupt HNSW file, a deleted folder), the
brand's posts, passages and exemplars are here and the index is rebuilt from them.

`pending` is set in the transaction that writes or changes a row and cleared once the index holds
that version; deletions are found by comparing the index's ids with the record's. So the index can
always be brought back in step (`KnowledgeBase.sync`), whatever moment a process died at.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from assistant.db.engine import Database, utcnow
from assistant.db.models import KnowledgeRecord as KR
from assistant.db.models import KnowledgeState
from assistant.knowledge.parsing import KnowledgeDoc

BATCH = 500


def _doc(row: KR) -> KnowledgeDoc:
    return KnowledgeDoc(id=row.id, kind=row.kind, text=row.text, metadata=dict(row.meta or {}))


def _row(brand: str, doc: KnowledgeDoc, now: datetime | None = None) -> dict[str, Any]:
    meta = {k: v for k, v in doc.metadata.items() if v is not None}
    return {"brand": brand, "id": doc.id, "kind": doc.kind, "text": doc.text, "meta": meta,
            "source": str(meta.get("source") or "")[:255] or None, "key": meta.get("key"), "pending": True,
            "updated_at": now or utcnow()}


def _chunks(items: Sequence[Any], n: int = BATCH) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


class KnowledgeRecordStore:
    """Reads and writes of `knowledge_docs` and `knowledge_brands` on one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- reads ----------------------------------------------------------------------------------

    def existing(self, brand: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Metadata of those of `ids` already recorded."""
        out: dict[str, dict[str, Any]] = {}
        for part in _chunks(list(ids)):
            rows = self.db.read(lambda s, p=part: s.execute(
                select(KR.id, KR.meta).where(KR.brand == brand, KR.id.in_(p))).all())
            out.update((i, dict(m or {})) for i, m in rows)
        return out

    def ids_with_keys(self, brand: str, kind: str, keys: Iterable[str]) -> dict[str, str]:
        """{id: key} of the recorded documents of `kind` with one of `keys`."""
        out: dict[str, str] = {}
        for part in _chunks(sorted(set(keys))):
            rows = self.db.read(lambda s, p=part: s.execute(
                select(KR.id, KR.key).where(KR.brand == brand, KR.kind == kind, KR.key.in_(p))).all())
            out.update(rows)
        return out

    def ids_of_source(self, brand: str, kind: str, source: str) -> list[str]:
        return list(self.db.read(lambda s: s.scalars(
            select(KR.id).where(KR.brand == brand, KR.kind == kind, KR.source == source)).all()))

    def ids(self, brand: str) -> set[str]:
        return set(self.db.read(lambda s: s.scalars(select(KR.id).where(KR.brand == brand)).all()))

    def documents(self, brand: str, *, ids: Sequence[str] | None = None,
                  kinds: Sequence[str] | None = None) -> list[KnowledgeDoc]:
        """The recorded documents (all of the brand's, or those `ids` / `kinds`), in id order."""
        def query(s: Session, part: Sequence[str] | None) -> list[KnowledgeDoc]:
            stmt = select(KR).where(KR.brand == brand).order_by(KR.id)
            if part is not None:
                stmt = stmt.where(KR.id.in_(part))
            if kinds:
                stmt = stmt.where(KR.kind.in_(list(kinds)))
            return [_doc(r) for r in s.scalars(stmt)]

        if ids is None:
            return self.db.read(lambda s: query(s, None))
        return [d for part in _chunks(list(ids)) for d in self.db.read(lambda s, p=part: query(s, p))]

    def pending(self, brand: str, limit: int = BATCH) -> list[tuple[KnowledgeDoc, datetime]]:
        """Documents the index may not hold as recorded, with the version (time) read."""
        return self.db.read(lambda s: [(_doc(r), r.updated_at) for r in s.scalars(
            select(KR).where(KR.brand == brand, KR.pending.is_(True)).order_by(KR.id).limit(limit))])

    def has_pending(self, brand: str) -> bool:
        return bool(self.db.read(lambda s: s.scalar(
            select(func.count()).select_from(KR).where(KR.brand == brand, KR.pending.is_(True)))))

    def counts(self, brand: str) -> dict[str, int]:
        rows = self.db.read(lambda s: s.execute(
            select(KR.kind, func.count()).where(KR.brand == brand).group_by(KR.kind)).all())
        return {kind: n for kind, n in rows}

    def stamp(self, brand: str, kinds: Sequence[str]) -> str:
        """Changes whenever one of the brand's documents of `kinds` is added, removed or changed
        (their count and latest `updated_at`): one indexed aggregate, not a read of every id."""
        n, latest = self.db.read(lambda s: s.execute(
            select(func.count(), func.max(KR.updated_at)).where(KR.brand == brand, KR.kind.in_(list(kinds)))).one())
        return f"{n}:{latest.isoformat() if latest else ''}"

    def brands(self) -> list[str]:
        return sorted(self.db.read(lambda s: s.scalars(select(KR.brand).distinct()).all()))

    def fingerprint(self, brand: str) -> str | None:
        row = self.db.read(lambda s: s.get(KnowledgeState, brand))
        return row.fingerprint if row else None

    def adopted(self, brand: str) -> bool:
        """Whether an index older than the record was copied into it (or there was none)."""
        row = self.db.read(lambda s: s.get(KnowledgeState, brand))
        return bool(row and row.adopted)

    def set_adopted(self, brand: str) -> None:
        def txn(s: Session) -> None:
            self._ensure_state(s, brand).adopted = True

        self.db.write(txn)

    # --- writes ---------------------------------------------------------------------------------

    def write(self, brand: str, *, add: Sequence[KnowledgeDoc] = (), metadata: Mapping[str, dict[str, Any]] | None = None,
              remove: Sequence[str] = ()) -> datetime:
        """New documents, fresh metadata and removals, in ONE transaction (all or nothing).
        Returns the version written (the rows' `updated_at`), for `mark_indexed`."""
        now = utcnow()

        def txn(s: Session) -> None:
            self._ensure_state(s, brand)
            rows = {doc.id: _row(brand, doc, now) for doc in add}  # one row per id: the last wins
            present: set[str] = set()
            for part in _chunks(list(rows)):
                present.update(s.scalars(select(KR.id).where(KR.brand == brand, KR.id.in_(part))))
            if len(present) < len(rows):  # one executemany INSERT: 0.6 s for 10,000 posts, 6.3 s with merge
                s.execute(insert(KR), [r for i, r in rows.items() if i not in present])
            for doc_id in present:
                s.merge(KR(**rows[doc_id]))
            for doc_id, meta in (metadata or {}).items():
                s.execute(update(KR).where(KR.brand == brand, KR.id == doc_id).values(
                    meta={k: v for k, v in meta.items() if v is not None}, pending=True, updated_at=now))
            for part in _chunks(list(remove)):
                s.execute(delete(KR).where(KR.brand == brand, KR.id.in_(part)))

        self.db.write(txn)
        return now

    def put_in(self, s: Session, brand: str, doc: KnowledgeDoc) -> None:
        """Record one document inside the caller's transaction (an approval and its exemplar are one unit)."""
        self._ensure_state(s, brand)
        s.merge(KR(**_row(brand, doc)))

    def remove_in(self, s: Session, brand: str, *, kind: str, key: str, keep: str | None = None) -> list[str]:
        """Delete the documents of `kind` with `key` (but `keep`), inside the caller's transaction."""
        ids = [i for i in s.scalars(select(KR.id).where(KR.brand == brand, KR.kind == kind, KR.key == key))
               if i != keep]
        if ids:
            s.execute(delete(KR).where(KR.brand == brand, KR.id.in_(ids)))
        return ids

    def mark_indexed(self, brand: str, versions: Sequence[tuple[str, datetime]]) -> None:
        """Clear `pending` for these (id, version read), unless the row changed again since."""
        by_version: dict[datetime, list[str]] = defaultdict(list)
        for doc_id, when in versions:
            by_version[when].append(doc_id)

        def txn(s: Session) -> None:
            for when, ids in by_version.items():  # one UPDATE per version and BATCH ids, not per row
                for part in _chunks(ids):
                    s.execute(update(KR).where(KR.brand == brand, KR.updated_at == when, KR.id.in_(part))
                              .values(pending=False).execution_options(synchronize_session=False))

        self.db.write(txn)

    def mark_all_indexed(self, brand: str, before: datetime) -> None:
        """After a rebuild that read everything at `before`: rows not changed since are indexed."""
        self.db.write(lambda s: s.execute(update(KR).where(KR.brand == brand, KR.updated_at <= before)
                                          .values(pending=False)))

    def set_fingerprint(self, brand: str, fingerprint: str | None) -> None:
        def txn(s: Session) -> None:
            state = self._ensure_state(s, brand)
            state.fingerprint, state.updated_at = fingerprint, utcnow()

        self.db.write(txn)

    @staticmethod
    def _ensure_state(s: Session, brand: str) -> KnowledgeState:
        """The brand's state row, made if missing. Two transactions making it at once (two workers'
        first publishes on PostgreSQL) must not fail: INSERT ... ON CONFLICT DO NOTHING waits for
        the other one and keeps its row."""
        state = s.get(KnowledgeState, brand)
        if state is None:
            if s.get_bind().dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as upsert
            else:
                from sqlalchemy.dialects.sqlite import insert as upsert
            s.execute(upsert(KnowledgeState).values(brand=brand, fingerprint=None, adopted=False, updated_at=utcnow())
                      .on_conflict_do_nothing(index_elements=["brand"]))
            state = s.get(KnowledgeState, brand, populate_existing=True)
            assert state is not None
        return state
