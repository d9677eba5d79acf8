"""Alembic environment, configured programmatically (no alembic.ini): see `assistant.db.engine`.

The caller passes an open connection in `config.attributes["connection"]` and owns its
transaction; with only a URL (`sqlalchemy.url`), an engine is made here.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from assistant.db.models import Base
import assistant.db.models  # noqa: E402,F401  (its table belongs to the same metadata)
import assistant.db.media  # noqa: E402,F401  (the media library's tables)

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():  # `alembic upgrade --sql`: print the DDL
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run()
