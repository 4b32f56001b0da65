"""gunicorn settings shared by `make run` and the container image."""

import os

from gunicorn.glogging import Logger

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
keepalive = 5
# No gunicorn access log: the application writes one JSON line per request itself (logger
# souk.access, with the route, the status, the duration and the request id).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "INFO").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's own limit (4094 by default) answers an HTML 414; let request lines up to its
# bounded maximum through so the app answers URLs longer than MAX_URL_BYTES with problem+json.
limit_request_line = 8190


class JsonLogger(Logger):
    """gunicorn's own log lines (start, worker boot and exit, timeouts) as JSON objects like
    the application's, unless LOG_FORMAT=text."""

    def setup(self, cfg):
        super().setup(cfg)
        if os.environ.get("LOG_FORMAT", "json").lower() != "json":
            return
        from pythonjsonlogger.json import JsonFormatter

        formatter = JsonFormatter(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
        )
        for handler in self.error_log.handlers:
            handler.setFormatter(formatter)


logger_class = JsonLogger


def post_fork(server, worker):
    """Each worker process sets up its own tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set)
    before it loads the application."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    from souk.core.telemetry import tracing_init

    tracing_init()


def child_exit(server, worker):
    """A worker process ended: its live gauges leave the metrics directory
    (PROMETHEUS_MULTIPROC_DIR, shared by the processes; its counters stay counted)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
