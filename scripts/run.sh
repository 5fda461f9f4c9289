#!/usr/bin/env bash
# `make run`: install what is missing, train if stale, seed demo data, start every process.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/train.sh

# Secrets live in .env (read by honcho), made once with random values.
if [ ! -f .env ]; then
  {
    echo "RASA_TOKEN=$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
    echo "TRACKING_API_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  } > .env
  chmod 600 .env
  echo "==> wrote .env with a new RASA_TOKEN and TRACKING_API_KEY"
fi
set -a; . ./.env; set +a
export RASA_TELEMETRY_ENABLED=false PYTHONPATH=.

.venv/bin/python -m parcels demo --count "${DEMO_SHIPMENTS:-20000}" --seed 1 --skip-if-loaded
showcase=$(.venv/bin/python -m parcels showcase | sed 's/^/    /')

cat <<INFO

  Web chat:        http://localhost:8080/
  Rasa HTTP API:   http://localhost:5005/  (token: RASA_TOKEN in .env)
  Ingestion API:   POST http://localhost:8080/api/tracking/events  (X-Api-Key: TRACKING_API_KEY in .env)

  Tracking numbers to try:
$showcase

  Ctrl-C stops everything.

INFO
exec .venv/bin/honcho start -f Procfile
