#!/bin/sh
# Container entry point. One image, one command per kind of process:
#   web          gunicorn with deploy/gunicorn.conf.py (the file `make run` uses)
#   worker       Celery worker for every queue but the slow one (WORKER_EXCLUDE_QUEUES)
#   worker-slow  Celery worker for the slow queue (WORKER_SLOW_QUEUES)
#   beat         Celery beat: run exactly one
#   migrate      apply the migrations and exit
#   healthcheck web|worker|worker-slow|beat   exit 0 when that process is healthy
#   anything else is run as a manage.py command
set -e
BEAT_DIR=/app/var/beat

# Prometheus metrics of this container's processes (gunicorn workers, Celery pool processes):
# one directory they share, emptied of the files of a previous run at every start (they would
# be counted again).
# Any other process (beat, migrate, a manage.py command, a health check) has no metrics that
# anyone scrapes: it keeps them in its own memory, and needs no directory.
if [ "$1" = web ] || [ "$1" = worker ] || [ "$1" = worker-slow ]; then
  export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/souk-prometheus}"
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
  find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -type f -delete
else
  unset PROMETHEUS_MULTIPROC_DIR
fi

case "$1" in
  web)
    [ "${MIGRATE_ON_START:-0}" = "1" ] && python manage.py migrate --noinput
    exec gunicorn config.wsgi:application --config deploy/gunicorn.conf.py ;;
  worker)
    exec celery -A config worker --loglevel "${LOG_LEVEL:-INFO}" \
      --concurrency "${WORKER_CONCURRENCY:-2}" --hostname "worker@%h" \
      --exclude-queues "${WORKER_EXCLUDE_QUEUES:-slow}" ;;
  worker-slow)
    exec celery -A config worker --loglevel "${LOG_LEVEL:-INFO}" \
      --concurrency "${WORKER_CONCURRENCY:-2}" --hostname "worker-slow@%h" \
      --queues "${WORKER_SLOW_QUEUES:-slow}" ;;
  beat)
    mkdir -p "$BEAT_DIR"
    exec celery -A config beat --loglevel "${LOG_LEVEL:-INFO}" \
      --schedule "$BEAT_DIR/celerybeat-schedule" ;;
  migrate)
    exec python manage.py migrate --noinput ;;
  healthcheck)
    # A check is a short-lived process of its own: it must not leave metrics files behind.
    unset PROMETHEUS_MULTIPROC_DIR
    case "$2" in
      web)
        # Readiness: database, cache and broker reachable (souk.core.views.ReadyView).
        exec python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=5)" ;;
      worker|worker-slow)
        # The worker answers a ping through the broker.
        exec celery -A config inspect ping --timeout 10 --destination "$2@$(hostname)" ;;
      beat)
        # Beat writes its schedule file at least every 3 minutes while it ticks.
        [ -n "$(find "$BEAT_DIR" -maxdepth 1 -name 'celerybeat-schedule*' -mmin -10 2>/dev/null)" ] ;;
      *)
        echo "healthcheck: unknown process '$2'" >&2
        exit 2 ;;
    esac ;;
  *)
    exec python manage.py "$@" ;;
esac
