#!/usr/bin/env bash
# RabbitMQ as Celery's broker, checked on this machine:
#
#  1. installs RabbitMQ (Debian package rabbitmq-server) if missing and starts it if it is not
#     running (and stops it again at the end if it started it);
#  2. runs the broker tests (routing on RabbitMQ and Redis, quorum queues, a worker and a pool
#     process killed mid-task, beat sending from one process only);
#  3. places an order end to end with the app on RabbitMQ: a virtual host and a database of
#     this check's own, gunicorn, a worker for default+payments+notifications, a worker for
#     slow and beat, all with CELERY_BROKER_URL=amqp://...; the order is posted over HTTP and
#     its two emails (buyer, shop owner) must be marked sent and written once each.
#
# RABBITMQ_TEST_URL (default amqp://guest:guest@127.0.0.1:5672) names the broker; DATABASE_URL
# and REDIS_URL as for `make test`; RABBITMQ_CHECK_SETUP=0 skips the set-up of step 2. Needs
# root (rabbitmqctl creates the virtual hosts). Exits non-zero on any failure; cleans up what it
# started.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
load_url_settings

RABBITMQ_TEST_URL=${RABBITMQ_TEST_URL:-amqp://guest:guest@127.0.0.1:5672}
RABBITMQ_TEST_URL=${RABBITMQ_TEST_URL%/}
export RABBITMQ_TEST_URL
rabbit_user=${RABBITMQ_TEST_URL#*://}
rabbit_user=${rabbit_user%%@*}
rabbit_user=${rabbit_user%%:*}

started_rabbitmq=""
vhost=""
check_db=""
services=()
workdir=$(mktemp -d)
py=.venv/bin/python

drop_check_db() {
  [ -n "$check_db" ] || return 0
  $py - "$check_db" <<'PY'
import os, sys
from urllib.parse import unquote, urlsplit
import psycopg
from psycopg import sql
url = urlsplit(os.environ["DATABASE_URL"])
with psycopg.connect(host=url.hostname, port=url.port or 5432, user=unquote(url.username or ""),
                     password=unquote(url.password or ""), dbname="postgres", autocommit=True) as c:
    c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(sys.argv[1])))
PY
}

cleanup() {
  local status=$?
  trap - EXIT
  set +e
  local pid
  for pid in "${services[@]}"; do kill -TERM -- "-$pid" 2>/dev/null; done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${services[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.2
  done
  for pid in "${services[@]}"; do kill -KILL -- "-$pid" 2>/dev/null; done
  [ -n "$vhost" ] && rabbitmqctl --quiet delete_vhost "$vhost" >/dev/null 2>&1
  drop_check_db >/dev/null 2>&1
  if [ "$status" -ne 0 ] && [ -d "$workdir" ]; then
    for log in "$workdir"/*.log; do
      [ -f "$log" ] && { warn "last lines of $(basename "$log"):"; tail -n 30 "$log" >&2; }
    done
  fi
  rm -rf "$workdir"
  if [ -n "$started_rabbitmq" ]; then
    say "stopping the RabbitMQ this check started"
    if [ "$started_rabbitmq" = service ]; then service rabbitmq-server stop >/dev/null 2>&1
    else rabbitmqctl --quiet stop >/dev/null 2>&1
    fi
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. RabbitMQ installed and running -------------------------------------------------------
if ! command -v rabbitmq-server >/dev/null 2>&1; then
  say "installing rabbitmq-server"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
fi
[ "$(id -u)" -eq 0 ] || die "run as root: rabbitmqctl creates the check's virtual hosts"
started_rabbitmq=$(start_rabbitmq)

# --- 2. the broker tests ---------------------------------------------------------------------
# RABBITMQ_CHECK_SETUP=0 skips the set-up (a machine already set up for `make test`)
[ "${RABBITMQ_CHECK_SETUP:-1}" = 0 ] || scripts/setup.sh
say "broker tests against RabbitMQ at ${RABBITMQ_TEST_URL#*@}"
.venv/bin/pytest -q -p no:cacheprovider \
  souk/core/tests/test_broker_routes.py \
  souk/core/tests/test_beat_lock.py \
  souk/core/tests/test_worker_lost.py \
  souk/notifications/tests/test_rabbitmq_worker.py

# --- 3. an order end to end with the app on RabbitMQ -----------------------------------------
suffix="$$-$RANDOM"
vhost="souk-check-$suffix"
rabbitmqctl --quiet add_vhost "$vhost" >/dev/null
rabbitmqctl --quiet set_permissions -p "$vhost" "$rabbit_user" ".*" ".*" ".*" >/dev/null

db_name=${DATABASE_URL##*/}
check_db="${db_name}_rabbitmq_check"
drop_check_db
$py - "$check_db" "${DATABASE_TEST_TEMPLATE:-${db_name}_template}" <<'PY'
import os, sys
from urllib.parse import unquote, urlsplit
import psycopg
from psycopg import sql
url = urlsplit(os.environ["DATABASE_URL"])
with psycopg.connect(host=url.hostname, port=url.port or 5432, user=unquote(url.username or ""),
                     password=unquote(url.password or ""), dbname="postgres", autocommit=True) as c:
    c.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
        sql.Identifier(sys.argv[1]), sql.Identifier(sys.argv[2])))
