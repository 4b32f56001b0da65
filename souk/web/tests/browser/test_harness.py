"""The browser harness itself: Chromium loads a page of the live server and screenshots are
written at both widths."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_chromium_loads_a_page_of_the_live_server(page, live_server, shot):
    page.goto(f"{live_server.url}/")

    assert page.title()
    saved = shot(page, "harness-home")
    assert [path.name for path in saved] == ["harness-home-desktop.png", "harness-home-phone.png"]
    assert all(path.stat().st_size > 1000 for path in saved)
