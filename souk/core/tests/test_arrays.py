from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection

from souk.core.arrays import id_array, int_array, timestamp_array


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "cast"),
    [
        pytest.param([], "bigint[]", id="empty"),
        pytest.param([7], "bigint[]", id="one"),
        pytest.param([3, -1, 0, 2**63 - 1, -(2**63)], "bigint[]", id="bigint-bounds"),
        pytest.param([5, 5, 1], "integer[]", id="integer-repeats"),
    ],
)
def test_int_array_reads_back_as_sent(values: list[int], cast: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT %s::{cast}", [int_array(values)])
        assert cursor.fetchone()[0] == values


@pytest.mark.django_db
def test_int_array_out_of_range_is_refused_by_the_database() -> None:
    from django.db import DataError

    with pytest.raises(DataError), connection.cursor() as cursor:
        cursor.execute("SELECT %s::bigint[]", [int_array([2**63])])


@pytest.mark.django_db
def test_timestamp_array_keeps_microseconds_and_offsets() -> None:
    values = [
        datetime(2026, 11, 30, 18, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-8))),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz[]", [timestamp_array(values)])
        assert cursor.fetchone()[0] == values
        cursor.execute("SELECT %s = ANY(%s::timestamptz[])", [values[1], timestamp_array(values)])
        assert cursor.fetchone()[0] is True


def test_timestamp_array_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        timestamp_array([datetime(2026, 11, 30, 18, 0)])  # noqa: DTZ001 - the case under test


@pytest.mark.django_db
def test_id_array_leaves_out_ids_no_row_can_have() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::bigint[]", [id_array([5, 2**63, 2**63 - 1, 2**80, -(2**64)])])
        assert cursor.fetchone()[0] == [5, 2**63 - 1]
