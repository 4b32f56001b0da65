"""The read-replica router (souk.core.db_router) against the `replica` alias of the test
settings: a second connection to the test database (TEST MIRROR), so every query is seen on
the connection the router chose. Data is committed (transactional tests) so that both
connections see it. scripts/replica-check.sh runs souk/core/tests/live_replica.py against a
real streaming replica."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import ProgrammingError, connections, router, transaction

from souk.catalog.models import Product
from souk.catalog.services.vocabulary import names_rebuild, terms_rebuild
from souk.core import db_router
from souk.core.db_router import (
    STICKY_COOKIE,
    on_replica,
    replica_health_reset,
    replica_reads,
    request_scope,
)
from souk.core.testing import QueriesByAlias as Captured

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

PRODUCTS = "/api/products/"


@pytest.fixture
def replica(settings: Any) -> Iterator[None]:
    """Routing on, the replica's state re-checked on the first read."""
    settings.DATABASE_REPLICA_ALIAS = "replica"
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 5.0
    settings.DATABASE_REPLICA_CHECK_SECONDS = 60.0
    settings.DATABASE_REPLICA_STICKY_SECONDS = 6
    replica_health_reset()
    yield
    replica_health_reset()
    connections["replica"].close()


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def replica_down(monkeypatch: Any, closed_port: int) -> Callable[[], None]:
    """The replica's server stops answering (its connection closes, new ones are refused)."""

    def stop() -> None:
        connections["replica"].close()
        monkeypatch.setitem(connections["replica"].settings_dict, "HOST", "127.0.0.1")
        monkeypatch.setitem(connections["replica"].settings_dict, "PORT", str(closed_port))

    return stop


@pytest.fixture
def catalog(product_factory, shop, category):
    product = product_factory(shop=shop, category=category, name="Celadon Tea Bowl")
    terms_rebuild()
    names_rebuild()
    return product


HEAVY_READS = [
    (PRODUCTS, {}, "catalog_product"),
    (PRODUCTS, {"search": "celadon"}, "catalog_product"),
    ("/api/search/products/", {"q": "bowl"}, "catalog_product"),
    ("/api/products/geosearch/", {"lat": 51.5074, "lng": -0.1278}, "catalog_product"),
    ("/api/products/suggest/", {"q": "celad"}, "catalog_searchterm"),
    ("/api/shops/", {}, "shops_shop"),
    ("/api/shops/", {"lat": 51.5074, "lng": -0.1278, "radius": 5}, "shops_shop"),
]


@pytest.mark.usefixtures("replica")
@pytest.mark.parametrize(("url", "params", "table"), HEAVY_READS)
def test_heavy_reads_run_on_the_replica(api_client, catalog, url, params, table):
    with Captured() as captured:
        response = api_client.get(url, params)

    assert response.status_code == 200, response.content
    assert "Celadon Tea Bowl" in response.content.decode() or table == "shops_shop"
    assert captured.on_replica(table)
    assert captured.on_default(table) == []


@pytest.mark.usefixtures("replica")
@pytest.mark.parametrize(
    ("who", "url"),
    [("artisan", "/api/shops/{shop}/dashboard/"), ("admin_user", "/api/dashboard/")],
)
def test_dashboards_are_computed_on_the_replica(request, client_for, shop, who, url):
    client = client_for(request.getfixturevalue(who))

    with Captured() as captured:
        response = client.get(url.format(shop=shop.pk))

    assert response.status_code == 200, response.content
    assert captured.on_replica("orders_order") or captured.on_replica("analytics_shopday")
    assert captured.on_default("orders_order") == []
    assert captured.on_default("analytics_") == []


@pytest.mark.usefixtures("replica")
def test_other_reads_and_every_write_stay_on_the_primary(client_for, artisan, shop, category):
    client = client_for(artisan)
    body = {"shop": shop.pk, "category": category.pk, "name": "Ash Glaze Jug", "price": "30"}

    with Captured() as captured:
        created = client.post(PRODUCTS, body, format="json")
        detail = client.get(f"{PRODUCTS}{created.json()['id']}/")

    assert created.status_code == 201, created.content
    assert detail.status_code == 200
    assert captured.replica == []
    assert any(sql.startswith("INSERT") for sql in captured.default)


@pytest.mark.usefixtures("replica")
def test_a_client_that_wrote_reads_the_primary_for_the_sticky_window(
    client_for, api_client, artisan, shop, category
):
    client = client_for(artisan)
    body = {"shop": shop.pk, "category": category.pk, "name": "Ash Glaze Jug", "price": "30"}
    created = client.post(PRODUCTS, body, format="json")
    assert created.cookies[STICKY_COOKIE]["max-age"] == 6

    with Captured() as by_writer:
        mine = client.get(PRODUCTS)
    with Captured() as by_other:
        anyone = api_client.get(PRODUCTS)

    assert [row["name"] for row in mine.json()["results"]] == ["Ash Glaze Jug"]
    assert [row["name"] for row in anyone.json()["results"]] == ["Ash Glaze Jug"]
    assert by_writer.on_default("catalog_product")
    assert by_writer.replica == []
    assert by_other.on_replica("catalog_product")
    assert by_other.on_default("catalog_product") == []


