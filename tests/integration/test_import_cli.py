"""``python -m parcels``: imports of JSONL and CSV files, demo, showcase and the exit codes."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from parcels.storage.db import make_engine, session_scope
from parcels.storage.models import Customer, Shipment, TrackingEvent
from tools.demo import SHOWCASE_NUMBERS

ROOT = Path(__file__).resolve().parents[2]

SHIPMENTS = [
    {
        "tracking_number": "LP00123456789012",
        "order_ref": "8100000000000001",
        "product": "CHOICE_9",
        "paid_at": "2026-11-10T09:15:00+01:00",
        "destination_postal_code": "28013",
        "destination_city": "Madrid",
        "customer_name": "Carmen Ruiz Soto",
        "customer_phone": "+34 612 345 678",
        "customer_email": "carmen@example.com",
        "customer_locale": "es",
    },
    {
        "tracking_number": "RR123456785CN",
        "order_ref": "8100000000000002",
        "product": "STANDARD",
        "paid_at": "2026-11-12T18:00:00Z",
        "destination_postal_code": "35002",
        "destination_city": "Las Palmas de Gran Canaria",
        "customer_name": "James Wilson",
        "customer_phone": "+34699111222",
        "customer_email": "",
        "customer_locale": "en",
    },
    {  # unknown product: rejected
        "tracking_number": "LP00123456789013",
        "order_ref": "",
        "product": "TELEPORT",
        "paid_at": "2026-11-12T18:00:00Z",
        "destination_postal_code": "08013",
        "destination_city": "Barcelona",
        "customer_name": "Jordi Puig",
        "customer_phone": "",
        "customer_email": "",
        "customer_locale": "es",
    },
]
EVENTS = [
    {
        "event_id": "E1",
        "tracking_number": "LP00123456789012",
        "code": "PU_PICKUP_SUCCESS",
        "occurred_at": "2026-11-10T20:00:00+08:00",
        "location": "Shenzhen, CN",
    },
    {
        "event_id": "E2",
        "tracking_number": "LP00123456789012",
        "code": "LH_DEPART",
        "occurred_at": "2026-11-12T08:00:00+08:00",
        "location": "Hong Kong, HK",
    },
    {
        "event_id": "E3",
        "tracking_number": "LP 0012 3456 7890 12",
        "code": "gtms_signed",
        "occurred_at": "2026-11-17T12:30:00+01:00",
        "location": "Madrid, ES",
    },
    {
        "event_id": "E4",
        "tracking_number": "RR123456785CN",
        "code": "EMA",
        "occurred_at": "2026-11-13T10:00:00+08:00",
        "location": "",
    },
    {
        "event_id": "E5",
        "tracking_number": "RR123456785CN",
        "code": "TELEPORTED",  # unknown code: rejected
        "occurred_at": "2026-11-14T10:00:00+08:00",
        "location": "Mars",
    },
    {
        "event_id": "E2",
        "tracking_number": "LP00123456789012",
        "code": "LH_DEPART",  # duplicate
        "occurred_at": "2026-11-12T08:00:00+08:00",
        "location": "Hong Kong, HK",
    },
]
MALFORMED = '{"event_id": "E9", "tracking_number": '


def run(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "parcels", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    done = run("migrate", url=url)
    assert done.returncode == 0, done.stderr
    return url


def write_jsonl(path: Path, records: list[dict], malformed_at: int | None = None) -> Path:
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    if malformed_at is not None:
        lines.insert(malformed_at - 1, MALFORMED)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_csv(path: Path, records: list[dict], malformed_at: int | None = None) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(records[0]))
        writer.writeheader()
        for n, record in enumerate(records, start=2):
            if n == malformed_at:
                f.write("E9,LP00123456789012,EMA,2026-11-13T10:00:00+08:00,Shenzhen,one field too many\r\n")
            writer.writerow(record)
    return path


def stored(url: str) -> tuple[dict[str, Shipment], dict[str, TrackingEvent], int]:
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            shipments = {s.tracking_number: s for s in session.scalars(select(Shipment))}
            events = {e.event_id: e for e in session.scalars(select(TrackingEvent))}
            customers = len(session.scalars(select(Customer)).all())
    finally:
        engine.dispose()
    return shipments, events, customers


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_import_keeps_valid_rows_and_reports_the_rest_by_line(tmp_path: Path, url: str, fmt: str) -> None:
    write = write_jsonl if fmt == "jsonl" else write_csv
    shipments_file = write(tmp_path / f"shipments.{fmt}", [*SHIPMENTS, SHIPMENTS[0]])
    done = run("import", "shipments", str(shipments_file), url=url)
    assert done.returncode == 1, done.stderr
    assert "accepted: 2, duplicates: 1, rejected: 1" in done.stdout
    first_line = 1 if fmt == "jsonl" else 2
    assert f"line {first_line + 2}: LP00123456789013: unknown product 'TELEPORT'" in done.stderr
    assert "Traceback" not in done.stderr

    # The malformed line is the fourth of the file: the records after it keep their own line numbers.
    events_file = write(tmp_path / f"events.{fmt}", EVENTS, malformed_at=4)
    done = run("import", "events", str(events_file), url=url)
    assert done.returncode == 1, done.stderr
    assert "accepted: 4, duplicates: 1, rejected: 2" in done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith("line ")]
    assert len(errors) == 2, done.stderr
    assert errors[0].startswith("line 4: -: the line is not valid JSON") or errors[0].startswith(
        "line 4: -: 6 fields"
    ), errors
    unknown_line = (6 if fmt == "jsonl" else 7) + 0  # E5 comes after the malformed line
    assert errors[1].startswith(f"line {unknown_line}: E5: unknown event code 'TELEPORTED'"), errors
    assert "Traceback" not in done.stderr

    shipments, events, customers = stored(url)
    assert set(shipments) == {"LP00123456789012", "RR123456785CN"}
    assert customers == 2
    assert set(events) == {"E1", "E2", "E3", "E4"}
    assert events["E3"].code == "GTMS_SIGNED"
    assert events["E4"].location is None
    delivered = shipments["LP00123456789012"]
    assert delivered.current_stage == 7
    assert delivered.delivered_at == datetime(2026, 11, 17, 11, 30, tzinfo=UTC)
    assert delivered.promised_date.isoformat() == "2026-11-19"


def test_a_clean_import_exits_0_and_a_second_run_counts_duplicates(tmp_path: Path, url: str) -> None:
    path = write_jsonl(tmp_path / "shipments.jsonl", SHIPMENTS[:2])
    done = run("import", "shipments", str(path), url=url)
    assert (done.returncode, done.stdout.strip()) == (0, "accepted: 2, duplicates: 0, rejected: 0"), done.stderr
    done = run("import", "shipments", str(path), url=url)
    assert (done.returncode, done.stdout.strip()) == (0, "accepted: 0, duplicates: 2, rejected: 0"), done.stderr


def test_many_records_are_read_in_chunks(tmp_path: Path, url: str) -> None:
    records = [
        {**SHIPMENTS[0], "tracking_number": f"LP{n:014d}", "customer_phone": f"+3461{n:07d}"} for n in range(2500)
    ]
    path = write_jsonl(tmp_path / "many.jsonl", records, malformed_at=1800)
    done = run("import", "shipments", str(path), url=url)
    assert done.returncode == 1
    assert "accepted: 2500, duplicates: 0, rejected: 1" in done.stdout
    assert "line 1800: -: the line is not valid JSON" in done.stderr


def test_unreadable_file_and_unknown_format_exit_2_on_one_line(tmp_path: Path, url: str) -> None:
    done = run("import", "events", str(tmp_path / "missing.jsonl"), url=url)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "No such file" in done.stderr
    other = tmp_path / "events.txt"
    other.write_text("{}\n")
    done = run("import", "events", str(other), url=url)
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_unreachable_database_exits_2_on_one_line() -> None:
    done = run("migrate", url="postgresql://nobody:secret@127.0.0.1:9/nothing")
    assert done.returncode == 2
    assert done.stderr.startswith("parcels migrate: error: ")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_demo_and_showcase_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    done = run("demo", "--count", "300", "--seed", "4", "--now", "2026-11-24T10:00:00Z", url=url)
    assert done.returncode == 0, done.stderr
    assert "wrote 300 shipments" in done.stdout and "shipments/s" in done.stdout
    done = run("demo", "--count", "300", "--seed", "4", url=url)
    assert done.returncode == 2 and "already in the database" in done.stderr
    done = run("demo", "--count", "300", "--seed", "4", "--skip-if-loaded", url=url)
    assert done.returncode == 0, done.stderr

    done = run("showcase", "--now", "2026-11-24T10:00:00+01:00", url=url)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["tracking", "number", "outcome"]
    assert len(lines) == 1 + len(SHOWCASE_NUMBERS) and any(line.split()[1] == "late" for line in lines[1:])
    shipments, _, _ = stored(url)
    assert len(shipments) == 300 + len(SHOWCASE_NUMBERS)
