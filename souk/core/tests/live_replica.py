"""The read-replica router against a real streaming replica of the test server.

Not collected by the suite (its name does not start with `test_`): scripts/replica-check.sh
starts the replica and runs this module alone, with

- DATABASE_REPLICA_URL: the replica (the test database is read there, TEST MIRROR);
- SOUK_REPLICA_CLUSTER: the replica's Debian cluster, "<version> <name>", which these tests
  stop and start;
- SOUK_REPLICA_ADMIN_URL / SOUK_PRIMARY_ADMIN_URL: superuser connections (database ignored)
  to the replica and the primary, to pause replay and to read the statistics.

Without them the module fails instead of skipping. The suite's own router tests are
test_db_router.py (a second connection to the same database stands in for the replica)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from django.db import connections

from souk.core.db_router import STICKY_COOKIE, replica_health_reset
from souk.core.testing import QueriesByAlias as Captured

REQUIRED = (
    "DATABASE_REPLICA_URL",
    "SOUK_REPLICA_CLUSTER",
    "SOUK_REPLICA_ADMIN_URL",
    "SOUK_PRIMARY_ADMIN_URL",
)
missing = [name for name in REQUIRED if not os.environ.get(name)]
if missing:
    raise RuntimeError(f"run by scripts/replica-check.sh; not set: {', '.join(missing)}")

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

PRODUCTS = "/api/products/"
MAX_LAG = 2.0


def _admin(url: str, dbname: str) -> psycopg.Connection[Any]:
    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        dbname=dbname,
        autocommit=True,
    )


def database_name() -> str:
    return str(connections["default"].settings_dict["NAME"])


@contextmanager
def on_replica_server() -> Iterator[psycopg.Connection[Any]]:
    with _admin(os.environ["SOUK_REPLICA_ADMIN_URL"], "postgres") as conn:
        yield conn


def primary_lsn() -> str:
    with _admin(os.environ["SOUK_PRIMARY_ADMIN_URL"], "postgres") as conn:
        row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
    assert row is not None
    return str(row[0])


def wait_for_replay(timeout: float = 30.0) -> None:
    """Until the replica has replayed everything the primary wrote so far."""
    target = primary_lsn()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with on_replica_server() as conn:
                row = conn.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]
                ).fetchone()
            if row and row[0]:
                return
        except psycopg.OperationalError:
            pass  # starting up
        time.sleep(0.1)
    raise AssertionError(f"the replica did not replay up to {target} in {timeout} s")


def replica_commits() -> int:
    """Transactions the replica has run in the test database (its statistics)."""
    with on_replica_server() as conn:
        row = conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = %s", [database_name()]
        ).fetchone()
    return int(row[0]) if row else 0


def cluster(action: str) -> None:
    version, name = os.environ["SOUK_REPLICA_CLUSTER"].split()
    mode = ["-m", "fast"] if action == "stop" else []
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, action, *mode],  # noqa: S607
        check=True,
        capture_output=True,
    )


@pytest.fixture(autouse=True)
def routing(settings: Any) -> Iterator[None]:
    settings.DATABASE_REPLICA_ALIAS = "replica"
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = MAX_LAG
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0.0  # every request looks again
    settings.DATABASE_REPLICA_STICKY_SECONDS = 30
    replica_health_reset()
    yield
    replica_health_reset()
    connections["replica"].close()
    with on_replica_server() as conn:
        conn.execute("SELECT pg_wal_replay_resume()")


@pytest.fixture
def catalog(product_factory, shop, category):
    product = product_factory(shop=shop, category=category, name="Celadon Tea Bowl")
    wait_for_replay()
    return product


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row["name"] for row in response.json()["results"])


def test_the_replica_alias_is_a_standby_on_another_port(catalog):
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), inet_server_port(), current_database()")
        in_recovery, port, database = cursor.fetchone()
    replica_port = urlsplit(os.environ["DATABASE_REPLICA_URL"]).port
    assert (in_recovery, port, database) == (True, replica_port, database_name())


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (PRODUCTS, {"search": "celadon"}),
        ("/api/products/geosearch/", {"lat": 51.5074, "lng": -0.1278}),
        ("/api/shops/", {}),
    ],
)
def test_heavy_reads_run_on_the_replica_server(api_client, catalog, url, params):
    before = replica_commits()

    with Captured() as captured:
        response = api_client.get(url, params)

    assert response.status_code == 200, response.content
    assert captured.replica
    assert [sql for sql in captured.default if "catalog_product" in sql] == []
    connections["replica"].close()  # the backend reports its statistics as it ends
    deadline = time.monotonic() + 10
    while replica_commits() == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert replica_commits() > before


def test_writes_go_to_the_primary_and_the_writer_reads_them_at_once(
    client_for, api_client, artisan, shop, category, catalog
):
    """With replay paused, only the primary has the new product: the writer (sticky cookie)
    sees it, another client reads the replica and does not, until the replica is more than
    the bound behind and everyone reads the primary."""
    with on_replica_server() as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
    writer = client_for(artisan)
    body = {"shop": shop.pk, "category": category.pk, "name": "Ash Glaze Jug", "price": "30"}

    with Captured() as captured:
        created = writer.post(PRODUCTS, body, format="json")
    assert created.status_code == 201, created.content
    assert created.cookies[STICKY_COOKIE].value
    assert captured.replica == []

    with Captured() as reads:
        mine = names(writer.get(PRODUCTS))
        theirs = names(api_client.get(PRODUCTS))
    assert mine == ["Ash Glaze Jug", "Celadon Tea Bowl"]
    assert theirs == ["Celadon Tea Bowl"]  # the replica has not replayed the insert
    assert [sql for sql in reads.replica if "catalog_product" in sql]

    time.sleep(MAX_LAG + 0.5)
    with Captured() as late:
        assert names(api_client.get(PRODUCTS)) == ["Ash Glaze Jug", "Celadon Tea Bowl"]
    assert [sql for sql in late.replica if "catalog_product" in sql] == []

    with on_replica_server() as conn:
        conn.execute("SELECT pg_wal_replay_resume()")
    wait_for_replay()
    with Captured() as resumed:
        assert names(api_client.get(PRODUCTS)) == ["Ash Glaze Jug", "Celadon Tea Bowl"]
    assert [sql for sql in resumed.replica if "catalog_product" in sql]


def test_a_stopped_replica_sends_reads_to_the_primary_until_it_is_back(api_client, catalog):
    assert names(api_client.get(PRODUCTS)) == ["Celadon Tea Bowl"]  # connected to the replica
    cluster("stop")
    try:
        with Captured() as down:
            response = api_client.get(PRODUCTS, {"search": "celadon"})
        assert names(response) == ["Celadon Tea Bowl"]
        # at most the failed health check: no read reached the stopped server
        assert [sql for sql in down.replica if "catalog_product" in sql] == []
        assert [sql for sql in down.default if "catalog_product" in sql]
    finally:
        cluster("start")
    wait_for_replay()
    with Captured() as back:
        assert names(api_client.get(PRODUCTS)) == ["Celadon Tea Bowl"]
    assert [sql for sql in back.replica if "catalog_product" in sql]


def test_a_lagging_replica_is_left_after_the_bound(api_client, catalog, product_factory, shop):
    with on_replica_server() as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
    product_factory(shop=shop, category=catalog.category, name="Linen Runner")
    paused = time.monotonic()

    def read() -> tuple[bool, list[str]]:
        with Captured() as captured:
            found = names(api_client.get(PRODUCTS))
        return any("catalog_product" in sql for sql in captured.replica), found

    # Within the bound the replica still serves, without the new product.
    assert read() == (True, ["Celadon Tea Bowl"])
    while (current := read())[0]:
        assert current[1] == ["Celadon Tea Bowl"]
        assert time.monotonic() - paused < MAX_LAG + 3, "still reading a lagging replica"
        time.sleep(0.1)
    assert current == (False, ["Celadon Tea Bowl", "Linen Runner"])
    with on_replica_server() as conn:
        row = conn.execute(
            "SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8"
        ).fetchone()
    assert row is not None
    assert row[0] > MAX_LAG
