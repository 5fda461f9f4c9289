"""What a very long message costs the assistant, against an ordinary one, measured in the same run.

    PYTHONPATH=. .venv/bin/python bench/long_message.py [--turns 30]

The real stack (rasa, actions, web). Over the REST channel: ``--turns`` ordinary messages ("hola, ¿dónde
está mi paquete?"), then the same number of 100 kB messages (refused before the NLU and answered "send a
shorter message"), then messages of exactly 1,600 characters of short words (the longest the NLU reads).
Prints p50/p95 of each, their ratio to the ordinary turn, and the ``rasa`` process's resident memory
before and after the long ones. Before the limit, 10,000 short words held Rasa's event loop about 5 s and
kept 2-3 GB.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.processes import rss_mib, running_stack  # noqa: E402

HUNDRED_KB = ("donde esta mi paquete " * 5000)[:100_000]
LONGEST_READ = ("a b " * 400)[:1600]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=30)
    args = parser.parse_args()
    with running_stack(ROOT / "var" / "bench" / "long-message-logs") as stack:

        def timed(text: str, n: int) -> list[float]:
            timings = []
            for i in range(n):
                started = time.perf_counter()
                stack.chat(f"bench-long-{i}-{len(text)}", text)
                timings.append((time.perf_counter() - started) * 1000)
            return timings

        timed("hola", 5)  # warm up
        ordinary = timed("hola, ¿dónde está mi paquete?", args.turns)
        before = rss_mib(stack.pids["rasa"])
        refused = timed(HUNDRED_KB, args.turns)
        after = rss_mib(stack.pids["rasa"])
        longest = timed(LONGEST_READ, args.turns)
    base = percentile(ordinary, 0.95)
    for name, timings in (("ordinary", ordinary), ("100 kB (refused)", refused), ("1,600 chars (read)", longest)):
        p50, p95 = percentile(timings, 0.5), percentile(timings, 0.95)
        print(f"{name:>20}: p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  p95 ratio to ordinary {p95 / base:5.2f}")
    print(
        f"rasa resident memory: {before:.0f} MiB before the 100 kB messages, {after:.0f} MiB after "
        f"({after - before:+.0f} MiB)"
    )


if __name__ == "__main__":
    main()