PY
port=$($py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$workdir/mail"
export DJANGO_SETTINGS_MODULE=config.settings.base
export DATABASE_URL="${DATABASE_URL%/*}/$check_db"
export CELERY_BROKER_URL="$RABBITMQ_TEST_URL/$vhost"
export CELERY_BEAT_LOCK_KEY="souk:beat:lock:$vhost"
export EMAIL_URL="filemail:///$workdir/mail"  # the path after "filemail://" is read as relative
export PUBLIC_URL="http://127.0.0.1:$port"
export LOG_LEVEL=INFO  # the readiness lines below are logged at INFO

say "migrating the check's database"
$py manage.py migrate --noinput >"$workdir/migrate.log" 2>&1

start() {
  local log=$1
  shift
  setsid "$@" >"$workdir/$log.log" 2>&1 &
  services+=("$!")
}
say "starting gunicorn, two workers and beat on amqp://…/$vhost"
start web .venv/bin/gunicorn config.wsgi:application --config deploy/gunicorn.conf.py \
  --bind "127.0.0.1:$port" --workers 1
start worker .venv/bin/celery -A config worker -Q default,payments,notifications \
  --concurrency 2 --hostname "check-worker-$suffix@%h" --loglevel INFO
start worker-slow .venv/bin/celery -A config worker -Q slow --concurrency 1 \
  --hostname "check-slow-$suffix@%h" --loglevel INFO
start beat .venv/bin/celery -A config beat --schedule "$workdir/beat-schedule" --loglevel INFO

deadline=$((SECONDS + 60))
# A worker logs "<name> ready." (at INFO, through the project's logging: plain or JSON) once it
# consumes.
until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 \
  && grep -q " ready\." "$workdir/worker.log" && grep -q " ready\." "$workdir/worker-slow.log"; do
  [ "$SECONDS" -lt "$deadline" ] || die "web and workers not ready within 60 s"
  sleep 0.5
done

seeded=$($py scripts/rabbitmq_order_check.py seed)
read -r token shop variant <<<"$seeded"
answer=$(curl -sS -o "$workdir/order.json" -w '%{http_code}' -X POST "http://127.0.0.1:$port/api/orders/" \
  -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
  -d "{\"shop\": $shop, \"items\": [{\"variant\": $variant, \"quantity\": 1}]}")
[ "$answer" = 201 ] || die "POST /api/orders/ answered $answer: $(cat "$workdir/order.json")"
say "order placed (201); waiting for its emails"
$py scripts/rabbitmq_order_check.py wait-sent 2

written=$(cat "$workdir"/mail/* | grep -c '^X-Souk-Message-Key:' || true)
[ "$written" = 2 ] || die "expected 2 emails written, found $written"
grep -q 'Task souk.notifications.tasks.outbox_dispatch\[.*\] received' "$workdir/worker.log" \
  || die "the dispatcher did not run on the payments/notifications worker"

queues=$(rabbitmqctl --quiet list_queues -p "$vhost" --no-table-headers name type consumers)
printf '%s\n' "$queues" | grep -E '^(default|slow|payments|notifications)\s' >&2
for queue in payments notifications; do
  printf '%s\n' "$queues" | grep -qE "^$queue\s+quorum\s" || die "$queue is not a quorum queue"
done
for queue in default slow; do
  printf '%s\n' "$queues" | grep -qE "^$queue\s+classic\s" || die "$queue is not declared"
done
say "RabbitMQ check passed"
