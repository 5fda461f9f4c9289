"""Alembic environment: the URL comes from the caller's config or ``DATABASE_URL``."""

from alembic import context
from sqlalchemy import Connection

from parcels.storage.db import database_url, make_engine
from parcels.storage.models import Base

config = context.config


def _migrate(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        # Batch mode rebuilds a table by copying and dropping it: with foreign keys on,
        # dropping the old table would cascade into the rows that reference it.
        # The pragma is a no-op inside a transaction: set it, then end the one it opened.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or database_url())
    with engine.connect() as connection:
        _migrate(connection)
    engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url") or database_url(), target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
