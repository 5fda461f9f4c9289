"""The tracking turn through the production profile (HAProxy, two of every process, Redis) against the embedded
profile (one of each), both on the same PostgreSQL database with 1,000,000 shipments, measured in one run.

    PYTHONPATH=. .venv/bin/python bench/profiles.py [--shipments 1000000] [--seconds 60] [--shoppers 8]

Needs root for the local PostgreSQL cluster (or ``BENCH_DATABASE_URL`` and ``BENCH_TRACKER_STORE_URL``), and
``redis-server`` and ``haproxy`` (``scripts/system-deps.sh production``). Both stacks run side by side; for
``--seconds`` each, ``--shoppers`` concurrent shoppers ask "¿dónde está mi paquete <number>?" about random
parcels, first through the embedded stack, then through the production entry point, then the embedded one
again (so that the machine's drift falls on both). The production notifiers are stopped once started (the
embedded stack here has none; their detection pass over the million shipments would slow both stacks).
Prints p50/p95 and turns per second of each, and the ratio of the p95s (target: production at most 1.5 ×
embedded).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import secrets
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chat_latency import ensure_database, percentile, sample_numbers  # noqa: E402

WORK = ROOT / "var" / "bench"
RUN = secrets.token_hex(4)  # conversations of earlier runs are in the same tracker store
TURNS_PER_CONVERSATION = 4


def postgres(name: str) -> str:
    return subprocess.run(
        ["scripts/postgres.sh", name], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def prepare(count: int) -> list[str]:
    """The PostgreSQL databases (the app's loaded once with ``count`` demo shipments) and a sample of its numbers."""
    os.environ["BENCH_DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or postgres("bench")
    os.environ["TEST_DATABASE_URL"] = ensure_database(count)
    os.environ["TEST_TRACKER_STORE_URL"] = os.environ.get("BENCH_TRACKER_STORE_URL") or postgres("bench_conversations")
    return sample_numbers(2000)


async def load(base: str, token: str, numbers: list[str], shoppers: int, seconds: float, tag: str) -> list[float]:
    timings: list[float] = []
    stop = time.monotonic() + seconds
    rng = random.Random(tag)

    async def shopper(n: int) -> None:
        async with aiohttp.ClientSession() as http:
            for turn in itertools.count():
                if time.monotonic() >= stop:
                    return
                number = rng.choice(numbers)
                # A shopper's conversation is a few turns long, then another shopper comes: a conversation
                # hundreds of turns long would measure Rasa's replay of its events, not the tracking turn.
                sender = f"bench-{RUN}-{tag}-{n}-{turn // TURNS_PER_CONVERSATION}"
                started = time.perf_counter()
                async with http.post(
                    f"{base}/webhooks/rest/webhook",
                    json={"sender": sender, "message": f"¿dónde está mi paquete {number}?"},
                    headers={"Authorization": f"Bearer {token}"},
                ) as answer:
                    body = await answer.json()
                if answer.status != 200 or number not in " ".join(m.get("text", "") for m in body):
                    raise RuntimeError(f"unexpected answer about {number}: {answer.status} {body}")
                timings.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(shopper(n) for n in range(shoppers)))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shipments", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--shoppers", type=int, default=8)
    args = parser.parse_args()
    numbers = prepare(args.shipments)

    from tests.processes import running_stack
    from tests.production import running_production

    WORK.mkdir(parents=True, exist_ok=True)
    with running_stack(WORK / "embedded-logs") as embedded, running_production(WORK / "production-logs") as production:
        for name in ("notifier1", "notifier2"):  # a pass over 1M shipments would weigh on both stacks' turns
            production.processes.kill(name)  # crash-safe by design (tests/integration/test_notifier_kills.py)

        def run(base: str, token: str, tag: str, seconds: float) -> list[float]:
            return asyncio.run(load(base, token, numbers, args.shoppers, seconds, tag))

        run(embedded.rasa_url, embedded.rest_token, "warm-e", 5)
        run(production.entry_url, production.rest_token, "warm-p", 5)
        ours = run(embedded.rasa_url, embedded.rest_token, "e1", args.seconds / 2)
        theirs = run(production.entry_url, production.rest_token, "p", args.seconds)
        ours += run(embedded.rasa_url, embedded.rest_token, "e2", args.seconds / 2)
    results = {"embedded (1 of each)": ours, "production (2 of each, HAProxy)": theirs}
    for name, timings in results.items():
        print(
            f"{name:>32}: p50 {percentile(timings, 0.5):7.1f} ms  p95 {percentile(timings, 0.95):7.1f} ms  "
            f"{len(timings) / args.seconds:6.1f} turns/s ({args.shoppers} shoppers, {len(timings)} turns)"
        )
    ratio = percentile(theirs, 0.95) / percentile(ours, 0.95)
    print(f"{args.shipments:,} shipments on PostgreSQL; ratio of p95 production/embedded: {ratio:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
