#!/usr/bin/env bash
# Proves the read-replica path on this machine with a real streaming replica:
#
#   1. creates a PostgreSQL cluster on REPLICA_PORT (default 5433) as a hot standby of the
#      local primary (pg_basebackup -R -X stream, with a replication slot);
#   2. runs souk/core/tests/live_replica.py against it (heavy reads on the replica, writes and
#      read-your-writes on the primary, a stopped replica and a lagging one left for the
#      primary);
#   3. runs bench/replica.py (search and list requests through gunicorn with and without
#      DATABASE_REPLICA_URL; queries and tuples per server, requests per second);
#   4. stops and drops the replica, its slot and the pg_hba line it added.
#
# Needs root (pg_createcluster) on Debian/Ubuntu with the primary cluster running
# (PG_VERSION/PRIMARY_CLUSTER, default 15/main) and DATABASE_URL pointing at it.
# SKIP_BENCH=1 skips step 3; BENCH_ARGS are passed to bench/replica.py.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

PRIMARY_CLUSTER_NAME=${PRIMARY_CLUSTER:-main}
# the version of the local primary cluster (PostgreSQL 15 on Debian 12)
PG_VERSION=${PG_VERSION:-$(pg_lsclusters -h 2>/dev/null | awk -v n="$PRIMARY_CLUSTER_NAME" '$2==n {print $1; exit}')}
PG_VERSION=${PG_VERSION:-15}
PRIMARY_CLUSTER=${PRIMARY_CLUSTER:-main}
REPLICA_CLUSTER=${REPLICA_CLUSTER:-souk_replica}
REPLICA_PORT=${REPLICA_PORT:-5433}
SLOT=${REPLICA_SLOT:-souk_replica_check}
HBA_LINE="host replication all 127.0.0.1/32 trust  # souk replica-check"

load_url_settings
[ "$(id -u)" = 0 ] || die "run as root (pg_createcluster, pg_ctlcluster)"
command -v pg_createcluster >/dev/null || { apt-get update -qq && apt-get install -y postgresql-common; }
[ -x .venv/bin/pytest ] || die ".venv is missing: run make install first"

PRIMARY_PORT=$(pg_conftool -s "$PG_VERSION" "$PRIMARY_CLUSTER" show port)
PRIMARY_HBA=$(pg_conftool -s "$PG_VERSION" "$PRIMARY_CLUSTER" show hba_file)
case $(url_host "$DATABASE_URL") in
  127.0.0.1|localhost) ;;
  *) die "DATABASE_URL must point at the local cluster $PG_VERSION/$PRIMARY_CLUSTER" ;;
esac
psql_primary() { runuser -u postgres -- psql -X -q -At -p "$PRIMARY_PORT" -d postgres "$@"; }
psql_replica() { runuser -u postgres -- psql -X -q -At -p "$REPLICA_PORT" -d postgres "$@"; }

drop_slot() {  # once the replica has let go of it (a kept slot holds WAL on the primary)
  local _
  for _ in $(seq 1 50); do
    [ "$(psql_primary -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$SLOT'")" = 0 ] \
      && return 0
    psql_primary -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
                     WHERE slot_name = '$SLOT' AND NOT active" >/dev/null
    sleep 0.2
  done
  warn "could not drop the replication slot $SLOT: drop it with pg_drop_replication_slot"
  return 1
}

hba_added=0
cleanup() {
  local status=$?
  set +e
  if pg_lsclusters -h | awk -v v="$PG_VERSION" -v n="$REPLICA_CLUSTER" '$1==v && $2==n' | grep -q .; then
    say "dropping the replica cluster $PG_VERSION/$REPLICA_CLUSTER"
    pg_dropcluster --stop "$PG_VERSION" "$REPLICA_CLUSTER"
  fi
  drop_slot || status=1
  if [ "$hba_added" = 1 ]; then
    sed -i "\|^${HBA_LINE}\$|d" "$PRIMARY_HBA"
    pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PRIMARY_CLUSTER" reload
  fi
  exit "$status"
}
trap cleanup EXIT

