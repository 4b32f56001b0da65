"""The one global lock order, and the helper every lock plan takes its row locks with.

Every model whose rows are ever locked (`SELECT ... FOR UPDATE`) is listed in `LOCK_ORDER`,
once. A transaction that locks rows of several models takes them in this order, and rows of
one model in primary-key order, so two transactions that want the same rows wait for each
other instead of deadlocking. Each app that locks has a `locks.py` with named lock plans
(`@lock_plan(...)`) that declare the models they lock; a plan's declaration is checked against
`LOCK_ORDER` when it is defined, and every lock it takes is checked against its declaration
while it runs. Services call the plans and receive the locked rows; `select_for_update`
appears nowhere else (a test scans the source).

Rows are locked FOR NO KEY UPDATE, as PostgreSQL's own UPDATE locks them: plans still exclude
each other, but a foreign-key check of another transaction (FOR KEY SHARE, taken at COMMIT for
Django's deferred constraints) neither waits for a plan nor makes one wait, so the two cannot
deadlock.

Every lock is taken under `lock_timeout` (`settings.DB_LOCK_TIMEOUT_MS`, the connection's default,
else a `SET LOCAL` once per transaction, with the transaction's `plan_cache_mode`): a row held
too long raises PostgreSQL's `lock_not_available` (55P03), which the exception handler answers
with 503 `service_unavailable`, instead of a worker waiting forever.

`core` imports no app, so models are named by their "app_label.Model" label.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, QuerySet

# The global lock order: a transaction locks rows of an earlier model before a later one.
LOCK_ORDER: tuple[str, ...] = (
    "accounts.User",  # the address book of one user
    "token_blacklist.OutstandingToken",
    "accounts.OtpCode",
    "catalog.Category",
    "shops.Shop",  # before its products: closing a shop and changing a product meet here
    "catalog.Product",
    "catalog.SuggestName",  # a product's name is counted while the product is locked
    "inventory.Purchase",
    "payments.Refund",  # settled by hand before its order is updated
    "orders.Cart",
    "orders.Order",  # several orders in primary-key order
    "orders.DeliverySchedule",
    "orders.Coupon",
    "catalog.Variant",  # stock, always by primary key
    "inventory.InventoryAlert",
    "payments.Payment",
    "notifications.Preference",  # one user's choices, read-modify-write
    "notifications.OutboxMessage",  # claimed by dispatchers, SKIP LOCKED, in batches
)

LOCK_RANK = {label: rank for rank, label in enumerate(LOCK_ORDER)}

M = TypeVar("M", bound=Model)
P = ParamSpec("P")
R = TypeVar("R")


class LockOrderError(AssertionError):
    """A lock plan declares or takes locks out of the global order (a programming error)."""


@dataclass
class _Running:
    name: str
    labels: tuple[str, ...]
    taken: list[str] = field(default_factory=list)


_current: ContextVar[_Running | None] = ContextVar("souk_lock_plan", default=None)

# name -> the models it locks, in order; filled as the lock modules are imported
PLANS: dict[str, tuple[str, ...]] = {}


def check_order(labels: Iterable[str], *, name: str = "plan") -> tuple[str, ...]:
    """The labels, if each is in `LOCK_ORDER` and they follow it; LockOrderError if not."""
    labels = tuple(labels)
    unknown = [label for label in labels if label not in LOCK_RANK]
    if unknown:
        raise LockOrderError(f"{name} locks {unknown}, which are not in LOCK_ORDER.")
    ranks = [LOCK_RANK[label] for label in labels]
    if ranks != sorted(ranks):
        raise LockOrderError(f"{name} locks {list(labels)}, against the global lock order.")
    return labels


def lock_plan(*labels: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare a named lock plan: the models it locks, in the global order. While it runs,
    every `lock_rows` call must lock one of them, never going back up the order."""

    def decorate(plan: Callable[P, R]) -> Callable[P, R]:
        name = f"{plan.__module__}.{plan.__qualname__}"
        PLANS[name] = check_order(labels, name=name)

        @wraps(plan)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            token = _current.set(_Running(name, PLANS[name]))
            try:
                return plan(*args, **kwargs)
            finally:
                _current.reset(token)

        return run

    return decorate


def _label(model: type[Model]) -> str:
    return model._meta.label


def _record(label: str) -> None:
    running = _current.get()
    if running is None:
        raise LockOrderError(f"{label} rows are locked outside a lock plan.")
    if label not in running.labels:
        raise LockOrderError(f"{running.name} locks {label}, which it does not declare.")
    if running.taken and LOCK_RANK[label] < LOCK_RANK[running.taken[-1]]:
        raise LockOrderError(f"{running.name} locks {label} after {running.taken[-1]}.")
    running.taken.append(label)


