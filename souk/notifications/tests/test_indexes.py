"""The inbox queries use the indexes of souk.notifications.models once a user's inbox is big:
EXPLAIN the exact SQL the selector and the unread count run over 100,000 notifications of one
user (among 200,000), and find no sequential scan of the table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from souk.accounts.models import User
from souk.accounts.tests.factories import UserFactory
from souk.notifications import selectors
from souk.notifications.models import Kind, Notification
from souk.notifications.services.inbox import unread_count

pytestmark = pytest.mark.django_db

MINE = 100_000
OTHERS = 100_000
TABLE = "notifications_notification"
INDEXES = {index.name for index in Notification._meta.indexes}
KINDS = [kind.value for kind in Kind]
FILL = """
    INSERT INTO notifications_notification
        (recipient_id, kind, title, body, data, read_at, created_at)
    SELECT (%(users)s::bigint[])[1 + n %% cardinality(%(users)s::bigint[])],
           (%(kinds)s::text[])[1 + n %% cardinality(%(kinds)s::text[])],
           'Notification ' || n, '', '{}'::jsonb,
           CASE WHEN n %% 50 = 0 THEN NULL ELSE now() END,
           now() - make_interval(secs => %(count)s - n)
    FROM generate_series(1, %(count)s) AS n
"""


@pytest.fixture(scope="module")
def big_inbox(django_db_setup, django_db_blocker) -> Iterator[User]:
    """100,000 notifications of one user, 1 in 50 unread, the kinds taking turns; and 100,000
    of 100 other users, so that the user's inbox is half of the table. Written in one
    statement each, analysed, and committed once for this module (each test still runs in its
    own rolled-back transaction)."""
    with django_db_blocker.unblock():
        users: list[User] = [cast(User, UserFactory()) for _ in range(101)]
        me, others = users[0], [user.pk for user in users[1:]]
        try:
            with connection.cursor() as cursor:
                cursor.execute(FILL, {"users": [me.pk], "kinds": KINDS, "count": MINE})
                cursor.execute(FILL, {"users": others, "kinds": KINDS, "count": OTHERS})
                cursor.execute(f"ANALYZE {TABLE}")
            yield me
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {TABLE}")
            User.objects.filter(pk__in=[user.pk for user in users]).delete()


def plan_of(run: Any) -> dict[str, Any]:
    """The plan of the one query `run()` sends about notifications."""
    with CaptureQueriesContext(connection) as captured:
        run()
    (sql,) = [q["sql"] for q in captured if TABLE in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (raw,) = cursor.fetchone()
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]


def nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(node for child in plan.get("Plans", []) for node in nodes(child))]


def scans(plan: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(node type, index) of every node reading notifications_notification."""
    return [
        (node["Node Type"], node.get("Index Name"))
        for node in nodes(plan)
        if node.get("Relation Name") == TABLE or node.get("Index Name") in INDEXES
    ]


def test_the_table_is_big(big_inbox):
    assert Notification.objects.filter(recipient=big_inbox).count() == MINE
    assert Notification.objects.count() == MINE + OTHERS


def test_the_inbox_page_reads_the_inbox_index(big_inbox):
    plan = plan_of(lambda: list(selectors.notifications(user=big_inbox)[:20]))

    assert scans(plan) == [("Index Scan", "notification_inbox")]


def test_the_unread_filter_reads_the_unread_index(big_inbox):
    plan = plan_of(lambda: list(selectors.notifications(user=big_inbox, unread=True)[:20]))

    assert scans(plan) == [("Index Scan", "notification_unread")]


def test_the_kind_filter_reads_the_kind_index(big_inbox):
    plan = plan_of(lambda: list(selectors.notifications(user=big_inbox, kind="order_paid")[:20]))

    assert scans(plan) == [("Index Scan", "notification_inbox_kind")]


def test_the_unread_count_reads_only_the_unread_index(big_inbox):
    counted: list[int] = []

    plan = plan_of(lambda: counted.append(unread_count(user=big_inbox)))

    assert counted == [MINE // 50]
    used = scans(plan)
    assert len(used) in (1, 2)
    assert {index for _node, index in used} == {"notification_unread"}
    assert {node for node, _index in used} <= {
        "Index Only Scan",
        "Index Scan",
        "Bitmap Index Scan",
        "Bitmap Heap Scan",
    }
