"""The back office's ``GET /api/claims`` while marketers preview slow templates, against the same requests on
an idle web process, measured in the same run.

    PYTHONPATH=. .venv/bin/python bench/preview_load.py [--requests 200] [--marketers 6]

One real ``web`` process on a fresh SQLite database with 200 claims. Baseline: ``--requests`` sequential
``GET /api/claims?limit=50``. Under load: the same while ``--marketers`` signed-in marketers each send slow
previews (a template that sorts thousands of words thousands of times for every sample) back to back, the
way a live editor does. Prints p50 and p95 of both, what became of the previews (200 done, 429 one of yours
is still running, 503 busy), and the ratio of the p95s (target: at most 3; when previews ran in the web
process's own thread pool, six such previews made it about 1,000: p95 7.9 s against 7.3 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
SLOW = (
    "{% for a in range(1000) %}{% for b in range(19) %}{% set _ = ('x ' * 9000).split()|sort %}{% endfor %}{% endfor %}"
)
PASSWORD = "bench-password-123"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(database: str, marketers: int) -> None:
    os.environ["DATABASE_URL"] = database
    from parcels.claims import make_claim
    from parcels.shipments import register_shipments
    from parcels.staff import create_staff
    from parcels.storage.migrate import upgrade
    from parcels.storage.unit_of_work import SqlUnitOfWork

    upgrade(database)
    uow = SqlUnitOfWork()
    paid = datetime.now(UTC) - timedelta(days=25)
    records = [
        {
            "tracking_number": f"LP{n:014d}",
            "product": "CHOICE_9",
            "paid_at": paid.isoformat(),
            "destination_postal_code": "28013",
            "customer_name": "Bench",
        }
        for n in range(1, 201)
    ]
    register_shipments(uow, records)
    for record in records:
        make_claim(uow, record["tracking_number"], datetime.now(UTC), "web", postal_code="28013")
    for n in range(marketers):
        create_staff(uow, f"m{n}@bench.example", f"Marketer {n}", "marketer", PASSWORD)


async def sign_in(session: aiohttp.ClientSession, base: str, email: str) -> str:
    page = await (await session.get(f"{base}/console/login")).text()
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = {"email": email, "password": PASSWORD, "csrf_token": csrf, "next": ""}
    async with session.post(f"{base}/console/login", data=form, allow_redirects=False) as answer:
        assert answer.status == 303, await answer.text()
    editor = await (await session.get(f"{base}/console/templates/promise/web/es")).text()
    return re.search(r'name="csrf-token" content="([^"]+)"', editor).group(1)  # type: ignore[union-attr]


async def previewing(base: str, email: str, stop: asyncio.Event, outcomes: Counter[str]) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        csrf = await sign_in(session, base, email)
        body = {"message": "promise", "channel": "web", "locale": "es", "source": SLOW, "sample": 0}
        while True:  # at least one preview
            async with session.post(f"{base}/console/api/preview", json=body, headers={"X-CSRF-Token": csrf}) as r:
                answer = await r.json()
                outcomes[f"{r.status} {answer.get('error', 'done')}"] += 1
            if stop.is_set():
                return
            if r.status != 200:
                await asyncio.sleep(0.3)  # the editor asks again after a moment


async def claims_latency(base: str, key: str, count: int, pause: float = 0.03) -> list[float]:
    """``count`` requests, one every ``pause`` seconds at most (spread over the load, not packed into a second)."""
    timings = []
    async with aiohttp.ClientSession() as session:
        for _ in range(count):
            started = time.perf_counter()
            async with session.get(f"{base}/api/claims?limit=50", headers={"X-Api-Key": key}) as answer:
                await answer.read()
                assert answer.status == 200
            timings.append(time.perf_counter() - started)
            await asyncio.sleep(pause)
    return timings


async def measure(base: str, key: str, requests: int, marketers: int) -> None:
    await claims_latency(base, key, 20)  # warm up
    warm, outcomes = asyncio.Event(), Counter[str]()
    warm.set()
    await previewing(base, "m0@bench.example", warm, Counter())  # the worker process starts
    idle = await claims_latency(base, key, requests)
    stop = asyncio.Event()
    load = [asyncio.create_task(previewing(base, f"m{n}@bench.example", stop, outcomes)) for n in range(marketers)]
    await asyncio.sleep(2)  # every marketer signed in and previewing
    busy = await claims_latency(base, key, requests)
    stop.set()
    await asyncio.gather(*load)
    for name, timings in (("idle", idle), (f"{marketers} previewing", busy)):
        print(
            f"GET /api/claims, {name:>14}: p50 {percentile(timings, 0.5) * 1000:7.1f} ms, "
            f"p95 {percentile(timings, 0.95) * 1000:7.1f} ms"
        )
    for outcome, count in sorted(outcomes.items()):
        print(f"previews: {count:4} x {outcome}")
    print(f"ratio of p95 (previewing / idle): {percentile(busy, 0.95) / percentile(idle, 0.95):.2f} (target <= 3)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--marketers", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-previews-") as folder:
        database = f"sqlite:///{Path(folder) / 'bench.db'}"
        prepare(database, args.marketers)
        port, key = free_port(), secrets.token_hex(8)
        env = {
            **os.environ,
            "DATABASE_URL": database,
            "BACK_OFFICE_API_KEY": key,
            "PYTHONPATH": str(ROOT),
            "CONSOLE_SECRET_KEY": secrets.token_hex(16),
            "CONSOLE_COOKIE_SECURE": "off",
        }
        log = open(Path(folder) / "web.log", "w")  # noqa: SIM115 - closed with the process
        web = subprocess.Popen(
            [sys.executable, "-m", "web", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            asyncio.run(measure(base, key, args.requests, args.marketers))
        finally:
            web.terminate()
            web.wait(timeout=20)
            log.close()
            if os.environ.get("BENCH_SHOW_LOG"):  # the web process's own lines, without the access log
                lines = (Path(folder) / "web.log").read_text().splitlines()
                print("\n".join(line for line in lines if "aiohttp.access" not in line)[-5000:])


if __name__ == "__main__":
    main()
