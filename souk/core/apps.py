from typing import Any

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "souk.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from celery import signals

        from souk.core.requestid import celery_signals_connect
        from souk.core.telemetry import sentry_init, tracing_init

        celery_signals_connect()
        sentry_init()

        def worker_process_start(**_: Any) -> None:
            tracing_init()

        def worker_start(sender: Any = None, **_: Any) -> None:
            # A worker that runs tasks in its own process (solo or threads pool) sets tracing
            # up now; a prefork worker in each child it forks (worker_process_init).
            pool = getattr(sender, "pool_cls", None)
            if "prefork" not in f"{getattr(pool, '__module__', pool)}":
                tracing_init()

        # Celery configures no logging of its own (a receiver of setup_logging tells it so):
        # workers log through settings.LOGGING, which Django has applied.
        signals.setup_logging.connect(_logging_kept, weak=False, dispatch_uid="souk-logging")
        signals.worker_process_init.connect(
            worker_process_start, weak=False, dispatch_uid="souk-tracing"
        )
        signals.worker_init.connect(worker_start, weak=False, dispatch_uid="souk-tracing")
        signals.worker_process_shutdown.connect(
            _metrics_process_dead, weak=False, dispatch_uid="souk-metrics"
        )


def _logging_kept(**_: Any) -> None:
    """Celery's setup_logging: nothing to do, settings.LOGGING applies."""


def _metrics_process_dead(pid: int | None = None, **_: Any) -> None:
    """A Celery pool process ends: its live gauges leave the shared metrics directory."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())
