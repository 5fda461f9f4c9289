#!/usr/bin/env bash
# `make run`: install what is missing, train if stale, seed demo data, start every process.
# `make run PROFILE=production`: the same on PostgreSQL and Redis, two of every process behind HAProxy.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PROFILE:-embedded}
case "$profile" in embedded|production) ;; *) echo "PROFILE must be embedded or production, not '$profile'" >&2; exit 2;; esac

scripts/setup.sh
scripts/train.sh

# Secrets live in .env (read by honcho), each made once with a random value.
touch .env && chmod 600 .env
for name in RASA_TOKEN TRACKING_API_KEY BACK_OFFICE_API_KEY OPT_OUT_HOOK_SECRET \
  CONSOLE_SECRET_KEY CONSOLE_ADMIN_PASSWORD CONSOLE_MARKETER_PASSWORD CONSOLE_AGENT_PASSWORD \
  REST_CHANNEL_TOKEN CHAT_SESSION_SECRET CHANNEL_IDENTITY_SECRET; do
  if ! grep -q "^$name=" .env; then
    echo "$name=$(python3 -c 'import secrets; print(secrets.token_hex(16))')" >> .env
    echo "==> wrote a new $name to .env"
  fi
done
set -a; . ./.env; set +a
export RASA_TELEMETRY_ENABLED=false PYTHONPATH=.
# The WhatsApp/SMS connector (in rasa) records opt-outs and opt-ins through web's consent hook.
export OPT_OUT_HOOK_URL=${OPT_OUT_HOOK_URL:-http://localhost:8080/api/consent}

procfile=Procfile
if [ "$profile" = production ]; then
  # PostgreSQL (two databases: the app's, and Rasa's conversations) and Redis, unless .env names others;
  # HAProxy on :8080 in front of two of every process (config/production/).
  scripts/system-deps.sh production
  export DATABASE_URL=${DATABASE_URL:-$(scripts/postgres.sh parcels)}
  export TRACKER_STORE_URL=${TRACKER_STORE_URL:-$(scripts/postgres.sh conversations)}
  export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
  export RASA_URL=http://127.0.0.1:5004 TRUSTED_PROXIES=127.0.0.1
  export RASA_PUBLIC_URL=${RASA_PUBLIC_URL:-http://localhost:8080}
  procfile=config/production/Procfile
  echo "==> production profile: $(echo "$DATABASE_URL" | sed 's/:[^:@]*@/:***@/'), Redis at $REDIS_URL"
fi

.venv/bin/python -m parcels demo --count "${DEMO_SHIPMENTS:-20000}" --seed 1 --skip-if-loaded
showcase=$(.venv/bin/python -m parcels showcase | sed 's/^/    /')
# The staff console's accounts; their passwords (in .env) are set again on every run.
STAFF_PASSWORD="$CONSOLE_ADMIN_PASSWORD" .venv/bin/python -m parcels staff add \
  --email admin@example.com --name Admin --role admin --if-exists update >/dev/null
STAFF_PASSWORD="$CONSOLE_MARKETER_PASSWORD" .venv/bin/python -m parcels staff add \
  --email marketer@example.com --name Marketer --role marketer --if-exists update >/dev/null
STAFF_PASSWORD="$CONSOLE_AGENT_PASSWORD" .venv/bin/python -m parcels staff add \
  --email agent@example.com --name Agent --role agent --if-exists update >/dev/null

cat <<INFO

  Web chat:        http://localhost:8080/
  Rasa HTTP API:   http://localhost:5005/  (token: RASA_TOKEN in .env)
  REST channel:    POST http://localhost:5005/webhooks/rest/webhook  (Authorization: Bearer REST_CHANNEL_TOKEN)
  Ingestion API:   POST http://localhost:8080/api/tracking/events  (X-Api-Key: TRACKING_API_KEY in .env)
  Claims API:      GET/PATCH http://localhost:8080/api/claims  (X-Api-Key: BACK_OFFICE_API_KEY in .env)
  Staff console:   http://localhost:8080/console/  (admin@example.com: CONSOLE_ADMIN_PASSWORD,
                   marketer@example.com: CONSOLE_MARKETER_PASSWORD,
                   agent@example.com: CONSOLE_AGENT_PASSWORD, all in .env)

  Tracking numbers to try (to claim LP00000000000009, the postal code is 41004):
$showcase

  Ctrl-C stops everything.

INFO
exec .venv/bin/honcho start -f "$procfile"
