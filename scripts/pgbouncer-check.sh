#!/usr/bin/env bash
# Prove that Souk works behind PgBouncer in transaction mode: start a local pgbouncer
# (pool_mode = transaction) in front of the PostgreSQL server of DATABASE_URL, run the whole test
# suite through it with DB_TRANSACTION_POOLER=1, then a short bench/orders.py whose server
# connects through it (set-up, checks and pgbench connect directly); print pgbouncer's SHOW POOLS
# and SHOW STATS to show the transactions it served, and stop it again.
#
#   scripts/pgbouncer-check.sh              # both
#   scripts/pgbouncer-check.sh tests        # the test suite only
#   scripts/pgbouncer-check.sh bench        # the benchmark only
#
# Environment: DATABASE_URL (the server and database, as for make test), PGBOUNCER_PORT (default:
# 6432, or a free port if taken), PYTEST_WORKERS (2), PYTEST_ARGS, BENCH_ARGS (default
# "--orders 600 --rounds 1"), SKIP_SETUP=1 (skip scripts/setup.sh on a machine known to be
# ready). Test databases are created and dropped by pytest-django through
# the pooler (the `postgres` database); the set-up (scripts/setup.sh) connects directly.
# Exits non-zero when a test or a benchmark check fails, when a test database is left behind, or
# when pgbouncer served no transactions.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
load_url_settings

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(tests bench)
for step in "${steps[@]}"; do
  case $step in tests|bench) ;; *) die "unknown step: $step (tests, bench)" ;; esac
done
wants() { local s; for s in "${steps[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

[ "${SKIP_SETUP:-0}" = 1 ] || scripts/setup.sh

if ! command -v pgbouncer >/dev/null 2>&1; then
  say "installing pgbouncer"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
fi

# host, port, user, password and database of DATABASE_URL, one a line
mapfile -t db < <(.venv/bin/python - <<'PY'
import os
from urllib.parse import unquote, urlsplit

url = urlsplit(os.environ["DATABASE_URL"])
print(url.hostname or "127.0.0.1")
print(url.port or 5432)
print(unquote(url.username or ""))
print(unquote(url.password or ""))
print(unquote(url.path.lstrip("/")) or "souk")
PY
)
db_host=${db[0]} db_port=${db[1]} db_user=${db[2]} db_password=${db[3]} db_name=${db[4]}
[ -n "$db_user" ] || die "DATABASE_URL names no user"
case $db_password in *'"'*) die "a password with a double quote cannot go in pgbouncer's auth file" ;; esac