def _settings_mark() -> None:
    """Registered after commit only to mark "this transaction's settings are set"."""


def _settings_due() -> list[str]:
    """The settings (name, value, name, value...) the current transaction still has to make
    (see `transaction_settings_set`); empty if none or if made already."""
    wanted: list[str] = []
    if settings.DB_LOCK_TIMEOUT_MS != settings.DB_SESSION_LOCK_TIMEOUT_MS:
        wanted += ["lock_timeout", f"{int(settings.DB_LOCK_TIMEOUT_MS)}ms"]
    if settings.DB_LOCKING_PLAN_CACHE_MODE:
        wanted += ["plan_cache_mode", settings.DB_LOCKING_PLAN_CACHE_MODE]
    if not wanted or any(entry[1] is _settings_mark for entry in connection.run_on_commit):
        return []
    return wanted


def transaction_settings_set() -> None:
    """The settings of a transaction that locks rows, once per transaction, in one statement
    (`set_config(..., true)`, PostgreSQL's SET LOCAL): its `lock_timeout` where connections do
    not open with it (DB_SESSION_LOCK_TIMEOUT_MS, the database settings' options; behind a
    pooler they cannot), and its `plan_cache_mode` (DB_LOCKING_PLAN_CACHE_MODE: the generic
    plan of each prepared statement, not one planned afresh per execution).

    Whether they are set already is read from the transaction's after-commit list: Django
    empties it at commit and rollback, and drops the entries of a savepoint rolled back - just
    as PostgreSQL undoes a SET LOCAL made inside that savepoint."""
    wanted = _settings_due()
    if not wanted:
        return
    calls = ", ".join(["set_config(%s, %s, true)"] * (len(wanted) // 2))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {calls}", wanted)  # noqa: S608 - placeholders only
    transaction.on_commit(_settings_mark, robust=True)


# One setting made inside a locking statement (`lock_raw(..., settings_inline=True)`).
_INLINE_SETTING = "set_config(%(lock_setting_{name})s, %(lock_setting_{value})s, true) IS NOT NULL"


def lock_rows(
    source: type[M] | QuerySet[M],
    pks: Iterable[Any] | None = None,
    *,
    of_self: bool = True,
    skip_locked: bool = False,
    limit: int | None = None,
) -> list[M]:
    """Lock the rows of `source` (a model, or a queryset to narrow and load them with),
    restricted to `pks` when given, in primary-key order, at most `limit` of them; the locked
    rows. Inside a lock plan and a transaction."""
    queryset: QuerySet[M] = (
        source if isinstance(source, QuerySet) else source._default_manager.all()
    )
    _record(_label(queryset.model))
    if pks is not None:
        wanted = sorted(set(pks))
        if not wanted:
            return []
        queryset = queryset.filter(pk__in=wanted)
    transaction_settings_set()
    locking = queryset.select_for_update(
        of=("self",) if of_self else (), skip_locked=skip_locked, no_key=True
    )
    locking = locking.order_by("pk")
    return list(locking[:limit] if limit is not None else locking)


def lock_raw(
    label: str, sql: str, params: dict[str, Any], *, settings_inline: bool = False
) -> list[tuple[Any, ...]]:
    """Lock rows of the model `label` with a hand-written statement (it ends in `ORDER BY
    <primary key> FOR NO KEY UPDATE OF <its table>`, or is an upsert whose update locks its
    one row): the rows it returns. For the hot paths where one statement must lock and read
    what several queries would. Inside a lock plan and a transaction.

    With `settings_inline`, `sql` has a `{settings}` slot for a condition that the statement
    evaluates before it takes any lock (the WHERE clause of the row an upsert writes): the
    transaction's settings (`transaction_settings_set`), when still due, are made there by
    `set_config(..., true)` instead of by a statement of their own. `lock_timeout` then holds
    for this statement's own wait already; `plan_cache_mode` from the next statement on."""
    _record(label)
    due: list[str] = []
    if settings_inline:
        due = _settings_due()
        made = [
            _INLINE_SETTING.format(name=index, value=index + 1) for index in range(0, len(due), 2)
        ]
        sql = sql.replace("{settings}", " AND ".join(made) or "true")
        if due:
            params = {**params, **{f"lock_setting_{n}": value for n, value in enumerate(due)}}
    else:
        transaction_settings_set()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    if due:
        transaction.on_commit(_settings_mark, robust=True)
    return rows


def lock_first(source: QuerySet[M], *, of_self: bool = True) -> M | None:
    """Lock the first row of `source` in its own ordering (one row, so no order to keep
    among its rows); None if there is none. Inside a lock plan and a transaction."""
    _record(_label(source.model))
    transaction_settings_set()
    return source.select_for_update(of=("self",) if of_self else (), no_key=True).first()
