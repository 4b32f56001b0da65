"""The browser harness itself: Chromium loads a page of the live server, screenshots are
written at both widths, and what the `page` fixture fails on is seen."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_chromium_loads_a_page_of_the_live_server(page, live_server, shot):
    page.goto(f"{live_server.url}/")

    assert page.title()
    saved = shot(page, "harness-home")
    assert [path.name for path in saved] == ["harness-home-desktop.png", "harness-home-phone.png"]
    assert all(path.stat().st_size > 1000 for path in saved)


def test_errors_and_requests_off_this_machine_are_seen(context, live_server):
    from souk.web.tests.browser.conftest import watch

    fresh = context.new_page()
    seen = watch(fresh)
    fresh.goto(f"{live_server.url}/")
    assert seen == []

    fresh.evaluate("console.error('boom')")
    fresh.evaluate("fetch('http://example.invalid/x').catch(() => null)")
    fresh.wait_for_timeout(200)

    assert "console.error: boom" in seen
    assert any(
        entry.startswith("request off this machine: http://example.invalid/") for entry in seen
    )
    fresh.close()
