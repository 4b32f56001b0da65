"""The Django admin is branded Souk: sign-in page, index and browser titles."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_admin_sign_in_page_says_souk():
    page = Client().get("/admin/login/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "<title>Log in | Souk admin</title>" in html
    assert '<a href="/admin/">Souk administration</a>' in html
    assert "Django administration" not in html
    assert "Django site admin" not in html


def test_the_admin_index_says_souk(admin_user):
    client = Client()
    client.force_login(admin_user)

    page = client.get("/admin/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "<title>Marketplace data | Souk admin</title>" in html
    assert "Souk administration" in html
    assert "Django administration" not in html
