from __future__ import annotations

import json
import re

import pytest
import yaml
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_when_everything_is_up(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
        "details": {"outbox": {"pending": 0, "dead": 0, "oldest_pending_seconds": 0.0}},
    }


def test_readyz_names_an_unreachable_broker(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "service_unavailable"
    assert body["checks"] == {"database": "ok", "cache": "ok", "broker": "down"}
    assert "broker" in body["detail"]


def test_readyz_names_an_unreachable_cache(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1},
        }
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "down"


def test_schema_is_yaml_by_default_and_json_on_request(client):
    as_yaml = client.get("/api/schema/")
    as_json = client.get("/api/schema/", {"format": "json"})
    as_file = client.get("/api/schema.yaml")

    assert as_yaml.status_code == as_json.status_code == as_file.status_code == 200
    spec = yaml.safe_load(as_yaml.content)
    assert spec["openapi"].startswith("3.")
    assert json.loads(as_json.content)["paths"].keys() == spec["paths"].keys()
    assert yaml.safe_load(as_file.content)["paths"].keys() == spec["paths"].keys()
    assert "/api/accounts/login/" in spec["paths"]


def test_schema_documents_problem_responses(client):
    spec = json.loads(client.get("/api/schema/", {"format": "json"}).content)

    me = spec["paths"]["/api/accounts/me/"]["get"]["responses"]
    assert set(me) >= {"200", "401"}
    assert "application/problem+json" in me["401"]["content"]
    assert "ProblemDetails" in spec["components"]["schemas"]


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_only_local_assets(page):
    client = Client()
    response = client.get(page)

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, html
    for url in assets:
        assert not url.startswith(("http://", "https://", "//")), url
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200, url
