"""The one lock plan (DESIGN.md 3): rows are locked only in lock modules, through named plans
that follow the single global order in souk.core.locks."""

from __future__ import annotations

import ast
import contextlib
import re
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

import pytest
from django.apps import apps
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from souk.core.exceptions import is_lock_timeout
from souk.core.locks import (
    LOCK_ORDER,
    PLANS,
    LockOrderError,
    check_order,
    lock_plan,
    lock_raw,
    lock_rows,
)
from souk.core.models import IdempotencyRecord

SOUK = Path(__file__).resolve().parents[2]


def _is_lock_module(path: Path) -> bool:
    relative = path.relative_to(SOUK)
    return path.name == "locks.py" or "locks" in relative.parts[:-1]


def _select_for_update_calls(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "select_for_update"
    ]


ROW_LOCK_SQL = re.compile(r"\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|SHARE|KEY\s+SHARE)\b")


def _row_locking_sql(path: Path) -> list[int]:
    """Lines of string literals that lock rows in hand-written SQL."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and ROW_LOCK_SQL.search(node.value)
    ]


def _lock_modules() -> list[str]:
    found = []
    for config in apps.get_app_configs():
        if config.name.startswith("souk.") and find_spec(f"{config.name}.locks") is not None:
            found.append(f"{config.name}.locks")
    return found


def test_rows_are_locked_only_in_lock_modules():
    sources = [
        path
        for path in SOUK.rglob("*.py")
        if "tests" not in path.relative_to(SOUK).parts and not _is_lock_module(path)
    ]
    assert len(sources) > 100  # the scan reads the whole package

    outside = {
        str(path.relative_to(SOUK)): lines
        for path in sources
        if (lines := _select_for_update_calls(path) + _row_locking_sql(path))
    }

    assert outside == {}


def test_the_scan_finds_row_locks_in_hand_written_sql(tmp_path):
    source = tmp_path / "service.py"
    source.write_text('SQL = """\nSELECT id FROM t\nORDER BY id\nFOR NO KEY UPDATE OF t\n"""\n')

    assert _row_locking_sql(source) == [1]


def test_every_lock_plan_follows_the_global_order():
    for module in _lock_modules():
        import_module(module)

    assert sorted(_lock_modules()) == [
        "souk.accounts.locks",
        "souk.catalog.locks",
        "souk.core.locks",
        "souk.inventory.locks",
        "souk.notifications.locks",
        "souk.orders.locks",
        "souk.payments.locks",
        "souk.shops.locks",
    ]
    for name, labels in PLANS.items():
        assert check_order(labels, name=name) == labels
    assert PLANS["souk.catalog.locks.shop_product_lock"] == ("shops.Shop", "catalog.Product")
    assert PLANS["souk.payments.locks.payment_capture_lock"] == (
        "orders.Order",
        "orders.Coupon",
        "catalog.Variant",
        "payments.Payment",
    )
    assert PLANS["souk.notifications.locks.outbox_due_lock"] == ("notifications.OutboxMessage",)


def test_every_model_in_the_global_order_exists_once():
    assert len(set(LOCK_ORDER)) == len(LOCK_ORDER)
    for label in LOCK_ORDER:
        assert apps.get_model(label)._meta.label == label


def test_a_plan_against_the_global_order_is_refused_when_it_is_written():
    with pytest.raises(LockOrderError, match="against the global lock order"):

        @lock_plan("catalog.Product", "shops.Shop")
        def product_then_shop() -> None:
            return None

    with pytest.raises(LockOrderError, match="not in LOCK_ORDER"):

        @lock_plan("catalog.ProductImage")
        def images() -> None:
            return None


@pytest.mark.django_db
def test_a_plan_may_lock_only_what_it_declares(user_factory):
    @lock_plan("accounts.User")
    def users_then_records() -> None:
        lock_rows(IdempotencyRecord, [1])

    with transaction.atomic(), pytest.raises(LockOrderError, match="does not declare"):
        users_then_records()
    with transaction.atomic(), pytest.raises(LockOrderError, match="outside a lock plan"):
        lock_rows(IdempotencyRecord, [1])


@pytest.mark.django_db
def test_a_plan_sets_the_lock_timeout_for_its_transaction(settings, user_factory):
    settings.DB_LOCK_TIMEOUT_MS = 1234
    user = user_factory()

    @lock_plan("accounts.User")
    def user_lock() -> list[object]:
        return list(lock_rows(type(user), [user.pk, user.pk]))

    with transaction.atomic():
        assert user_lock() == [user]
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone() == ("1234ms",)


@pytest.mark.django_db
def test_a_lock_timeout_is_told_apart_from_other_database_errors():
    with transaction.atomic(), connection.cursor() as cursor:
        sid = transaction.savepoint()  # the failed statement is rolled back to here
        with pytest.raises(OperationalError) as raised:
            cursor.execute("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '55P03'; END $$")
        transaction.savepoint_rollback(sid)

    assert is_lock_timeout(raised.value)
    assert not is_lock_timeout(OperationalError("connection refused"))


@pytest.mark.django_db(transaction=True)
def test_a_lock_waits_for_no_foreign_key_check_of_another_transaction(settings, user_factory):
    """Rows are locked FOR NO KEY UPDATE: another transaction's foreign-key check on them (FOR
    KEY SHARE, which Django's deferred constraints take at COMMIT, after that transaction
    locked other rows) never waits for the lock plan, nor the plan for it, so the two cannot
    deadlock. A FOR UPDATE lock here timed out behind the key-share lock."""
    import psycopg

    settings.DB_LOCK_TIMEOUT_MS = 300
    user = user_factory()
    conf = connection.settings_dict
    other = psycopg.connect(
        dbname=conf["NAME"],
        user=conf["USER"],
        password=conf["PASSWORD"],
        host=conf["HOST"],
        port=conf["PORT"] or 5432,
    )
    try:
        other.execute(
            "SELECT 1 FROM accounts_user WHERE id = %s FOR KEY SHARE", [user.pk]
        )  # as a foreign-key check does

        @lock_plan("accounts.User")
        def user_lock() -> list[object]:
            return list(lock_rows(type(user), [user.pk]))

        with transaction.atomic():
            assert user_lock() == [user]
    finally:
        other.rollback()
        other.close()


class _Undo(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_the_lock_timeout_is_set_once_a_transaction(settings, user_factory):
    settings.DB_LOCK_TIMEOUT_MS = 1500
    user = user_factory()

    @lock_plan("accounts.User")
    def user_lock() -> list[object]:
        return list(lock_rows(type(user), [user.pk]))

    def rolled_back_savepoint() -> None:
        with contextlib.suppress(_Undo), transaction.atomic():
            user_lock()
            raise _Undo  # PostgreSQL undoes the SET LOCAL made in the savepoint

    def settings_made() -> int:
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            user_lock()
            user_lock()
            with transaction.atomic():  # a savepoint kept
                user_lock()
            user_lock()
        return sum("set_config" in query["sql"] for query in queries.captured_queries)

    assert settings_made() == 1
    assert settings_made() == 1  # a new transaction sets it again
    with transaction.atomic():
        rolled_back_savepoint()
        user_lock()
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone() == ("1500ms",)


@pytest.mark.django_db
def test_a_plan_sets_the_lock_timeout_only_where_connections_do_not_open_with_it(
    settings, user_factory
):
    """Direct connections open with lock_timeout (the `options` startup parameter), so a plan
    sets nothing; behind a transaction pooler (DB_TRANSACTION_POOLER, no options) every
    locking transaction sets it. Either way the plan's transaction runs under it."""
    user = user_factory()

    @lock_plan("accounts.User")
    def user_lock() -> list[object]:
        return list(lock_rows(type(user), [user.pk]))

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        assert user_lock() == [user]
        with connection.cursor() as cursor:
            cursor.execute("SELECT setting, unit FROM pg_settings WHERE name = 'lock_timeout'")
            assert cursor.fetchone() == (str(settings.DB_LOCK_TIMEOUT_MS), "ms")
    sets = [query["sql"] for query in queries.captured_queries if "set_config" in query["sql"]]
    if settings.DB_TRANSACTION_POOLER:
        assert settings.DB_SESSION_LOCK_TIMEOUT_MS is None
        assert settings.DB_LOCKING_PLAN_CACHE_MODE == ""
        assert len(sets) == 1
        assert sets[0].count("set_config") == 1  # lock_timeout only
    else:
        assert settings.DB_SESSION_LOCK_TIMEOUT_MS == settings.DB_LOCK_TIMEOUT_MS
        assert settings.DB_LOCKING_PLAN_CACHE_MODE == ""
        assert not sets  # nothing to set: no statement


