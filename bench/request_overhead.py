"""What the request id, the access log line and the HTTP metrics add to each request.

Calls a trivial view (the route of POST /api/orders/) directly and through
souk.core.middleware.RequestIdMiddleware, rounds interleaved: the difference is the
middleware's own work (id check, context variable, counter and histogram, one JSON access line
written to /dev/null as the production log handler would write it). The metrics live in this
process, or with --multiprocess in a PROMETHEUS_MULTIPROC_DIR as under gunicorn. Prints
microseconds per request.

    .venv/bin/python bench/request_overhead.py [--requests 20000] [--rounds 7] [--multiprocess]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--multiprocess", action="store_true")
    args = parser.parse_args()
    if args.multiprocess:  # before prometheus_client is imported
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="souk-bench-prom-")
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ["LOG_FORMAT"] = "json"

    import django

    django.setup()
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.urls import resolve

    from souk.core.middleware import RequestIdMiddleware

    # The access lines go where production sends them, minus the terminal.
    console = logging.getLogger().handlers[0]
    assert isinstance(console, logging.StreamHandler)
    console.setStream(open(os.devnull, "w"))  # noqa: SIM115 - kept open for the run

    factory = RequestFactory()
    match = resolve("/api/orders/")

    def view(request):  # type: ignore[no-untyped-def]
        request.resolver_match = match  # as URL resolution does
        return HttpResponse(status=201)

    wrapped = RequestIdMiddleware(view)

    def per_request(handler) -> float:  # type: ignore[no-untyped-def]
        requests = [
            factory.post("/api/orders/", HTTP_X_REQUEST_ID=f"bench-{n}") for n in range(2000)
        ]
        total = 0.0
        for _ in range(args.requests // len(requests)):
            started = time.perf_counter()
            for request in requests:
                handler(request)
            total += time.perf_counter() - started
        return total / (args.requests // len(requests) * len(requests)) * 1e6

    results: dict[str, list[float]] = {"bare": [], "with": []}
    for _ in range(args.rounds):  # interleaved, so that noise hits both alike
        results["bare"].append(per_request(view))
        results["with"].append(per_request(wrapped))
    mode = "multiprocess directory" if args.multiprocess else "in-process registry"
    print(f"metrics: {mode}; {args.requests} requests x {args.rounds} rounds")
    for name in ("bare", "with"):
        print(
            f"  {name:4}: best {min(results[name]):6.2f} us/request, "
            f"median {statistics.median(results[name]):6.2f}"
        )
    added = [w - b for w, b in zip(results["with"], results["bare"], strict=True)]
    print(
        f"  added by RequestIdMiddleware: best {min(added):.2f} us, "
        f"median {statistics.median(added):.2f} us per request"
    )


if __name__ == "__main__":
    main()
