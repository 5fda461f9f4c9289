"""The metrics API over HTTP: the back office's key, the period and product asked for, refusals, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from parcels.ingest import ingest_events
from parcels.shipments import register_shipments
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.factories import event_record, shipment_record
from web.app import create_app
from web.settings import Settings

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)
KEY = {"X-Api-Key": "back-office-key"}


@pytest.fixture
async def client(aiohttp_client, db: Engine):  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    late, kept = "LP00000000000021", "LP00000000000022"
    paid = (now - timedelta(days=14)).isoformat()
    register_shipments(UOW, [shipment_record(n, order_ref=f"O-{n}", paid_at=paid) for n in (late, kept)])
    delivered = (now - timedelta(days=10)).isoformat()
    ingest_events(UOW, [event_record("k-1", "GTMS_SIGNED", delivered, kept)], now)
    settings = Settings(
        rasa_public_url="http://rasa.example",
        tracking_api_key=None,
        vendor_dir=Settings.from_environment().vendor_dir,
        back_office_api_key=KEY["X-Api-Key"],
    )
    return await aiohttp_client(create_app(settings))


async def test_the_summary_of_the_last_30_days(client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/api/metrics/summary")).status == 401
    assert (await client.get("/api/metrics/summary", headers={"X-Api-Key": "wrong"})).status == 401
    answer = await client.get("/api/metrics/summary?days=30", headers=KEY)
    body = await answer.json()
    assert answer.status == 200 and body["broken"] == 1 and body["on_time_rate"] == 0.5
    assert body["compensation"] == {"EUR": {"owed": "3.00", "paid": "0.00"}}  # 5 days late: the 4-day tier
    assert body["notifications"] == {"sent": 0, "read": 0} and body["time_to_person_p95_seconds"] is None


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("days=0", "days is a whole number"),
        ("days=400", "days is a whole number"),
        ("days=ten", "days is a whole number"),
        ("from=2026-12-01&to=2026-11-01", "from must come before to"),
        ("from=2025-01-01&to=2026-11-01", "at most 366 days"),
        ("from=yesterday", "dates like"),
        ("product=NOPE", "no product 'NOPE'"),
    ],
)
async def test_a_period_that_is_not_one_is_refused_with_the_reason(client, query: str, said: str) -> None:  # type: ignore[no-untyped-def]
    answer = await client.get(f"/api/metrics/promises?{query}", headers=KEY)
    assert answer.status == 422 and said in (await answer.json())["error"]


async def test_every_section_answers_and_any_table_comes_as_csv(client) -> None:  # type: ignore[no-untyped-def]
    for section in ("promises", "stages", "compensation", "messages", "conversations"):
        answer = await client.get(f"/api/metrics/{section}?days=90&product=CHOICE_9", headers=KEY)
        body = await answer.json()
        assert answer.status == 200 and body["period"]["product"] == "CHOICE_9" and body["tables"], section
    download = await client.get("/api/metrics/promises?days=90&format=csv&table=weeks", headers=KEY)
    assert download.status == 200 and download.content_type == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(await download.text())))
    assert rows[0] == ["week", "product", "kept", "broken", "excluded", "open", "on_time_rate"]
    assert sum(int(row[2]) for row in rows[1:]) == 1 and sum(int(row[3]) for row in rows[1:]) == 1
    wrong = await client.get("/api/metrics/promises?format=csv&table=nope", headers=KEY)
    assert wrong.status == 422 and "weeks" in (await wrong.json())["error"]
    assert (await client.get("/api/metrics/nothing", headers=KEY)).status == 404
    bar = await client.get("/api/metrics/stages/parcels?days=90&week=2026-11-30&stage=9", headers=KEY)
    assert bar.status == 422 and "stage" in (await bar.json())["error"]
    tuesday = await client.get("/api/metrics/stages/parcels?days=90&week=2026-12-01&stage=1", headers=KEY)
    assert tuesday.status == 422 and "Monday" in (await tuesday.json())["error"]
