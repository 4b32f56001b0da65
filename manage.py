#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    from django.core.management import execute_from_command_line

    if sys.argv[1:2] == ["runserver"]:
        # The development server traces like gunicorn's workers when
        # OTEL_EXPORTER_OTLP_ENDPOINT is set (gunicorn sets tracing up in post_fork).
        from souk.core.telemetry import tracing_init

        tracing_init()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