@pytest.mark.django_db
def test_without_a_connection_default_each_transaction_sets_the_lock_timeout(
    settings, user_factory
):
    settings.DB_SESSION_LOCK_TIMEOUT_MS = None  # as behind a pooler that drops the options
    user = user_factory()

    @lock_plan("accounts.User")
    def user_lock() -> list[object]:
        return list(lock_rows(type(user), [user.pk]))

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        user_lock()
        user_lock()
    assert sum("set_config" in query["sql"] for query in queries.captured_queries) == 1


@pytest.mark.django_db
def test_nothing_to_set_costs_no_statement(settings, user_factory):
    settings.DB_LOCKING_PLAN_CACHE_MODE = ""
    settings.DB_SESSION_LOCK_TIMEOUT_MS = settings.DB_LOCK_TIMEOUT_MS
    user = user_factory()

    @lock_plan("accounts.User")
    def user_lock() -> list[object]:
        return list(lock_rows(type(user), [user.pk]))

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        user_lock()
    assert not any("set_config" in query["sql"] for query in queries.captured_queries)


@pytest.mark.django_db(transaction=True)  # real transactions: SET LOCAL ends with each
def test_a_locking_transaction_plans_its_prepared_statements_once(settings, user_factory):
    """With DB_LOCKING_PLAN_CACHE_MODE=force_generic_plan, statements of a transaction that
    locks run on their generic plan instead of being planned afresh for each execution, as
    PostgreSQL's `auto` does for at least the first five; other transactions keep `auto`."""
    if settings.DB_TRANSACTION_POOLER:
        pytest.skip("behind a transaction pooler nothing is prepared (test_pooler.py)")
    settings.DB_SESSION_LOCK_TIMEOUT_MS = settings.DB_LOCK_TIMEOUT_MS
    settings.DB_LOCKING_PLAN_CACHE_MODE = "force_generic_plan"
    user = user_factory()

    @lock_plan("accounts.User")
    def user_lock() -> list[object]:
        return list(lock_rows(type(user), [user.pk]))

    def run_eight(marker: str, locking: bool) -> tuple[int, int]:
        with transaction.atomic():
            if locking:
                user_lock()
            with connection.cursor() as cursor:
                cursor.execute("SHOW plan_cache_mode")
                mode = cursor.fetchone()[0]
                for pk in range(8):
                    cursor.execute(
                        f"SELECT id FROM accounts_user WHERE id = %s AND '{marker}' <> ''",  # noqa: S608
                        [pk],
                    )
                cursor.execute(
                    "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                    "WHERE statement LIKE %s",
                    [f"%'{marker}'%"],
                )
                plans = cursor.fetchone()
        assert mode == ("force_generic_plan" if locking else "auto")
        return int(plans[0]), int(plans[1])

    generic, custom = run_eight("locking", locking=True)
    assert custom == 0
    assert generic >= 6  # each execution once it was prepared (prepare_threshold 2)

    generic, custom = run_eight("plain", locking=False)
    assert custom >= 5  # PostgreSQL's auto: custom plans first


