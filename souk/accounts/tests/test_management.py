from __future__ import annotations

import pytest
from django.core.management import call_command

from souk.accounts.models import User

pytestmark = pytest.mark.django_db


def test_createsuperuser_noinput_from_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Root@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Sup3r-secret-pass")

    call_command("createsuperuser", "--noinput", verbosity=0)

    user = User.objects.get()
    assert user.email == "root@example.com"
    assert (user.is_staff, user.is_superuser, user.role) == (True, True, "admin")
    assert user.check_password("Sup3r-secret-pass")
