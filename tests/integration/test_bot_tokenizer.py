"""bot/ runs in the rasa env: its tokenizer is checked there, in a subprocess."""

from __future__ import annotations

import json
import subprocess

from tests.processes import ROOT

SCRIPT = """
import json, sys
from bot.tokenizer import ShopperTokenizer
from rasa.shared.nlu.training_data.message import Message
tokenizer = ShopperTokenizer(ShopperTokenizer.get_default_config())
out = []
for text in json.loads(sys.argv[1]):
    message = Message(data={"text": text})
    out.append([[t.text, t.start, t.end] for t in tokenizer.tokenize(message, "text")])
print(json.dumps(out))
"""


def tokenize(*texts: str) -> list[list[list]]:
    result = subprocess.run(
        [str(ROOT / ".venv-rasa/bin/python"), "-c", SCRIPT, json.dumps(texts)],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_numbers_become_one_placeholder_and_accents_fold() -> None:
    spaced, two, plain = tokenize(
        "¿dónde está mi paquete LP 0001 2345 6789 01?",
        "rr123456785cn y LP00012345678901",
        "ok",
    )
    assert spaced == [["donde", 1, 6], ["esta", 7, 11], ["mi", 12, 14], ["paquete", 15, 22], ["trackingnumber", 23, 43]]
    assert [t[0] for t in two] == ["trackingnumber", "y", "trackingnumber"]
    assert plain == [["ok", 0, 2]]