def _statements(queries: CaptureQueriesContext) -> list[str]:
    """What was sent, less the transaction's and savepoints' own statements."""
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
    return [
        query["sql"] for query in queries.captured_queries if not query["sql"].startswith(control)
    ]


# An upsert that locks its one row and makes the transaction's settings, when due, in its own
# WHERE clause (`lock_raw(..., settings_inline=True)`).
_TOUCH_SQL = """
INSERT INTO core_idempotencyrecord
    (user_id, key, scope, request_hash, state, created_at, updated_at)
SELECT %(user)s, 'touch', 'test', '', 'in_progress', now(), now() WHERE {settings}
ON CONFLICT (user_id, scope, key) DO UPDATE SET updated_at = EXCLUDED.updated_at
RETURNING id
"""


@pytest.mark.django_db(transaction=True)  # real transactions: SET LOCAL ends with each
def test_a_statement_can_make_the_transactions_settings_itself(settings, user_factory):
    """With `settings_inline`, the locking statement makes the settings that are due (once a
    transaction, as a statement of their own would), and no other statement is sent."""
    settings.DB_LOCK_TIMEOUT_MS = 1500
    settings.DB_SESSION_LOCK_TIMEOUT_MS = None  # as behind a pooler: lock_timeout is due too
    settings.DB_LOCKING_PLAN_CACHE_MODE = "force_generic_plan"
    user = user_factory()

    @lock_plan("accounts.User")
    def touch() -> list[tuple[object, ...]]:
        return lock_raw("accounts.User", _TOUCH_SQL, {"user": user.pk}, settings_inline=True)

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        touch()
        touch()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('lock_timeout'), current_setting('plan_cache_mode')"
            )
            assert cursor.fetchone() == ("1500ms", "force_generic_plan")
    sent = _statements(queries)
    assert len(sent) == 3
    assert sent[0].count("set_config") == 2  # the first statement made both settings
    assert "set_config" not in sent[1]  # and the second none: made already
    with connection.cursor() as cursor:  # the transaction over, the settings are gone
        cursor.execute("SELECT current_setting('lock_timeout')")
        assert cursor.fetchone() != ("1500ms",)


@pytest.mark.django_db
def test_a_statement_with_nothing_due_makes_no_setting(settings, user_factory):
    settings.DB_LOCKING_PLAN_CACHE_MODE = ""
    settings.DB_SESSION_LOCK_TIMEOUT_MS = settings.DB_LOCK_TIMEOUT_MS
    user = user_factory()

    @lock_plan("accounts.User")
    def touch() -> list[tuple[object, ...]]:
        return lock_raw("accounts.User", _TOUCH_SQL, {"user": user.pk}, settings_inline=True)

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        assert len(touch()) == 1
    assert [sql.count("set_config") for sql in _statements(queries)] == [0]
