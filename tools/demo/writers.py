"""Bulk writers below the ORM: raw ``executemany`` on SQLite, ``COPY ... FROM STDIN`` on PostgreSQL."""

from __future__ import annotations

import contextlib
import sqlite3
from typing import TYPE_CHECKING

from tools.demo.generator import Block

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

_CUSTOMER_COLUMNS = "id, name, phone, email, locale, created_at"
_SHIPMENT_COLUMNS = (
    "id, tracking_number, order_ref, customer_id, product_code, market_code, origin_country, "
    "destination_postal_code, destination_city, paid_at, promised_date, deadline_at, current_stage, "
    "last_event_at, first_attempt_at, delivered_at, created_at, province"
)
# Event ids are left to the database: the next after the current largest, in insertion order.
_EVENT_COLUMNS = "event_id, shipment_id, code, stage, kind, occurred_at, location, received_at"


def _insert(table: str, columns: str) -> str:
    return f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['?'] * (columns.count(',') + 1))})"


def _n(value: object) -> str:
    return "\\N" if value is None else str(value)


def _t(value: str | None) -> str:
    return "\\N" if value is None else value + "+00"


def to_copy_text(block: Block) -> tuple[str, str, str]:
    """The block as COPY text (tab-separated; demo values hold no tab, newline or backslash)."""
    customers = "".join([f"{c[0]}\t{c[1]}\t{c[2]}\t{_n(c[3])}\t{c[4]}\t{c[5]}+00\n" for c in block.customers])
    shipments = "".join(
        [
            f"{s[0]}\t{s[1]}\t{s[2]}\t{s[3]}\t{s[4]}\t{s[5]}\t{s[6]}\t{s[7]}\t{s[8]}\t{s[9]}+00\t{s[10]}\t{s[11]}+00\t"
            f"{_n(s[12])}\t{_t(s[13])}\t{_t(s[14])}\t{_t(s[15])}\t{s[16]}+00\t{s[7][:2]}\n"
            for s in block.shipments
        ]
    )
    events = "".join([f"{e[0]}\t{e[1]}\t{e[2]}\t{e[3]}\t{e[4]}\t{e[5]}+00\t{e[6]}\t{e[7]}+00\n" for e in block.events])
    return customers, shipments, events


class SqliteWriter:
    """One transaction, ``executemany`` per block, durability relaxed while loading."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con
        self.isolation_level = self.con.isolation_level
        self.con.isolation_level = None  # we say BEGIN and COMMIT ourselves
        self.cur = self.con.cursor()
        self.journal_mode = self.cur.execute("PRAGMA journal_mode").fetchone()[0]
        # A rollback journal rather than WAL: the WAL would hold a second copy of everything written, copied
        # again at the checkpoint; a rollback journal only keeps the few pages that existed before. Only
        # possible when no other connection has the database open: otherwise the load stays in WAL mode.
        with contextlib.suppress(sqlite3.OperationalError):
            self.cur.execute("PRAGMA journal_mode=DELETE")
        self.cur.execute("PRAGMA synchronous=OFF")
        self.cur.execute("PRAGMA foreign_keys=OFF")  # rows are consistent by construction
        self.cur.execute("PRAGMA cache_size=-1000000")  # about 1 GB of page cache for the indexes while loading
        self.cur.execute("BEGIN IMMEDIATE")

    def write(self, block: Block) -> int:
        self.cur.executemany(_insert("customers", _CUSTOMER_COLUMNS), block.customers)
        self.cur.executemany(_insert("shipments", _SHIPMENT_COLUMNS), [(*s, s[7][:2]) for s in block.shipments])
        self.cur.executemany(_insert("tracking_events", _EVENT_COLUMNS), block.events)
        return len(block.shipments)

    def finish(self, ok: bool) -> None:
        try:
            self.cur.execute("COMMIT" if ok else "ROLLBACK")
        finally:
            self.cur.execute("PRAGMA cache_size=-2000")
            self.cur.execute("PRAGMA foreign_keys=ON")
            self.cur.execute("PRAGMA synchronous=NORMAL")
            with contextlib.suppress(sqlite3.OperationalError):
                self.cur.execute(f"PRAGMA journal_mode={self.journal_mode}")
            self.cur.close()
            self.con.isolation_level = self.isolation_level


class PostgresWriter:
    """One transaction, three ``COPY ... FROM STDIN`` per block.

    The foreign keys of the loaded tables are dropped for the load and added again at the end, in the
    same transaction: checked once over the whole tables instead of by a trigger per row (twice as
    fast). That holds exclusive locks on the tables until the load commits. The sequences are moved
    past the ids chosen here.
    """

    def __init__(self, con: psycopg.Connection[TupleRow]) -> None:
        import psycopg

        self.con = con
        self.cur = self.con.cursor()
        self.cur.execute("SET LOCAL synchronous_commit = off")
        self.foreign_keys: list[tuple[str, str, str]] = []
        self.cur.execute("SAVEPOINT demo_foreign_keys")
        try:
            for table in ("tracking_events", "shipments", "customers"):
                self.cur.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                    (table,),
                )
                for name, definition in self.cur.fetchall():
                    self.cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                    self.foreign_keys.append((table, name, definition))
        except psycopg.errors.InsufficientPrivilege:  # not the tables' owner: load with the checks per row
            self.cur.execute("ROLLBACK TO SAVEPOINT demo_foreign_keys")
            self.foreign_keys = []

    def write(self, block: tuple[str, str, str, int]) -> int:
        customers, shipments, events, count = block
        for table, columns, text in (
            ("customers", _CUSTOMER_COLUMNS, customers),
            ("shipments", _SHIPMENT_COLUMNS, shipments),
            ("tracking_events", _EVENT_COLUMNS, events),
        ):
            with self.cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                copy.write(text)
        return count

    def finish(self, ok: bool) -> None:
        if not ok:
            self.con.rollback()
            self.cur.close()
            return
        for table, name, definition in self.foreign_keys:
            self.cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for table in ("customers", "shipments"):
            self.cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table})) "
                f"WHERE pg_get_serial_sequence('{table}', 'id') IS NOT NULL AND EXISTS (SELECT 1 FROM {table})"
            )
        self.con.commit()
        self.cur.execute("ANALYZE customers, shipments, tracking_events")  # fresh statistics for the planner
        self.con.commit()
        self.cur.close()
