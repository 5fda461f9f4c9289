#!/usr/bin/env bash
# `make test`: install what is missing, train if stale, the fast lane (`make check`: lint, type check,
# unit tests), score the assistant on the two blind sets, then the integration and end-to-end suites on
# SQLite and, when PostgreSQL is available here, again on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false PYTHONPATH=.

scripts/setup.sh
scripts/system-deps.sh
scripts/train.sh

scripts/check.sh

run_pytest() {  # pytest's exit code 5 (no tests collected) is a failure here
  local code=0
  .venv/bin/python -m pytest "$@" || code=$?
  if [ "$code" -eq 5 ]; then
    echo "pytest collected no tests: failing" >&2
    return 1
  fi
  return "$code"
}

echo "==> the assistant on the blind sets of the five languages (fails below 0.90 macro in any language)"
report=$(mktemp)
if ! LOG_LEVEL=WARNING .venv-rasa/bin/python scripts/nlu_report.py --folds 0 >"$report" 2>"$report.err"; then
  cat "$report"; tail -n 30 "$report.err"; exit 1
fi
sed -n '/^| group/,/macro/p' "$report"; rm -f "$report" "$report.err"

echo "==> tests on SQLite"
run_pytest -p no:cacheprovider tests/integration tests/e2e

if [ -n "${TEST_DATABASE_URL:-}" ] || { [ "$(id -u)" -eq 0 ] && command -v pg_lsclusters >/dev/null; }; then
  url=${TEST_DATABASE_URL:-$(scripts/postgres.sh parcels_test)}
  conversations=${TEST_TRACKER_STORE_URL:-$(scripts/postgres.sh conversations_test)}
  echo "==> tests on PostgreSQL"
  TEST_DATABASE_URL=$url TEST_TRACKER_STORE_URL=$conversations run_pytest -p no:cacheprovider tests/integration tests/e2e
else
  echo "==> PostgreSQL not available here: set TEST_DATABASE_URL to run the suite on it"
fi
