#!/bin/bash
# Runs once, when the `db` container initialises an empty data directory
# (/docker-entrypoint-initdb.d): a role the `replica` service copies and streams from, and the
# application role's session settings, which connections through PgBouncer cannot pass as
# startup options.
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_role="$POSTGRES_USER" -v replication_password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'replication_password';
ALTER ROLE :"app_role" SET jit = off;
ALTER ROLE :"app_role" SET max_parallel_workers_per_gather = 0;
ALTER ROLE :"app_role" SET random_page_cost = 1.1;
SQL

echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
