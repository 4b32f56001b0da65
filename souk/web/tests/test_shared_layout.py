"""The shared layout: what every page's header needs reaches pages of every area."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db

STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')


def stylesheets(html: str) -> str:
    """The text of the page's own stylesheets, read from the static files."""
    texts = []
    for href in STYLESHEET.findall(html):
        name = href.removeprefix("/").removeprefix(settings.STATIC_URL.strip("/") + "/")
        found = finders.find(name)
        assert found, href
        texts.append(Path(str(found)).read_text(encoding="utf-8"))
    return "\n".join(texts)


@pytest.mark.parametrize("path", ["/login/", "/cart/", "/orders/"], ids=["login", "cart", "orders"])
def test_the_header_search_box_is_styled_outside_the_catalog(path, customer):
    client = Client()
    client.force_login(customer)
    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="search-combo"' in html
    assert 'id="site-search-options"' in html
    css = stylesheets(html)
    assert ".search-combo {" in css  # the button beside the box
    assert ".suggestions {" in css  # the list floats over the page
