"""Payment links point where the server is reached: the sandbox redirect and its Pay form
follow PUBLIC_URL, and `make run` derives PUBLIC_URL from the HOST and PORT it listens on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from souk.payments.tests.conftest import start

ROOT = Path(__file__).resolve().parents[3]
LIB = ROOT / "scripts" / "lib.sh"


def run_settings(cwd: Path, **env: str) -> dict[str, str]:
    """HOST, PORT and PUBLIC_URL as `make run` resolves them, from a clean environment plus
    `env`, with `cwd` as the directory whose .env is read."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"HOST", "PORT", "PUBLIC_URL", "PAYMENT_CALLBACK_URL"}
    }
    environment.update(env)
    script = (
        f'source "{LIB}"; load_run_settings; '
        'printf "%s\\n" "$HOST" "$PORT" "$PUBLIC_URL"; '
        f'"{sys.executable}" -c "from config.settings import base; '
        'print(base.PUBLIC_URL); print(base.PAYMENT_CALLBACK_URL)"'
    )
    result = subprocess.run(  # noqa: S603 - a fixed command line
        ["/bin/bash", "-c", script],  # noqa: S607
        cwd=cwd,
        env={**environment, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    host, port, public_url, settings_url, callback_url = result.stdout.splitlines()
    return {
        "HOST": host,
        "PORT": port,
        "PUBLIC_URL": public_url,
        "settings.PUBLIC_URL": settings_url,
        "settings.PAYMENT_CALLBACK_URL": callback_url,
    }


@pytest.mark.django_db
def test_the_sandbox_redirect_and_its_pay_form_follow_public_url(
    settings, customer, client_for, pending_order, api_client
):
    settings.PUBLIC_URL = "http://127.0.0.1:8811"

    started = start(client_for(customer), "sandbox", order=pending_order.pk)

    assert started.status_code == 201, started.json()
    reference = started.json()["payment"]["reference"]
    page_url = f"http://127.0.0.1:8811/api/payments/sandbox/{reference}/"
    assert started.json()["redirect_url"] == page_url
    page = api_client.get(f"/api/payments/sandbox/{reference}/")
    assert page.status_code == 200
    assert f'<form method="post" action="{page_url}">' in page.content.decode()
    refused = api_client.post(f"/api/payments/sandbox/{reference}/", {}, format="multipart")
    assert refused.status_code == 400
    assert f'<form method="post" action="{page_url}">' in refused.content.decode()


def test_make_run_reaches_itself_on_the_port_it_listens_on(tmp_path):
    resolved = run_settings(tmp_path, PORT="8811")

    assert resolved == {
        "HOST": "127.0.0.1",
        "PORT": "8811",
        "PUBLIC_URL": "http://127.0.0.1:8811",
        "settings.PUBLIC_URL": "http://127.0.0.1:8811",
        "settings.PAYMENT_CALLBACK_URL": "http://127.0.0.1:8811/api/payments/verify/",
    }


def test_make_run_defaults_to_port_8000(tmp_path):
    resolved = run_settings(tmp_path)

    assert resolved["PUBLIC_URL"] == "http://127.0.0.1:8000"
    assert resolved["settings.PAYMENT_CALLBACK_URL"] == "http://127.0.0.1:8000/api/payments/verify/"


@pytest.mark.parametrize(
    ("host", "public_url"),
    [
        ("0.0.0.0", "http://127.0.0.1:8811"),  # noqa: S104 - a bind address, as given to run
        ("localhost", "http://localhost:8811"),
        ("::", "http://[::1]:8811"),
        ("::1", "http://[::1]:8811"),
        ("shop.example", "http://shop.example:8811"),
    ],
)
def test_public_url_is_where_a_browser_reaches_the_bound_host(tmp_path, host, public_url):
    assert run_settings(tmp_path, HOST=host, PORT="8811")["PUBLIC_URL"] == public_url


def test_host_and_port_from_env_file_count_and_a_set_public_url_wins(tmp_path):
    (tmp_path / ".env").write_text("HOST=0.0.0.0\nPORT=8822\n")

    assert run_settings(tmp_path)["PUBLIC_URL"] == "http://127.0.0.1:8822"
    assert run_settings(tmp_path, PORT="8811")["PUBLIC_URL"] == "http://127.0.0.1:8811"
    behind_proxy = run_settings(tmp_path, PUBLIC_URL="https://souk.example")
    assert behind_proxy["PUBLIC_URL"] == "https://souk.example"
    assert behind_proxy["settings.PAYMENT_CALLBACK_URL"] == (
        "https://souk.example/api/payments/verify/"
    )


def test_make_run_warns_when_a_local_public_url_is_on_another_port(tmp_path):
    (tmp_path / ".env").write_text("PUBLIC_URL=http://127.0.0.1:8000\n")
    environment = {
        key: value for key, value in os.environ.items() if key not in {"HOST", "PUBLIC_URL"}
    }

    def stderr(port: str) -> str:
        result = subprocess.run(  # noqa: S603 - a fixed command line
            ["/bin/bash", "-c", f'set -euo pipefail; source "{LIB}"; load_run_settings'],  # noqa: S607
            cwd=tmp_path,
            env={**environment, "PORT": port},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return result.stderr

    assert "PUBLIC_URL is http://127.0.0.1:8000 but make run listens on port 8811" in stderr("8811")
    assert stderr("8000") == ""
