"""The database backend (souk.core.backend): bulk writes larger than one statement's 65,535
parameters, which server-side binding sends apart from the statement. Shops have a geometry
column, so Django inserts them with VALUES rows (one parameter per column and row) rather than
one UNNEST array per column."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.db import connection, transaction

from souk.core.backend.base import MAX_PARAMETERS
from souk.shops.models import Shop

pytestmark = pytest.mark.django_db


def shops(owner: Any, count: int) -> list[Shop]:
    return [
        Shop(
            owner=owner,
            name=f"Shop {n}",
            slug=f"bulk-shop-{n}",
            location=Point(-7.6 + n / 1e6, 33.5, srid=4326),
            address=f"{n} Rue des Potiers",
        )
        for n in range(count)
    ]


def test_parameters_are_bound_on_the_server():
    assert connection.settings_dict["OPTIONS"]["server_side_binding"] is True


def test_bulk_create_beyond_one_statements_parameters(artisan):
    columns = len([f for f in Shop._meta.concrete_fields if not f.generated and not f.primary_key])
    count = MAX_PARAMETERS // columns + 100  # as one statement, too many parameters

    created = Shop.objects.bulk_create(shops(artisan, count))

    assert len(created) == count
    assert Shop.objects.filter(slug__startswith="bulk-shop-").count() == count


def test_bulk_update_batches_fit_the_parameters():
    """Django's bulk_update asks with ("pk", "pk", *fields); an object then takes two
    parameters per field (its CASE branch) and one more (the WHERE)."""
    fields = ["pk", "pk", "name", "phone", "review_count"]
    batch = connection.ops.bulk_batch_size(fields, list(range(100_000)))

    assert batch * (2 * (len(fields) - 2) + 1) <= MAX_PARAMETERS
    assert batch > 1000


def test_small_batches_stay_one_statement():
    assert connection.ops.bulk_batch_size(["a", "b"], list(range(10))) == 10


@pytest.mark.django_db(transaction=True)  # a real ROLLBACK
def test_a_rollback_keeps_the_prepared_statements(customer, settings):
    """psycopg deallocates every prepared statement on rollback; PostgreSQL keeps them through
    one, and so does the backend, so a refused order does not make every statement be parsed
    and planned again."""
    if settings.DB_TRANSACTION_POOLER:
        pytest.skip("behind a transaction pooler nothing is prepared")
    sql = "SELECT id FROM accounts_user WHERE id = %s AND 'rollback-kept' <> ''"

    def prepared() -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM pg_prepared_statements WHERE statement LIKE %s",
                ["%'rollback-kept'%"],
            )
            return list(cursor.fetchall())

    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute(sql, [customer.pk])
    before = prepared()
    assert len(before) == 1

    def refused() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [customer.pk])
            raise LookupError("refused")  # the transaction rolls back

    with pytest.raises(LookupError):
        refused()

    assert prepared() == before
    with connection.cursor() as cursor:  # psycopg still knows it by name: no new one
        cursor.execute(sql, [customer.pk])
        assert cursor.fetchone() == (customer.pk,)
    assert prepared() == before


@pytest.mark.django_db(transaction=True)
def test_a_failed_statement_rolls_back_and_the_connection_goes_on(customer):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        Shop.objects.create(
            owner_id=customer.pk + 10_000, name="x", slug="x", location=Point(0, 0), address="x"
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.django_db(transaction=True)
def test_a_statement_gone_stale_after_a_migration_is_prepared_again(customer, settings):
    """Another process changes a column a prepared statement returns (a migration while the
    web workers run): PostgreSQL refuses the stale statement once, the rollback after that
    error deallocates the prepared statements, and the next run prepares it afresh."""
    import psycopg
    from django.db import NotSupportedError

    if settings.DB_TRANSACTION_POOLER:
        pytest.skip("behind a transaction pooler nothing is prepared")
    table = "souk_test_stale_plan"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, name varchar(10))")
        cursor.execute(f"INSERT INTO {table} VALUES (1, 'bowl')")  # noqa: S608
    try:
        sql = f"SELECT id, name FROM {table} WHERE id = %s"  # noqa: S608 - a fixed name
        with connection.cursor() as cursor:
            for _ in range(3):
                cursor.execute(sql, [1])  # prepared from the second run on
        settings = connection.settings_dict
        with psycopg.connect(
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            dbname=settings["NAME"],
            user=settings["USER"],
            password=settings["PASSWORD"],
            autocommit=True,
        ) as other:
            other.execute(f"ALTER TABLE {table} ALTER COLUMN name TYPE varchar(20)")

        def run() -> tuple[Any, ...]:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [1])
                return tuple(cursor.fetchone())

        with pytest.raises(NotSupportedError, match="cached plan"):
            run()
        assert run() == (1, "bowl")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
