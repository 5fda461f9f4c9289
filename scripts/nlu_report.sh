#!/usr/bin/env bash
# `make nlu-report`: the blind set and cross-validation, side by side (results/nlu-report.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
RASA_TELEMETRY_ENABLED=false PYTHONPATH=. .venv-rasa/bin/python scripts/nlu_report.py "$@"
