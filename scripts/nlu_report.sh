#!/usr/bin/env bash
# `make nlu-report`: per-language intent scores on held-out folds of our own data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
RASA_TELEMETRY_ENABLED=false PYTHONPATH=. .venv-rasa/bin/python scripts/nlu_report.py "$@"
