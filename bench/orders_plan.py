"""The orders benchmark's catalog and plan, shared by its HTTP and profile modes: the tree
under test (this working tree or a `git worktree` of another commit), its database set up by
its own `manage.py`, buyers, hot and cold variants, and the seeded plan of orders."""

from __future__ import annotations

import argparse
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from common import ROOT, connect, create_database, django_snippet, manage

# Redis database of the server under test. Test processes use databases 1-15 with their own
# key prefixes, so the benchmark deletes only its own keys instead of flushing the database.
REDIS_URL = "redis://127.0.0.1:6379/12"
JWT_MINUTES = "240"  # access tokens outlive the run
HTTP_PREFIX = "SK-"  # order numbers drawn by the application
SQL_PREFIX = "PG-"  # order numbers written by the pgbench script

# Run inside `manage.py shell` against the benchmark database. Mode "prepare": buyers with a
# default address and an access token, the hot variants' stock set to `hot_stock`, and the
# cold candidates. Mode "restock": stock of the given variants put back (an adjustment each,
# through the stock service, so the ledger stays whole).
DJANGO_SNIPPET = r"""
import json, os
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from souk.accounts.models import Address, User
from souk.accounts.services.tokens import tokens_issue
from souk.catalog.models import Variant
from souk.inventory.models import StockMovement
from souk.inventory.services.stock import StockChange, stock_apply, stock_set

params = json.loads(os.environ["BENCH_PARAMS"])
out = {}
if params["mode"] == "prepare":
    password = make_password(None)
    with transaction.atomic():
        users = User.objects.bulk_create([
            User(email=f"buyer{i}@bench.souk.test", first_name="Bench", last_name=f"Buyer {i}",
                 password=password, is_email_verified=True)
            for i in range(params["customers"])
        ])
        Address.objects.bulk_create([
            Address(user=user, label="Home", recipient=user.full_name, phone="+212600000000",
                    line1=f"{i + 1} Market Street", city="Fes", postal_code="30000",
                    country="MA", is_default=True)
            for i, user in enumerate(users)
        ])
    out["tokens"] = {str(user.pk): tokens_issue(user=user).access for user in users}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v.shop_id FROM catalog_variant v JOIN catalog_product p ON p.id = v.product_id"
            " WHERE v.deleted_at IS NULL AND p.deleted_at IS NULL"
            " GROUP BY v.shop_id HAVING count(*) >= %s ORDER BY v.shop_id LIMIT 1",
            [params["hot_variants"]],
        )
        hot_shop = cursor.fetchone()[0]
        cursor.execute(
            "SELECT v.id, v.shop_id, v.quantity FROM catalog_variant v"
            " JOIN catalog_product p ON p.id = v.product_id"
            " WHERE v.deleted_at IS NULL AND p.deleted_at IS NULL AND v.shop_id <> %s"
            " AND v.quantity >= %s ORDER BY v.id",
            [hot_shop, params["cold_min"]],
        )
        out["cold"] = cursor.fetchall()
    hot = list(Variant.objects.filter(shop_id=hot_shop, product__deleted_at__isnull=True)
               .order_by("id")[: params["hot_variants"]])
    for variant in hot:
        stock_set(variant=variant, quantity=params["hot_stock"], actor=None, note="bench: hot")
    out["hot_shop"] = hot_shop
    out["hot"] = [variant.pk for variant in hot]
    out["currency"] = settings.CURRENCY
    out["payment_minutes"] = settings.ORDER_PAYMENT_TIMEOUT_MINUTES
    out["threshold"] = settings.LOW_STOCK_THRESHOLD
else:
    target = {int(k): v for k, v in params["stock"].items()}
    current = dict(Variant.all_objects.filter(pk__in=target).values_list("pk", "quantity"))
    changes = [StockChange(vid, target[vid] - current[vid])
               for vid in sorted(target) if target[vid] != current[vid]]
    moves = stock_apply(
        changes=changes, reason=StockMovement.Reason.ADJUSTMENT, note="bench: restock",
    ) if changes else []
    out["restocked"] = len(moves)
with open(os.environ["BENCH_OUT"], "w") as handle:
    json.dump(out, handle)
"""


@dataclass(frozen=True)
class Tree:
    """A source tree under test: this working tree ("current") or a checkout of --baseline."""

    label: str  # "current" or "baseline"
    root: Path
    ref: str  # what the caller named ("working tree" for the current tree)
    commit: str
    suffix: str  # of its database name


@dataclass(frozen=True)
class PlannedOrder:
    id: int  # 1-based, as in bench_plan
    customer: int
    shop: int
    hot: bool
    lines: tuple[tuple[int, int], ...]  # (variant id, quantity), by variant id


@dataclass
class Catalog:
    tokens: dict[int, str]
    hot_shop: int
    hot: list[int]
    cold: list[tuple[int, int, int]]  # (variant, shop, quantity)
    currency: str
    payment_minutes: int
    threshold: int


