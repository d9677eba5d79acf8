"""The review-queue fixtures the media tests build on."""

from tests.factories import sqlite_queue  # noqa: F401
