"""Alembic migrations of the review queue database; run by `assistant.review_db.upgrade`."""