@dataclass
class Prepared:
    """A tree's database, ready: its catalog, the plan and the stock the plan starts from."""

    tree: Tree
    url: str
    catalog: Catalog
    plan: list[PlannedOrder]
    start: dict[int, int]
    setup_seconds: float


def snippet_env(url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "JWT_ACCESS_MINUTES": JWT_MINUTES,
        **extra,
    }


def run_snippet(url: str, params: dict[str, Any], root: Path = ROOT) -> dict[str, Any]:
    result: dict[str, Any] = django_snippet(DJANGO_SNIPPET, snippet_env(url), params, root)
    return result


def prepare(url: str, args: argparse.Namespace, root: Path = ROOT) -> Catalog:
    data = run_snippet(
        url,
        {
            "mode": "prepare",
            "customers": args.customers,
            "hot_variants": args.hot_variants,
            "hot_stock": args.hot_stock,
            "cold_min": max(10, args.max_quantity),
        },
        root,
    )
    return Catalog(
        tokens={int(k): v for k, v in data["tokens"].items()},
        hot_shop=data["hot_shop"],
        hot=data["hot"],
        cold=[(row[0], row[1], row[2]) for row in data["cold"]],
        currency=data["currency"],
        payment_minutes=data["payment_minutes"],
        threshold=data["threshold"],
    )


def restock(prepared: Prepared) -> None:
    """Put the stock of every planned variant back to where the plan starts (through the
    tree's own stock service, so its ledger stays whole)."""
    run_snippet(
        prepared.url,
        {"mode": "restock", "stock": {str(k): v for k, v in prepared.start.items()}},
        prepared.tree.root,
    )


def redis_forget(url: str) -> None:
    """Delete what the server under test left in its Redis database (cache keys under the
    application's prefix and the Celery queue nobody consumes here)."""
    client = redis.Redis.from_url(url)
    keys = [
        *client.scan_iter(match="souk:*", count=1000),
        *client.scan_iter(match="_kombu.*", count=1000),
        *client.scan_iter(match="celery", count=1000),
    ]
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])


def set_up(tree: Tree, args: argparse.Namespace) -> Prepared:
    """Recreate the tree's database `<name>_<suffix>` from the test template, migrate it and
    seed it with the tree's own `manage.py`, add buyers and hot stock, and plan the orders."""
    started = time.monotonic()
    url = create_database(args.database_url, tree.suffix)
    manage(url, "migrate", "--noinput", "--verbosity", "0", root=tree.root)
    manage(
        url,
        "seed_data",
        "--shops",
        str(args.shops),
        "--products",
        str(args.products),
        root=tree.root,
    )
    redis_forget(REDIS_URL)
    catalog = prepare(url, args, tree.root)
    with connect(url) as conn:
        conn.execute("VACUUM ANALYZE")
    plan, start = order_plan(args, catalog)
    return Prepared(tree, url, catalog, plan, start, time.monotonic() - started)


def plan_key(prepared: Prepared) -> list[tuple[Any, ...]]:
    """What makes two trees' plans the same: customers, shops and lines of every order."""
    return [(o.customer, o.shop, o.hot, o.lines) for o in prepared.plan]


def order_plan(
    args: argparse.Namespace, catalog: Catalog
) -> tuple[list[PlannedOrder], dict[int, int]]:
    """The orders to place, and the stock each planned variant starts with. Cold orders never
    ask a variant for more than it holds in total, so every one of them must succeed."""
    rng = random.Random(args.seed)
    customers = sorted(catalog.tokens)
    cold_stock = {variant: quantity for variant, _, quantity in catalog.cold}
    start: dict[int, int] = dict.fromkeys(catalog.hot, args.hot_stock)
    left: dict[int, dict[int, int]] = {}
    for variant, shop, quantity in catalog.cold:
        left.setdefault(shop, {})[variant] = quantity
    plan: list[PlannedOrder] = []
    for index in range(args.orders):
        hot = rng.random() < args.hot_share
        count = rng.choice([1, 2])
        if hot:
            shop = catalog.hot_shop
            variants = rng.sample(catalog.hot, count)
        else:
            while True:
                if not left:
                    raise SystemExit("not enough cold stock for the plan: seed more products")
                shop = rng.choice(sorted(left))
                enough = [v for v, q in left[shop].items() if q >= args.max_quantity]
                if enough:
                    break
                del left[shop]
            variants = rng.sample(enough, min(count, len(enough)))
        lines = tuple(sorted((v, rng.randint(1, args.max_quantity)) for v in variants))
        if not hot:
            for variant, quantity in lines:
                start.setdefault(variant, cold_stock[variant])
                left[shop][variant] -= quantity
        plan.append(PlannedOrder(index + 1, rng.choice(customers), shop, hot, lines))
    return plan, start
