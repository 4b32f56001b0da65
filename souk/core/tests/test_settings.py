"""Production settings refuse a weak SECRET_KEY and pass `check --deploy`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
STRONG_KEY = "k3Y-" + "x7Qm9Lp2Zr8Tn4Vb6Hc1Jd5Fg0Ws3Ey7Ua2Io9Pk4Ln8Mq6Rt1" * 2


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production"}
    environment.pop("SECRET_KEY", None)
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set beside the browser tests only
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_in_production_mode():
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=STRONG_KEY)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "key", ["", "django-insecure-souk-development-key-change-me", "short-key", "a" * 60]
)
def test_production_refuses_a_missing_default_or_weak_secret_key(key):
    result = manage("check", SECRET_KEY=key)

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_when_secret_key_is_unset():
    result = manage("check")

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"METRICS_ALLOW_CIDRS": "10.0.0.0/8,10.0.0.0/33"}, "METRICS_ALLOW_CIDRS: '10.0.0.0/33'"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be json or text, not 'xml'."),
    ],
)
def test_a_bad_observability_setting_stops_the_start(env, message):
    result = manage("check", SECRET_KEY=STRONG_KEY, **env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
