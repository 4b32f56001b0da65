"""Array parameters as PostgreSQL array literals.

psycopg adapts a Python list in Python, element by element (it first works out the element
type, then dumps each value), which on the purchase path cost more CPU than the statements'
other parameters together. A list of integers or timestamps is sent instead as one text
value, `{1,2,3}`, which the statement casts: `= ANY(%(ids)s::bigint[])`. Only integers and
aware datetimes are written, so no element needs escaping beyond the quotes around a
timestamp."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime


def int_array(values: Iterable[int]) -> str:
    """`values` as an array literal for a `::bigint[]` or `::integer[]` cast."""
    return "{" + ",".join([str(int(value)) for value in values]) + "}"


BIGINT_MAX = 2**63 - 1

# Hot statements take up to this many ids as one parameter each instead of one array (see
# `souk.inventory.locks._lock_sql`): one prepared statement per count, each planned once.
LISTED_MAX = 32


def id_array(values: Iterable[int]) -> str:
    """Ids to look up, as an array literal for a `::bigint[]` cast. An id beyond bigint (a
    client may send one) names no row, so it is left out instead of failing the cast."""
    return int_array(value for value in values if -BIGINT_MAX - 1 <= value <= BIGINT_MAX)


def timestamp_array(values: Iterable[datetime]) -> str:
    """Aware datetimes as an array literal for a `::timestamptz[]` cast (microseconds kept)."""
    written = []
    for value in values:
        if value.tzinfo is None:
            raise ValueError("timestamp_array takes aware datetimes only")
        written.append(f'"{value.isoformat()}"')
    return "{" + ",".join(written) + "}"
