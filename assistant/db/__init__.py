"""The system of record: engine, tables, migrations. Every table module is imported here, so that
`Base.metadata` (what the migrations are compared with) always holds all of them."""

from assistant.db import media as _media  # noqa: F401  (the media library's tables)
