"""Intent scores per language on held-out folds of our own NLU data.

Stratified k-fold cross-validation over data/nlu/{es,en}.yml (both languages in
every fold, as the assistant is trained): each fold trains the real pipeline of
config.yml on the rest and predicts its held-out part. Prints the per-language
intent macro-F1 and writes results/nlu-report.{json,md}. Runs in the rasa env.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from rasa.core.agent import Agent
from rasa.model_training import train_nlu
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.metrics import classification_report, f1_score

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("es", "en")


def stratified_folds(examples: list[Message], folds: int, seed: int) -> list[list[Message]]:
    by_intent: dict[str, list[Message]] = defaultdict(list)
    for example in examples:
        by_intent[example.get("intent")].append(example)
    parts: list[list[Message]] = [[] for _ in range(folds)]
    rng = random.Random(seed)
    for intent in sorted(by_intent):
        group = by_intent[intent][:]
        rng.shuffle(group)
        for index, example in enumerate(group):
            parts[index % folds].append(example)
    return parts


async def predict(model: str, messages: list[Message]) -> list[tuple[str, str]]:
    agent = Agent.load(model)
    pairs = []
    for message in messages:
        parsed = await agent.parse_message(message.get("text"))
        ranking = [r["name"] for r in parsed.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
        pairs.append((message.get("intent"), ranking[0] if ranking else "nlu_fallback"))
    return pairs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--min-f1", type=float, default=0.90, help="fail below this macro-F1 in any language")
    args = parser.parse_args()

    data = {lang: load_data(str(ROOT / f"data/nlu/{lang}.yml")).intent_examples for lang in LANGUAGES}
    folds = {lang: stratified_folds(data[lang], args.folds, args.seed) for lang in LANGUAGES}
    pairs: dict[str, list[tuple[str, str]]] = {lang: [] for lang in LANGUAGES}
    per_fold: dict[str, list[float]] = {lang: [] for lang in LANGUAGES}
    started = time.monotonic()

    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.folds):
            train = [m for lang in LANGUAGES for i, part in enumerate(folds[lang]) if i != k for m in part]
            train_file = Path(tmp) / f"train-{k}.yml"
            RasaYAMLWriter().dump(train_file, TrainingData(training_examples=train))
            model = train_nlu(
                str(ROOT / "config.yml"), str(train_file), str(Path(tmp) / f"models-{k}"), fixed_model_name=f"fold-{k}"
            )
            for lang in LANGUAGES:
                fold_pairs = asyncio.run(predict(model, folds[lang][k]))
                pairs[lang] += fold_pairs
                gold, guess = zip(*fold_pairs, strict=True)
                per_fold[lang].append(f1_score(gold, guess, average="macro"))
            print(
                f"fold {k + 1}/{args.folds}: " + ", ".join(f"{lang} {per_fold[lang][-1]:.3f}" for lang in LANGUAGES),
                flush=True,
            )

    report = {"folds": args.folds, "seed": args.seed, "seconds": round(time.monotonic() - started), "languages": {}}
    lines = [f"# NLU report: {args.folds}-fold cross-validation, intent macro-F1 by language", ""]
    for lang in LANGUAGES:
        gold, guess = zip(*pairs[lang], strict=True)
        macro = f1_score(gold, guess, average="macro")
        report["languages"][lang] = {
            "examples": len(gold),
            "macro_f1": round(macro, 4),
            "fold_macro_f1": [round(x, 4) for x in per_fold[lang]],
            "per_intent": classification_report(gold, guess, output_dict=True, zero_division=0),
            "errors": [
                {"intent": g, "predicted": p, "text": m.get("text")}
                for (g, p), m in zip(pairs[lang], [m for part in folds[lang] for m in part], strict=False)
                if g != p
            ],
        }
        lines += [
            f"## {lang}: macro-F1 {macro:.3f} over {len(gold)} held-out examples",
            "",
            "```",
            classification_report(gold, guess, digits=3, zero_division=0),
            "```",
            "",
        ]
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    (out / "nlu-report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    (out / "nlu-report.md").write_text("\n".join(lines))
    print("\n".join(lines))
    print(f"written: results/nlu-report.md, results/nlu-report.json ({report['seconds']} s)")
    worst = min(report["languages"][lang]["macro_f1"] for lang in LANGUAGES)
    if worst < args.min_f1:
        print(f"FAIL: macro-F1 {worst:.3f} is below {args.min_f1}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
