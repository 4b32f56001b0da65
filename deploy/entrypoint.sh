#!/bin/sh
# Container entry point: web | worker | beat | migrate | any manage.py command.
set -e
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
