#!/bin/bash
# Entry point of the `replica` service: on first start, copy the primary (PRIMARY_HOST) with
# pg_basebackup --write-recovery-conf, which leaves standby.signal and primary_conninfo in the
# data directory, then start PostgreSQL through the image's own entry point as a hot standby
# that streams from the primary over the replication slot souk_replica.
set -euo pipefail
: "${PRIMARY_HOST:?}" "${REPLICATION_PASSWORD:?}"
PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGPASSWORD=$REPLICATION_PASSWORD

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  # A slot left by an earlier replica whose volume was removed would refuse --create-slot.
  gosu postgres psql "host=$PRIMARY_HOST user=replicator dbname=postgres" -v ON_ERROR_STOP=1 -c \
    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
     WHERE slot_name = 'souk_replica' AND NOT active"
  gosu postgres pg_basebackup --host "$PRIMARY_HOST" --username replicator \
    --pgdata "$PGDATA" --wal-method stream --checkpoint fast \
    --create-slot --slot souk_replica --write-recovery-conf
fi

exec docker-entrypoint.sh "$@"
