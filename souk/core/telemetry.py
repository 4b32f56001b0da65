"""OpenTelemetry traces and Sentry error reports: each set up from settings, once per process,
and only when configured (OTEL_EXPORTER_OTLP_ENDPOINT, SENTRY_DSN); unset, nothing is
imported or started.

Traces are set up after the fork of each serving process (gunicorn's post_fork in
deploy/gunicorn.conf.py, Celery's worker_process_init, `manage.py runserver`), so that the
exporter's thread belongs to the process that records the spans. Sentry is set up when Django
starts (CoreConfig.ready); its SDK starts its sending thread again in a forked process."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_tracing: dict[str, Any] = {}


def tracing_init(*, exporter: Any = None) -> bool:
    """Trace Django requests, Celery tasks (sent and run) and psycopg queries, exported in
    batches over OTLP/HTTP (or to `exporter`, for tests). True when tracing is on in this
    process (set up now or before); False when OTEL_EXPORTER_OTLP_ENDPOINT is unset."""
    if not settings.OTEL_EXPORTER_OTLP_ENDPOINT and exporter is None:
        return False
    with _lock:
        if _tracing:
            return True
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.instrumentation.celery import CeleryInstrumentor
        from opentelemetry.instrumentation.django import DjangoInstrumentor
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider(
            resource=Resource.create({SERVICE_NAME: settings.OTEL_SERVICE_NAME})
        )
        # The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (adding /v1/traces) and the other
        # OTEL_EXPORTER_OTLP_* variables itself.
        processor = BatchSpanProcessor(exporter or OTLPSpanExporter())
        provider.add_span_processor(processor)
        trace.set_tracer_provider(provider)
        DjangoInstrumentor().instrument(tracer_provider=provider)
        CeleryInstrumentor().instrument(tracer_provider=provider)
        _psycopg_instrument(provider)
        _tracing.update(provider=provider, processor=processor)
        logger.info(
            "tracing to %s as %s",
            settings.OTEL_EXPORTER_OTLP_ENDPOINT or exporter,
            settings.OTEL_SERVICE_NAME,
        )
    return True


def tracing_flush(timeout_millis: int = 5000) -> None:
    provider = _tracing.get("provider")
    if provider is not None:
        provider.force_flush(timeout_millis)


def _psycopg_instrument(provider: Any) -> None:
    """Trace the queries of Django's connections. PsycopgInstrumentor alone does not: Django
    sets its own cursor class on every new connection (server-side or client-side binding,
    settings DB_SERVER_SIDE_BINDING), replacing the traced one. So each new connection gets a
    traced subclass of the cursor class Django chose."""
    from django.db.backends.signals import connection_created
    from opentelemetry.instrumentation.psycopg import _new_cursor_factory

    factories: dict[type, type] = {}

    def traced(sender: Any, connection: Any, **_: Any) -> None:
        if connection.vendor != "postgresql":
            return
        raw = connection.connection
        base = raw.cursor_factory
        if getattr(base, "_souk_traced", False):
            return
        factory = factories.get(base)
        if factory is None:
            factory = _new_cursor_factory(base_factory=base, tracer_provider=provider)
            factory._souk_traced = True
            factories[base] = factory
        raw.cursor_factory = factory

    connection_created.connect(traced, weak=False, dispatch_uid="souk-otel-psycopg")


def sentry_init(**options: Any) -> bool:
    """Report unhandled errors of requests and tasks to Sentry when SENTRY_DSN is set. True
    when it was set up. `options` go to sentry_sdk.init (tests pass a transport)."""
    if not settings.SENTRY_DSN:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=settings.SENTRY_DSN,
        environment=settings.SENTRY_ENVIRONMENT,
        traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
        send_default_pii=False,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        **options,
    )
    return True
