"""The system of record: engine and migrations (`engine`), the tables (`models`, and one module per
area beside it). Importing any of them loads every table module, so that `Base.metadata` (which the
migrations and their test compare) always holds every table."""

from assistant.db import media, publishing  # noqa: F401  (their tables belong to Base.metadata)
