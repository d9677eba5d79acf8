"""Alembic migrations of the review queue database; run by `assistant.db.engine.upgrade`."""
