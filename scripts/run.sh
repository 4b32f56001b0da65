#!/usr/bin/env bash
# make run: set up, migrate, load demo data into an empty database, then run the web server,
# a Celery worker and Celery beat in the foreground. Ctrl-C (or TERM to this script or its
# process group) stops all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

scripts/setup.sh
load_url_settings
load_run_settings
DEMO_DATA=${DEMO_DATA:-$(dotenv_get DEMO_DATA)}; DEMO_DATA=${DEMO_DATA:-1}
WEB_CONCURRENCY=${WEB_CONCURRENCY:-$(dotenv_get WEB_CONCURRENCY)}; WEB_CONCURRENCY=${WEB_CONCURRENCY:-2}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.base}
py=.venv/bin/python

say "migrating the database"
$py manage.py migrate --noinput
$py manage.py collectstatic --noinput --verbosity 0
if [ "$DEMO_DATA" != "0" ]; then
  $py manage.py demo_data --if-empty
fi

mkdir -p var
# Prometheus metrics of the web and worker processes, added up at /metrics: one directory they
# share, emptied at every start (counters start again from 0, as after any restart).
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$PWD/var/prometheus}
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -type f -delete
# Each service runs in a session of its own (stopping it stops its children too) and, where
# setpriv exists, is sent TERM should this script die without stopping it.
guard=()
command -v setpriv >/dev/null 2>&1 && guard=(setpriv --pdeathsig TERM --)
start() {
  setsid ${guard[@]+"${guard[@]}"} "$@" &
}
# TERM to each service's session (or to the process itself while it is still starting), up
# to 10 s to finish, then KILL. The list comes from the shell's own job table, so a service
# started just before a signal arrived is not missed.
stop_all() {
  trap - EXIT
  trap '' INT TERM PIPE  # a second Ctrl-C or a closed terminal must not cut this short
  local services pid alive
  say "stopping" || true
  services=$(jobs -p)
  for pid in $services; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for _ in $(seq 1 50); do
    alive=0
    for pid in $services; do
      { kill -0 -- "-$pid" || kill -0 "$pid"; } 2>/dev/null && alive=1
    done
    [ "$alive" -eq 0 ] && break
    sleep 0.2
  done
  for pid in $services; do
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  say "stopped" || true
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT

say "Souk on $PUBLIC_URL/ (API docs: $PUBLIC_URL/api/docs/); Ctrl-C stops"
start .venv/bin/gunicorn config.wsgi:application --config deploy/gunicorn.conf.py \
  --bind "$HOST:$PORT" --workers "$WEB_CONCURRENCY"
start .venv/bin/celery -A config worker --loglevel INFO --concurrency 2 --hostname "souk@%h"
start .venv/bin/celery -A config beat --loglevel INFO --schedule var/celerybeat-schedule
set +e
wait -n
status=$?
set -e
warn "a process exited (status $status); stopping the others"
exit "$status"
