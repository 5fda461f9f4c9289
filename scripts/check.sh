#!/usr/bin/env bash
# `make check`, the fast lane: lint, type check and the unit tests, with no model, no server and no
# database server (each unit test refuses the database fixtures). Needs only `make setup`.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false PYTHONPATH=.

echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "==> mypy (strict on parcels/, notifications/, templates/, tools/)"
.venv/bin/mypy

echo "==> unit tests"
code=0
.venv/bin/python -m pytest -q -p no:cacheprovider tests/unit || code=$?
if [ "$code" -eq 5 ]; then
  echo "pytest collected no unit tests: failing" >&2
  exit 1
fi
exit "$code"
