"""The conversation lock (``bot.stores.ConversationLockStore``) on a real Redis, taken by two Rasa-side processes
at once, as two ``rasa`` servers do.

Rasa's own ``RedisLockStore`` hands out tickets by reading, incrementing and writing back the whole lock, so two
servers can take the same ticket and both process one conversation (RasaHQ/rasa#9213). Here each of two
processes runs many turns of one conversation at the same moment; inside the lock every turn counts itself
in Redis. Never more than one inside, and every turn ran."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.processes import ROOT, free_port

TURNS = 150
HAMMER = """
import asyncio, os, sys
from redis import asyncio as aioredis
from bot.stores import ConversationLockStore

async def main() -> None:
    store, redis = ConversationLockStore(), aioredis.from_url(os.environ["REDIS_URL"])
    worst = 0

    async def turn(n: int) -> None:
        nonlocal worst
        async with store.lock("one-conversation"):
            worst = max(worst, await redis.incr("inside"))
            await asyncio.sleep(0.001)
            await redis.decr("inside")
            await redis.rpush("turns", f"{sys.argv[1]}-{n}")

    await asyncio.gather(*(turn(n) for n in range(int(sys.argv[2]))))
    print(worst)

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (scripts/system-deps.sh)")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() != b"PONG":
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_two_servers_never_hold_one_conversation_at_once(redis_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REDIS_URL": redis_url, "RASA_TELEMETRY_ENABLED": "false"}
    python = str(ROOT / ".venv-rasa/bin/python")
    servers = [
        subprocess.Popen([python, "-c", HAMMER, name, str(TURNS)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for name in ("rasa1", "rasa2")
    ]
    worst = [int(server.communicate(timeout=240)[0].strip()) for server in servers]
    assert [server.returncode for server in servers] == [0, 0]
    assert worst == [1, 1]  # inside the lock, each turn was alone
    port = redis_url.rsplit(":", 1)[1].split("/")[0]
    turns = subprocess.run(["redis-cli", "-p", port, "llen", "turns"], capture_output=True, text=True, check=True)
    assert int(turns.stdout) == 2 * TURNS  # and none was dropped
