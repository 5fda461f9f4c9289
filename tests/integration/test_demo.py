"""The demo data generator and the showcase: deterministic, realistic, consistent with the core."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from parcels.policy import current_policy
from parcels.stages import event_codes
from parcels.status import Progress, summarize
from parcels.storage.db import make_engine, session_scope
from parcels.storage.migrate import upgrade
from parcels.storage.models import Customer, Shipment, TrackingEvent
from parcels.storage.queries import refresh_progress, shipments_with_events
from parcels.tracking_numbers import validate
from tools import demo

NOW = datetime(2026, 11, 24, 10, 30, 15, 123456, tzinfo=UTC)
TABLES = ("customers", "shipments", "tracking_events")


def sqlite_engine(path: Path) -> Engine:
    url = f"sqlite:///{path}"
    upgrade(url)
    return make_engine(url)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return sqlite_engine(tmp_path / "demo.db")


def table_text(path: Path) -> dict[str, list[tuple]]:
    """Every row of the three tables exactly as stored."""
    con = sqlite3.connect(path)
    try:
        return {table: con.execute(f"SELECT * FROM {table} ORDER BY id").fetchall() for table in TABLES}
    finally:
        con.close()


def all_numbers(engine: Engine) -> list[str]:
    with session_scope(engine) as session:
        return list(session.scalars(select(Shipment.tracking_number).order_by(Shipment.id)))


def statuses(engine: Engine, now: datetime = NOW) -> dict[str, Progress]:
    with session_scope(engine) as session:
        found = shipments_with_events(session, all_numbers(engine))
    return {number: summarize(facts, events, now).progress for number, (facts, events) in found.items()}


def test_same_seed_and_now_give_identical_rows(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "c.db"
    assert demo.generate(2500, 11, NOW, sqlite_engine(first)) == 2500
    assert demo.generate(2500, 11, NOW, sqlite_engine(second)) == 2500
    demo.generate(2500, 12, NOW, sqlite_engine(other))

    rows = table_text(first)
    assert rows == table_text(second)
    assert [len(rows[t]) for t in TABLES][1] == 2500
    assert rows["shipments"] != table_text(other)["shipments"]


def test_rows_do_not_depend_on_worker_processes(tmp_path: Path) -> None:
    """Three blocks: built by a worker process, or here; the data is the same either way."""
    count = 2 * demo.BLOCK + 7
    inline, pooled = tmp_path / "inline.db", tmp_path / "pooled.db"
    demo.generate(count, 5, NOW, sqlite_engine(inline), workers=0)
    demo.generate(count, 5, NOW, sqlite_engine(pooled), workers=1)
    assert table_text(inline) == table_text(pooled)


def test_datetimes_are_stored_as_sqlalchemy_writes_them(engine: Engine, tmp_path: Path) -> None:
    demo.generate(50, 3, NOW, engine)
    con = sqlite3.connect(tmp_path / "demo.db")
    paid, promised, deadline = con.execute("SELECT paid_at, promised_date, deadline_at FROM shipments").fetchone()
    occurred, received = con.execute("SELECT occurred_at, received_at FROM tracking_events").fetchone()
    con.close()
    stamp = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")
    assert all(stamp.match(value) for value in (paid, deadline, occurred, received))
    assert re.match(r"^\d{4}-\d\d-\d\d$", promised)
    with session_scope(engine) as session:
        shipment = session.scalars(select(Shipment).limit(1)).one()
    assert shipment.paid_at.tzinfo is UTC
    assert shipment.paid_at.strftime("%Y-%m-%d %H:%M:%S.%f") == paid


def test_every_outcome_is_present_and_on_time_is_the_largest(engine: Engine) -> None:
    demo.generate(3000, 7, NOW, engine)
    counts = Counter(statuses(engine).values())
    assert set(counts) == set(Progress), counts
    assert counts.most_common(1)[0][0] is Progress.DELIVERED_ON_TIME
    assert sum(counts.values()) == 3000


def test_denormalised_columns_are_what_refresh_progress_computes(engine: Engine) -> None:
    demo.generate(1500, 8, NOW, engine)
    columns = ("current_stage", "last_event_at", "first_attempt_at", "delivered_at")
    with session_scope(engine) as session:
        written = {s.id: tuple(getattr(s, c) for c in columns) for s in session.scalars(select(Shipment))}
    with session_scope(engine) as session:
        refresh_progress(session, list(written), NOW)
        session.flush()
        recomputed = {s.id: tuple(getattr(s, c) for c in columns) for s in session.scalars(select(Shipment))}
        session.rollback()
    assert written == recomputed
    assert any(value[3] is not None for value in written.values())
    assert any(value[0] is None for value in written.values())  # just paid, no event yet


def test_data_is_realistic_and_consistent(engine: Engine) -> None:
    demo.generate(2000, 9, NOW, engine)
    policy = current_policy()
    market = policy.markets["ES"]
    codes = event_codes()
    with session_scope(engine) as session:
        shipments = session.scalars(select(Shipment)).all()
        customers = session.scalars(select(Customer)).all()
        events = session.scalars(select(TrackingEvent)).all()

    numbers = [s.tracking_number for s in shipments]
    assert len(set(numbers)) == len(numbers)
    assert all(validate(n).valid for n in numbers)
    s10 = [n for n in numbers if not n.startswith("LP")]
    assert 0.15 < len(s10) / len(numbers) < 0.25
    assert all(re.fullmatch(r"LP1\d{13}", n) for n in numbers if n not in s10)
    assert not any(n.startswith("LP0") for n in numbers)  # the showcase's range

    products = Counter(s.product_code for s in shipments)
    assert set(products) <= set(policy.products)
    assert products.most_common(1)[0][0] == "CHOICE_9"
    provinces = Counter(s.destination_postal_code[:2] for s in shipments)
    assert all(re.fullmatch(r"\d{5}", s.destination_postal_code) for s in shipments)
    assert all(market.region_for(s.destination_postal_code) for s in shipments)
    assert {"35", "38", "07"} <= set(provinces)  # Canaries and Balearics
    assert provinces.most_common(1)[0][0] in {"28", "08"}  # Madrid or Barcelona
    assert all(s.destination_city for s in shipments)
    assert all(NOW - timedelta(days=60, seconds=1) <= s.paid_at <= NOW for s in shipments)
    assert all(s.paid_at < s.deadline_at for s in shipments)

    phones = [c.phone for c in customers]
    assert all(re.fullmatch(r"\+346\d{8}", p) for p in phones)
    assert len(set(phones)) == len(phones)
    assert Counter(c.locale for c in customers).keys() == {"es", "en"}
    assert len(customers) < len(shipments)  # some customers ordered more than once

    assert len({e.event_id for e in events}) == len(events)
    assert all(e.occurred_at <= NOW and e.received_at <= NOW for e in events)
    for e in events:
        known = codes[e.code]
        assert (e.stage, e.kind) == (int(known.stage), str(known.kind))
    systems = Counter(codes[e.code].system for e in events)
    assert systems["upu"] > 0 and systems["cainiao"] > 0
    places = {e.location for e in events}
    assert {"Shenzhen, CN", "Guangzhou, CN", "Hong Kong, HK", "Madrid-Barajas, ES", "Zaragoza, ES"} <= places


def test_second_seed_continues_ids_and_a_loaded_seed_is_refused(engine: Engine) -> None:
    demo.showcase(NOW, engine)
    demo.generate(300, 1, NOW, engine)
    demo.generate(300, 2, NOW, engine)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Shipment)) == 600 + len(demo.SHOWCASE_NUMBERS)
        ids = list(session.scalars(select(Shipment.id).order_by(Shipment.id)))
    assert ids == list(range(1, len(ids) + 1))
    with pytest.raises(demo.DemoAlreadyLoaded, match="seed 1"):
        demo.generate(10, 1, NOW + timedelta(days=1), engine)
    # The showcase still works on top of bulk data, and leaves it alone.
    demo.showcase(NOW, engine)
    assert len(statuses(engine)) == 600 + len(demo.SHOWCASE_NUMBERS)


def test_generate_checks_its_arguments(engine: Engine) -> None:
    with pytest.raises(ValueError, match="aware"):
        demo.generate(1, 1, NOW.replace(tzinfo=None), engine)
    with pytest.raises(demo.DemoError):
        demo.generate(demo.MAX_COUNT + 1, 1, NOW, engine)
    assert demo.generate(0, 1, NOW, engine) == 0


def test_showcase_is_idempotent_and_each_number_says_its_label(engine: Engine) -> None:
    first = demo.showcase(NOW, engine)
    assert {s.outcome for s in first} == set(Progress)
    assert len({s.tracking_number for s in first}) == len(first)
    assert all(validate(s.tracking_number).valid for s in first)
    assert any(not s.tracking_number.startswith("LP") for s in first)

    later = NOW + timedelta(days=3, hours=5)
    again = demo.showcase(later, engine)
    assert again == first
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Shipment)) == len(first)
        assert session.scalar(select(func.count()).select_from(Customer)) == 1
        found = shipments_with_events(session, [s.tracking_number for s in again])
        rows = {s.tracking_number: s for s in session.scalars(select(Shipment))}
        events = session.scalar(select(func.count()).select_from(TrackingEvent))
    assert events == sum(len(e) for _, e in found.values())
    for item in again:
        facts, history = found[item.tracking_number]
        status = summarize(facts, history, later)
        assert status.progress == item.outcome, item
        assert all(e.occurred_at <= later for e in history)
        row = rows[item.tracking_number]  # denormalised columns refreshed
        assert row.last_event_at == (history[-1].occurred_at if history else None)
        assert row.delivered_at == status.delivered_at


def test_generate_gives_the_same_data_on_the_suite_database(db: Engine, engine: Engine) -> None:
    """On PostgreSQL (TEST_DATABASE_URL) the COPY path must read back exactly like the SQLite rows."""
    demo.generate(1200, 21, NOW, db)
    demo.generate(1200, 21, NOW, engine)

    def snapshot(e: Engine) -> dict[str, list[tuple]]:
        with session_scope(e) as session:
            return {
                "customers": [
                    (c.id, c.name, c.phone, c.email, c.locale, c.created_at)
                    for c in session.scalars(select(Customer).order_by(Customer.id))
                ],
                "shipments": [
                    tuple(getattr(s, c.key) for c in Shipment.__table__.columns)
                    for s in session.scalars(select(Shipment).order_by(Shipment.id))
                ],
                "events": [  # the events' own ids come from the database's sequence: compare the rest
                    tuple(getattr(t, c.key) for c in TrackingEvent.__table__.columns if c.key != "id")
                    for t in session.scalars(select(TrackingEvent).order_by(TrackingEvent.event_id))
                ],
            }

    assert snapshot(db) == snapshot(engine)
    if db.dialect.name == "postgresql":  # the sequences were moved past the ids the loader chose
        demo.showcase(NOW, db)
