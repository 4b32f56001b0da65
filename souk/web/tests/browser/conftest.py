"""Browser tests: Playwright (pytest-playwright) driving Debian's Chromium against a live server
(pytest-django's, in this process, on the test database), with a real Celery worker process
(its own Redis broker) doing what requests hand off, as in production.

- `page` fails its test on any console error, uncaught page error or request that leaves this
  machine;
- `shot(page, name)` saves a screenshot at desktop and phone (390 px) width into
  var/screenshots/ (kept as test artifacts);
- `worker` starts the Celery worker (tests that need emails, notifications or analytics).

The browser is /usr/bin/chromium (the set-up installs it; browser downloads are not possible),
or SOUK_CHROMIUM."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from souk.notifications.tests.test_outbox_worker import Broker, Workers, free_port

ROOT = Path(__file__).resolve().parents[4]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = os.environ.get("SOUK_CHROMIUM", "/usr/bin/chromium")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session", autouse=True)
def _sync_calls_beside_playwright() -> Iterator[None]:
    """Playwright's sync API runs an event loop in this thread; the tests' own database calls
    (factories, assertions, the database set-up between tests) run beside it, never inside a
    coroutine. Set from the first browser test of a test process to its end; tests that start
    a production-like process leave it out of that process's environment."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": DESKTOP, "locale": "en-US"}


def watch(page: Any) -> list[str]:
    """What goes wrong in the page from now on: console errors, uncaught errors, and requests
    to any host but this machine (every page works offline: no CDN, no map tiles, no fonts)."""
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(f"console.{message.type}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(("data:", "blob:"))
            or urlsplit(request.url).hostname in {"127.0.0.1", "localhost"}
            else errors.append(f"request off this machine: {request.url}")
        ),
    )
    return errors


@pytest.fixture
def page(page, request) -> Iterator[Any]:
    """The page, failing the test on anything `watch` sees."""
    errors = watch(page)
    page.set_default_timeout(10_000)
    yield page
    assert not errors, f"errors in the browser during {request.node.name}: {errors}"


@pytest.fixture
def shot(request):
    """shot(page, name): a full-page screenshot at desktop and at phone width."""

    def take(page: Any, name: str) -> list[Path]:
        safe = re.sub(r"[^a-z0-9_-]+", "-", name.lower())
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        saved = []
        before = page.viewport_size
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            path = SCREENSHOTS / f"{safe}-{label}.png"
            page.screenshot(path=str(path), full_page=True)
            saved.append(path)
        page.set_viewport_size(before or DESKTOP)
        return saved

    return take


@pytest.fixture
def worker(settings, tmp_path, transactional_db) -> Iterator[Workers]:
    """A Celery worker process (with beat) on a Redis broker of this test; the live server
    hands tasks to it instead of running them in the request (eager mode off)."""
    from config.celery import app as celery_app

    broker = Broker(port=free_port())
    broker.start()
    saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = broker.url
    celery_app.conf.update(task_always_eager=False, broker_url=broker.url)
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    workers = Workers(broker_url=broker.url, base=tmp_path, mail_dir=mail_dir, prefix="web")
    try:
        workers.start()
        yield workers
    finally:
        workers.stop_all()
        celery_app.conf.update(task_always_eager=saved[0], broker_url=saved[1])
        broker.stop()