# --- 1. the replica ---------------------------------------------------------------------------
[ "$(psql_primary -c 'SHOW wal_level')" != minimal ] || die "the primary needs wal_level=replica"
if ! grep -qxF "$HBA_LINE" "$PRIMARY_HBA"; then
  say "allowing local replication connections on the primary ($PRIMARY_HBA)"
  # first: pg_hba.conf is read top down, and a stock file already has a replication line
  # asking for a password
  if [ -s "$PRIMARY_HBA" ]; then sed -i "1i ${HBA_LINE}" "$PRIMARY_HBA"; else echo "$HBA_LINE" >"$PRIMARY_HBA"; fi
  hba_added=1
  pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PRIMARY_CLUSTER" reload
fi
if pg_lsclusters -h | awk -v v="$PG_VERSION" -v n="$REPLICA_CLUSTER" '$1==v && $2==n' | grep -q .; then
  say "dropping the replica cluster left by an earlier run"
  pg_dropcluster --stop "$PG_VERSION" "$REPLICA_CLUSTER"
fi
if ss -Hltn "sport = :$REPLICA_PORT" | grep -q .; then
  die "port $REPLICA_PORT is taken: set REPLICA_PORT"
fi
drop_slot || die "the replication slot $SLOT is in use"

say "creating $PG_VERSION/$REPLICA_CLUSTER on port $REPLICA_PORT from a base backup of the primary"
pg_createcluster "$PG_VERSION" "$REPLICA_CLUSTER" --port "$REPLICA_PORT" >/dev/null
DATA_DIR=$(pg_conftool -s "$PG_VERSION" "$REPLICA_CLUSTER" show data_directory)
find "$DATA_DIR" -mindepth 1 -delete
runuser -u postgres -- pg_basebackup -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres \
  -D "$DATA_DIR" -R -X stream -C -S "$SLOT" -c fast
# The same client authentication as the primary (the application role logs in alike).
cp "$PRIMARY_HBA" "$(pg_conftool -s "$PG_VERSION" "$REPLICA_CLUSTER" show hba_file)"
pg_conftool "$PG_VERSION" "$REPLICA_CLUSTER" set hot_standby on
# A standby refuses to start with less of these than its primary has.
for param in max_connections max_worker_processes max_wal_senders max_prepared_transactions \
  max_locks_per_transaction; do
  pg_conftool "$PG_VERSION" "$REPLICA_CLUSTER" set "$param" "$(psql_primary -c "SHOW $param")"
done
pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$REPLICA_CLUSTER" start

say "waiting for the replica to stream and replay"
target=$(psql_primary -c "SELECT pg_current_wal_lsn()")
for _ in $(seq 1 300); do
  if [ "$(psql_replica -c "SELECT pg_is_in_recovery() AND pg_last_wal_replay_lsn() >= '$target'" 2>/dev/null)" = t ] \
    && [ "$(psql_primary -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" -ge 1 ]; then
    break
  fi
  sleep 0.2
done
[ "$(psql_replica -c "SELECT pg_last_wal_replay_lsn() >= '$target'")" = t ] \
  || die "the replica did not catch up"
psql_primary -c "SELECT application_name, state, sync_state FROM pg_stat_replication"

replica_url() {  # DATABASE_URL with the replica's port
  local rest=${DATABASE_URL#*://}
  local scheme=${DATABASE_URL%%://*} auth="" hostport=${rest%%/*} path=/${rest#*/}
  case $hostport in *@*) auth=${hostport%@*}@; hostport=${hostport##*@} ;; esac
  echo "${scheme}://${auth}${hostport%%:*}:${REPLICA_PORT}${path}"
}
export DATABASE_REPLICA_URL
DATABASE_REPLICA_URL=$(replica_url)
export SOUK_REPLICA_CLUSTER="$PG_VERSION $REPLICA_CLUSTER"
export SOUK_REPLICA_ADMIN_URL="postgresql://postgres@127.0.0.1:$REPLICA_PORT/postgres"
export SOUK_PRIMARY_ADMIN_URL="postgresql://postgres@127.0.0.1:$PRIMARY_PORT/postgres"

# --- 2. tests ---------------------------------------------------------------------------------
say "tests against the replica ($DATABASE_REPLICA_URL)"
.venv/bin/pytest -q -p no:cacheprovider souk/core/tests/live_replica.py

# --- 3. benchmark -----------------------------------------------------------------------------
if [ "${SKIP_BENCH:-0}" != 1 ]; then
  say "read benchmark: primary only, then with the replica"
  # shellcheck disable=SC2086  # BENCH_ARGS is a list of arguments
  .venv/bin/python bench/replica.py ${BENCH_ARGS:-}
fi
say "replica check passed"