port_free() {
  .venv/bin/python -c 'import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
}
port=${PGBOUNCER_PORT:-6432}
if ! port_free "$port"; then
  [ -z "${PGBOUNCER_PORT:-}" ] || die "port $port is taken"
  port=$(.venv/bin/python -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi

# What the `options` startup parameter sets on direct connections (jit, parallel workers,
# random_page_cost), set on every server connection instead; lock_timeout is not among them:
# with DB_TRANSACTION_POOLER each locking transaction sets its own.
options=$(env -u DB_TRANSACTION_POOLER .venv/bin/python -c '
from config.settings import base
print(base.DATABASES["default"]["OPTIONS"].get("options", ""))')
connect_query=""
for setting in $options; do
  [ "$setting" = "-c" ] && continue
  case $setting in lock_timeout=*) continue ;; esac
  connect_query+="SET ${setting%%=*} = ${setting#*=}; "
done

# pgbouncer refuses to run as root: run it as PostgreSQL's system user then.
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "no postgres user to run pgbouncer as"
  run_as=(runuser -u postgres --)
fi

dir=$(mktemp -d -t souk-pgbouncer.XXXXXX)
stop_pgbouncer() {
  if [ -s "$dir/pgbouncer.pid" ]; then
    local pid
    pid=$(cat "$dir/pgbouncer.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap stop_pgbouncer EXIT
[ ${#run_as[@]} -eq 0 ] || chown postgres "$dir"
auth_type=scram-sha-256
[ -n "$db_password" ] || auth_type=trust
printf '"%s" "%s"\n' "$db_user" "$db_password" >"$dir/userlist.txt"
cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=$db_host port=$db_port connect_query='${connect_query% }'

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = $auth_type
auth_file = $dir/userlist.txt
admin_users = $db_user
pool_mode = transaction
max_client_conn = 400
default_pool_size = 20
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
log_connections = 0
log_disconnections = 0
INI
[ ${#run_as[@]} -eq 0 ] || chown postgres "$dir"/*
chmod 600 "$dir/userlist.txt"

say "starting pgbouncer $(pgbouncer --version | head -n 1 | awk '{print $2}') on 127.0.0.1:$port (pool_mode = transaction)"
"${run_as[@]}" pgbouncer -d -q "$dir/pgbouncer.ini"
admin() {
  PGPASSWORD=$db_password PGCONNECT_TIMEOUT=5 psql -X -q -h 127.0.0.1 -p "$port" -U "$db_user" \
    -d pgbouncer "$@"
}
for _ in $(seq 1 50); do
  admin -At -c "SHOW VERSION" >/dev/null 2>&1 && break
  sleep 0.2
done
admin -At -c "SHOW VERSION" >/dev/null || { cat "$dir/pgbouncer.log" >&2; die "pgbouncer did not start"; }

# DATABASE_URL with pgbouncer's address
pooled_url=$(POOLER_PORT=$port .venv/bin/python -c '
import os
from urllib.parse import urlsplit

url = urlsplit(os.environ["DATABASE_URL"])
login = url.netloc.rpartition("@")[0]
address = "127.0.0.1:" + os.environ["POOLER_PORT"]
print(url._replace(netloc=f"{login}@{address}" if login else address).geturl())')

# Transactions pgbouncer served for databases whose name matches the SQL pattern $1.
served() {
  admin -At -F ' ' -c "SHOW STATS" | awk -v pattern="$1" '
    BEGIN { gsub(/%/, ".*", pattern); pattern = "^" pattern "$" }
    $1 ~ pattern { total += $2 } END { print total + 0 }'
}

status=0
if wants tests; then
  workers=${PYTEST_WORKERS:-2}
  say "the test suite through pgbouncer (-n $workers)"
  started=$(date +%s)
  # The web pages' browser tests (Chromium) run in `make test`; the views they drive are the
  # ones the client tests cover here through the pooler. So do the tests of a connection's
  # health check, which end the server's own session (behind the pooler, the pooler's).
  skip_browser=(-m "not browser and not server_session")
  [ -n "${PYTEST_ARGS:-}" ] && skip_browser=()
  # shellcheck disable=SC2086
  DATABASE_URL=$pooled_url DB_TRANSACTION_POOLER=1 \
    .venv/bin/pytest -n "$workers" --dist loadgroup "${skip_browser[@]}" ${PYTEST_ARGS:-} \
    || status=$?
  say "test suite: exit $status in $(( $(date +%s) - started )) s"
  left=$(PGPASSWORD=$db_password psql -X -At -h "$db_host" -p "$db_port" -U "$db_user" -d postgres \
    -c "SELECT string_agg(datname, ' ') FROM pg_database WHERE datname ~ '^test_${db_name}_gw[0-9]+\$'")
  if [ -n "$left" ]; then
    warn "test databases left behind: $left"
    status=1
  fi
  xacts=$(served "test_${db_name}_%")
  say "pgbouncer served $xacts transactions to the test databases"
  [ "$xacts" -gt 0 ] || { warn "the tests did not go through pgbouncer"; status=1; }
fi

if wants bench && [ "$status" -eq 0 ]; then
  say "bench/orders.py with its server connected through pgbouncer"
  bench_status=0
  # shellcheck disable=SC2086
  .venv/bin/python bench/orders.py --pooler-url "$pooled_url" --results-dir "$dir/bench" \
    ${BENCH_ARGS:---orders 600 --rounds 1} || bench_status=$?
  [ -f "$dir/bench/orders.md" ] && sed -n '1,/^## Per route/p' "$dir/bench/orders.md"
  xacts=$(served "${db_name}_bench_orders")
  say "pgbouncer served $xacts transactions to ${db_name}_bench_orders"
  [ "$xacts" -gt 0 ] || { warn "the benchmark's server did not go through pgbouncer"; bench_status=1; }
  [ "$bench_status" -eq 0 ] || status=$bench_status
fi

say "pgbouncer SHOW POOLS"
admin -c "SHOW POOLS"
say "pgbouncer SHOW STATS"
admin -c "SHOW STATS"
if [ "$status" -eq 0 ]; then say "passed through pgbouncer"; else warn "FAILED (exit $status)"; fi
exit "$status"
