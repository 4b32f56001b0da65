#!/bin/sh
# Container entry point: web | worker | beat | migrate | any manage.py command.
set -e
# Prometheus metrics of this container's processes (gunicorn workers, Celery pool processes):
# one directory they share, emptied at every start.
if [ "$1" = web ] || [ "$1" = worker ]; then
  export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/souk-prometheus}"
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
  find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -type f -delete
fi
case "$1" in
  web)
    [ "${MIGRATE_ON_START:-0}" = "1" ] && python manage.py migrate --noinput
    exec gunicorn config.wsgi:application --config deploy/gunicorn.conf.py ;;
  worker)
    exec celery -A config worker --loglevel "${LOG_LEVEL:-INFO}" --concurrency "${WORKER_CONCURRENCY:-2}" ;;
  beat)
    exec celery -A config beat --loglevel "${LOG_LEVEL:-INFO}" --schedule /tmp/celerybeat-schedule ;;
  migrate)
    exec python manage.py migrate --noinput ;;
  *)
    exec python manage.py "$@" ;;
esac
