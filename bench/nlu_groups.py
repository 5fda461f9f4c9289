"""One model for the five languages, or one per language group? Scores both on the blind sets and
times them on the same messages, interleaved.

    LOG_LEVEL=WARNING RASA_TELEMETRY_ENABLED=false PYTHONPATH=. .venv-rasa/bin/python bench/nlu_groups.py

The single model is the assistant's (models/assistant.tar.gz, trained on data/nlu/ by
scripts/train.sh). The grouped alternative trains config.yml's pipeline once per group on that
group's training files only: Spain's Romance languages (es, ca, gl), English, Basque. A grouped
assistant must first know the language to pick a model, so each blind message goes to the model
of the language parcels/language.py identifies (a message without signal to the market's
default, Spanish), the way the actions would route it: its mistakes count against the groups.
Prints, per blind set, the routing macro of each (scripts/nlu_report.py's measure) and their
difference, then the median and p95 parse time of each and the ratio grouped / single, the
language identification's own time included.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from rasa.core.agent import Agent
from rasa.model_training import train_nlu
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.log_utils import configure_structlog

from scripts.nlu_report import LANGUAGES, parse_all, routing_macro

ROOT = Path(__file__).resolve().parent.parent
GROUPS = {"romance": ("es", "ca", "gl"), "en": ("en",), "eu": ("eu",)}
GROUP_OF = {lang: name for name, langs in GROUPS.items() for lang in langs}
IDENTIFY = """
import json, sys, time
from parcels.language import DEFAULT_LANGUAGE, detect_language
texts = json.load(sys.stdin)
started = time.perf_counter()
found = [detect_language(t) or DEFAULT_LANGUAGE for t in texts]
print(json.dumps({"languages": found, "seconds_each": (time.perf_counter() - started) / max(1, len(texts))}))
"""


def blind_sets() -> dict[str, list[Message]]:
    sets = {}
    for name in ("blind", "blind2"):
        for lang in LANGUAGES:
            path = ROOT / f"tests/nlu/{name}_{lang}.yml"
            if path.exists():
                sets[f"{name} {lang}"] = load_data(str(path)).intent_examples
    return sets


def identified(texts: list[str]) -> tuple[list[str], float]:
    """The language parcels/language.py gives each text (run in the app's environment), and its time per text."""
    result = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-c", IDENTIFY],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    answer = json.loads(result.stdout)
    return answer["languages"], float(answer["seconds_each"])


def train_groups(tmp: Path) -> dict[str, Agent]:
    agents = {}
    for name, langs in GROUPS.items():
        started = time.monotonic()
        data = tmp / f"{name}-data"
        data.mkdir()
        for lang in langs:
            shutil.copy(ROOT / f"data/nlu/{lang}.yml", data / f"{lang}.yml")
        model = train_nlu(str(ROOT / "config.yml"), str(data), str(tmp / name), fixed_model_name=name)
        agents[name] = Agent.load(model)
        print(f"trained the {name} model ({'+'.join(langs)}) in {time.monotonic() - started:.0f} s", flush=True)
    return agents


async def timed_parse(agent: Agent, text: str) -> float:
    started = time.perf_counter()
    await agent.parse_message(text)
    return time.perf_counter() - started


async def latencies(single: Agent, grouped: dict[str, Agent], texts: list[str], langs: list[str]) -> tuple[list, list]:
    """Each message parsed by both, alternately, so that the machine's noise falls on both."""
    one, many = [], []
    for text, lang in zip(texts, langs, strict=True):
        one.append(await timed_parse(single, text))
        many.append(await timed_parse(grouped[GROUP_OF[lang]], text))
    return one, many


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(ROOT / "models/assistant.tar.gz"))
    args = parser.parse_args()
    configure_structlog(logging.WARNING)

    sets = blind_sets()
    single = Agent.load(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        grouped = train_groups(Path(tmp))
        print("\n| blind set | messages | one model | per group | difference | language read right |")
        print("|---|---|---|---|---|---|")
        all_texts: list[str] = []
        all_langs: list[str] = []
        for name, messages in sets.items():
            texts = [m.get("text") for m in messages]
            langs, _ = identified(texts)
            rows_one = asyncio.run(parse_all(single, messages))
            rows_many = []
            for message, lang in zip(messages, langs, strict=True):
                rows_many += asyncio.run(parse_all(grouped[GROUP_OF[lang]], [message]))
            macro_one, _ = routing_macro([(r["intent"], r["answer"]) for r in rows_one])
            macro_many, _ = routing_macro([(r["intent"], r["answer"]) for r in rows_many])
            written_in = name.split()[1]
            right = sum(1 for lang in langs if GROUP_OF[lang] == GROUP_OF[written_in]) / len(langs)
            print(
                f"| {name} | {len(messages)} | {macro_one:.3f} | {macro_many:.3f} | {macro_many - macro_one:+.3f} "
                f"| {right:.3f} |"
            )
            all_texts += texts
            all_langs += langs
        _, identify_each = identified(all_texts)
        one, many = asyncio.run(latencies(single, grouped, all_texts, all_langs))
        many = [seconds + identify_each for seconds in many]
    print(f"\nparse time over {len(one)} messages, interleaved (ms): median / p95")
    print(f"  one model:  {statistics.median(one) * 1000:.2f} / {p95(one) * 1000:.2f}")
    print(f"  per group:  {statistics.median(many) * 1000:.2f} / {p95(many) * 1000:.2f} (language read included)")
    print(
        f"  ratio per group / one model: median {statistics.median(many) / statistics.median(one):.2f}, "
        f"p95 {p95(many) / p95(one):.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