@pytest.mark.usefixtures("replica")
def test_a_forged_or_expired_sticky_cookie_is_ignored(api_client, catalog, settings):
    api_client.cookies[STICKY_COOKIE] = "1"  # unsigned
    with Captured() as captured:
        assert api_client.get(PRODUCTS).status_code == 200
    assert captured.on_replica("catalog_product")
    assert captured.on_default("catalog_product") == []
    assert STICKY_COOKIE not in api_client.get(PRODUCTS).cookies  # reads set no cookie


@pytest.mark.usefixtures("replica")
def test_reads_after_a_write_in_the_same_request_go_to_the_primary(catalog):
    @replica_reads
    def rename_then_read() -> tuple[str, str]:
        before = router.db_for_read(Product)
        Product.objects.filter(pk=catalog.pk).update(name="Renamed Bowl")
        return before, router.db_for_read(Product)

    with request_scope(), Captured() as captured:
        before, after = rename_then_read()
        with on_replica():
            name = Product.objects.get(pk=catalog.pk).name

    assert (before, after) == ("replica", "default")
    assert name == "Renamed Bowl"
    assert captured.on_default("catalog_product")
    # the replica saw only the health check before the write
    assert captured.on_replica("catalog_product") == []


@pytest.mark.usefixtures("replica")
def test_reads_inside_a_transaction_stay_on_the_primary(catalog):
    with request_scope(), on_replica():
        assert router.db_for_read(Product) == "replica"
        with transaction.atomic():
            assert router.db_for_read(Product) == "default"
        assert router.db_for_read(Product) == "replica"


@pytest.mark.usefixtures("replica")
def test_reads_outside_marked_views_stay_on_the_primary(catalog):
    with request_scope():
        assert router.db_for_read(Product) == "default"


def test_without_a_replica_nothing_moves(api_client, catalog, settings):
    settings.DATABASE_REPLICA_ALIAS = None
    with Captured() as captured:
        response = api_client.get(PRODUCTS)
    assert response.status_code == 200
    assert captured.replica == []
    assert captured.on_default("catalog_product")
    assert STICKY_COOKIE not in response.cookies


def test_migrations_run_only_on_the_primary():
    assert router.allow_migrate("default", "catalog") is True
    assert router.allow_migrate("replica", "catalog") is False
    assert router.allow_migrate("replica", "auth") is False


@pytest.mark.usefixtures("replica")
def test_an_unreachable_replica_sends_reads_to_the_primary(api_client, catalog, replica_down):
    replica_down()

    with Captured() as captured:
        response = api_client.get(PRODUCTS)

    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Celadon Tea Bowl"]
    assert captured.replica == []
    assert captured.on_default("catalog_product")


@pytest.mark.usefixtures("replica")
def test_a_replica_failing_during_a_request_is_retried_on_the_primary(
    api_client, catalog, replica_down
):
    assert db_router.replica_healthy("replica") is True  # checked while up
    replica_down()  # then it goes away before the request's first read

    with Captured() as captured:
        first = api_client.get(PRODUCTS, {"search": "celadon"})
        second = api_client.get(PRODUCTS)

    assert (first.status_code, second.status_code) == (200, 200)
    assert [row["name"] for row in first.json()["results"]] == ["Celadon Tea Bowl"]
    assert captured.replica == []
    # the second request does not try the replica again before the next check
    assert db_router.replica_healthy("replica") is False


@pytest.mark.usefixtures("replica")
def test_a_replica_behind_a_migration_is_left_for_the_primary(api_client, catalog):
    """A column the replica does not have yet (a migration not replayed): the request is
    answered from the primary, not with a 500."""

    def not_migrated(execute, sql, params, many, context):
        if "catalog_product" in sql:  # the health check's own queries answer
            raise ProgrammingError('column "new_column" does not exist')
        return execute(sql, params, many, context)

    with connections["replica"].execute_wrapper(not_migrated), Captured() as captured:
        response = api_client.get(PRODUCTS, {"search": "celadon"})

    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Celadon Tea Bowl"]
    assert captured.on_default("catalog_product")
    assert db_router.replica_healthy("replica") is False


@pytest.mark.usefixtures("replica")
def test_a_lagging_replica_is_left_until_it_catches_up(api_client, catalog, monkeypatch, settings):
    lags = iter([30.0, 0.5])
    checks: list[float] = []

    def lag(alias: str) -> float:
        checks.append(next(lags))
        return checks[-1]

    monkeypatch.setattr(db_router, "replica_lag_seconds", lag)

    with Captured() as behind:
        api_client.get(PRODUCTS)
        api_client.get(PRODUCTS)
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0.0  # the next read checks again
    with Captured() as caught_up:
        api_client.get(PRODUCTS)

    assert checks == [30.0, 0.5]  # one check for the first two requests
    assert behind.on_replica("catalog_product") == []
    assert len(behind.on_default("catalog_product")) > 0
    assert caught_up.on_replica("catalog_product")
    assert caught_up.on_default("catalog_product") == []


def test_the_lag_of_a_server_not_in_recovery_is_zero():
    assert db_router.replica_lag_seconds("replica") == 0.0
