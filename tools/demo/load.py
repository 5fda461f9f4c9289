"""``generate``: load a seed's bulk demo data into the app's database (SQLite or PostgreSQL).

A load is a pure function of ``(count, seed, now)``: the same arguments give the same rows, on any
machine. Loading a seed whose number range is already in the database is refused
(``DemoAlreadyLoaded``).
"""

from __future__ import annotations

import os
from datetime import datetime

from sqlalchemy import Engine

from parcels.policy import current_policy
from parcels.storage.db import default_engine
from tools.demo.errors import DemoAlreadyLoaded, DemoError
from tools.demo.generator import build_tables, prefixes
from tools.demo.pool import build_blocks
from tools.demo.writers import PostgresWriter, SqliteWriter

MAX_COUNT = 10_000_000  # the S10 serial space reserved per seed


def generate(
    count: int,
    seed: int,
    now: datetime,
    engine: Engine | None = None,
    progress: bool = False,
    *,
    workers: int | None = None,
) -> int:
    """Load ``count`` demo shipments (with customers and events) for ``seed`` as of ``now``; returns how many.

    ``workers``: processes that build rows while this one writes (default: one when there are two cores or
    more and the load is large enough). The rows do not depend on it. Callers from a script need the usual
    ``if __name__ == "__main__":`` guard, as for any use of ``multiprocessing``.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if count < 0 or count > MAX_COUNT:
        raise DemoError(f"count must be between 0 and {MAX_COUNT:,}, got {count:,}")
    if seed < 0:
        raise DemoError("seed must not be negative")
    if count == 0:
        return 0
    engine = engine or default_engine()
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise DemoError(f"demo data is written to SQLite or PostgreSQL, not {dialect}")
    policy = current_policy()
    build_tables(policy, now)  # fail early on a policy the generator cannot use
    mark = "?" if dialect == "sqlite" else "%s"
    lp_prefix, s10_prefix = prefixes(seed)

    from tqdm import tqdm

    raw = engine.raw_connection()
    writer: SqliteWriter | PostgresWriter | None = None
    ok = False
    written = 0
    try:
        con = raw.driver_connection
        if con is None:  # only once the pool has invalidated the connection
            raise DemoError("the database connection was closed before the load started")
        cur = con.cursor()
        cur.execute(
            f"SELECT tracking_number FROM shipments WHERE tracking_number LIKE {mark} OR tracking_number LIKE {mark} "
            "LIMIT 1",
            (lp_prefix + "%", s10_prefix + "%"),
        )
        taken = cur.fetchone()
        if taken is not None:
            raise DemoAlreadyLoaded(
                f"the demo number range of seed {seed} is already in the database (e.g. {taken[0]}); "
                "choose another seed or start from an empty database"
            )
        ids = []
        for table in ("customers", "shipments"):
            cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            ids.append(int(cur.fetchone()[0]))
        cur.close()
        con.rollback()
        writer = SqliteWriter(con) if dialect == "sqlite" else PostgresWriter(con)
        if workers is None:
            workers = 1 if (os.cpu_count() or 1) > 1 else 0
        blocks = build_blocks(seed, now, policy, (ids[0], ids[1]), count, dialect == "postgresql", workers)
        with tqdm(total=count, unit=" shipments", unit_scale=True, disable=None if progress else True) as bar:
            for block in blocks:
                done = writer.write(block)  # type: ignore[arg-type]
                written += done
                bar.update(done)
        ok = True
    finally:
        try:
            if writer is not None:
                writer.finish(ok)
        finally:
            raw.close()
    return written
