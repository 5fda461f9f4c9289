#!/usr/bin/env bash
# Start the local PostgreSQL cluster and make a test database; prints its URL.
# Needs root (it runs the cluster as the postgres user).
set -euo pipefail
db=${1:-parcels_test}
version=$(pg_lsclusters --no-header | awk 'NR==1 {print $1}')
cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $2}')
if [ -z "$version" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
  pg_createcluster "$version" main >/dev/null 2>&1
  cluster=main
fi
pg_ctlcluster "$version" "$cluster" start >/dev/null 2>&1 || true  # stdout is the URL only
for _ in $(seq 1 30); do
  su postgres -c "pg_isready -q" && break
  sleep 1
done
su postgres -c "psql -qtAc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='$db'\"" | grep -q 1 \
  || su postgres -c "createdb $db" >/dev/null
echo "postgresql://postgres:postgres@127.0.0.1:5432/$db"
