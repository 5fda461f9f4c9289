"""Latency of a tracking turn with 1,000,000 shipments in the database, against a bare
`rasa init` assistant's turn measured in the same run.

    PYTHONPATH=. .venv/bin/python bench/chat_latency.py [--shipments 1000000] [--turns 300]

Our turn: "¿dónde está mi paquete <number>?" over the REST channel (NLU, the custom
slot mapping action, the tracking action reading the database, the template). The
bare turn: a message to Rasa's own starter assistant (NLU and a response, no action
server). Both servers run side by side and are measured interleaved, so that the
machine's noise falls on both. Prints p50 and p95 of each and the ratio of the p95s
(target: at most 1.3).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
BARE_MESSAGES = ["hello", "I am sad", "yes", "goodbye", "are you a bot?", "great", "no", "hi there"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ensure_database(count: int) -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{WORK / 'chat-latency.db'}"
    os.environ["DATABASE_URL"] = url
    from sqlalchemy import func, select

    from parcels.storage.db import default_engine
    from parcels.storage.migrate import upgrade
    from parcels.storage.models import Shipment
    from tools.demo import generate, showcase

    upgrade(url)
    with default_engine().connect() as connection:
        have = connection.execute(select(func.count()).select_from(Shipment)).scalar_one()
    if have < count:
        print(f"loading {count - have:,} demo shipments into {url} (once)...", flush=True)
        generate(count - have, seed=have + 1, now=datetime.now(UTC), progress=True)
    showcase(datetime.now(UTC))
    return url


def sample_numbers(n: int) -> list[str]:
    from sqlalchemy import func, select

    from parcels.storage.db import default_engine
    from parcels.storage.models import Shipment

    with default_engine().connect() as connection:
        top = connection.execute(select(func.max(Shipment.id))).scalar_one()
        ids = random.Random(5).sample(range(1, top + 1), n)
        rows = connection.execute(select(Shipment.tracking_number).where(Shipment.id.in_(ids))).scalars().all()
    return list(rows)


def bare_model() -> Path:
    """Rasa's starter assistant (`rasa init`), trained once and kept under var/bench."""
    project = WORK / "bare"
    model = project / "models" / "bare.tar.gz"
    if model.exists():
        return model
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    print("training the bare `rasa init` assistant (once)...", flush=True)
    subprocess.run(
        [str(RASA), "init", "--no-prompt", "--init-dir", str(project)],
        cwd=project,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    trained = sorted((project / "models").glob("*.tar.gz"))[-1]
    trained.rename(model)
    return model


def start_bare(model: Path, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    return subprocess.Popen(
        [str(RASA), "run", "--model", str(model), "--port", str(port), "--enable-api"],
        cwd=model.parent.parent,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def wait_for(url: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up")


def turn(
    session: requests.Session, base: str, sender: str, text: str, token: str | None = None
) -> tuple[float, list[dict]]:
    started = time.perf_counter()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"sender": sender, "message": text}
    response = session.post(f"{base}/webhooks/rest/webhook", json=body, headers=headers, timeout=60)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed, response.json()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shipments", type=int, default=1_000_000)
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)

    url = ensure_database(args.shipments)
    numbers = sample_numbers(args.turns + args.warmup)
    model = bare_model()

    sys.path.insert(0, str(ROOT))
    from tests.processes import free_port, running_stack

    bare_port = free_port()
    bare = start_bare(model, bare_port, WORK / "bare-rasa.log")
    try:
        with running_stack(WORK / "logs") as stack:
            wait_for(f"http://127.0.0.1:{bare_port}/status")
            ours, theirs = [], []
            with requests.Session() as session:
                for i in range(args.turns + args.warmup):
                    number = numbers[i % len(numbers)]
                    ours_t, replies = turn(
                        session,
                        stack.rasa_url,
                        f"bench-{i // 5}",
                        f"¿dónde está mi paquete {number}?",
                        stack.rest_token,
                    )
                    if number not in " ".join(r.get("text", "") for r in replies):
                        raise RuntimeError(f"unexpected answer for {number}: {replies}")
                    bare_t, _ = turn(session, f"http://127.0.0.1:{bare_port}", f"bench-{i // 5}", BARE_MESSAGES[i % 8])
                    if i >= args.warmup:
                        ours.append(ours_t * 1000)
                        theirs.append(bare_t * 1000)
    finally:
        bare.terminate()
        bare.wait(timeout=30)

    p50, p95 = percentile(ours, 0.50), percentile(ours, 0.95)
    b50, b95 = percentile(theirs, 0.50), percentile(theirs, 0.95)
    print(f"database: {url} ({args.shipments:,} shipments or more), {args.turns} turns each, interleaved")
    print(f"tracking turn (ours):   p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   mean {statistics.mean(ours):7.1f} ms")
    print(f"bare rasa init turn:    p50 {b50:7.1f} ms   p95 {b95:7.1f} ms   mean {statistics.mean(theirs):7.1f} ms")
    print(f"ratio p95 ours/bare: {p95 / b95:.2f} (target <= 1.30); ratio p50: {p50 / b50:.2f}")
    return 0 if p95 / b95 <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(main())
