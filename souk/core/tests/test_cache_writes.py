"""Cache writes after commit (souk.core.cache.cache_write_on_commit): every write of one
transaction goes to Redis in one pipeline once it commits; none if it rolls back; a cache
outage is logged and fails nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from redis.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError

from souk.core.cache import cache_write_on_commit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pipelines(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of commands of each pipeline sent to Redis."""
    sent: list[int] = []
    original = Pipeline.execute

    def execute(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        sent.append(len(self.command_stack))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "execute", execute)
    return sent


def setter(key: str, value: str) -> Any:
    def write(client: Any, pipeline: Any) -> None:
        client.set(key, value, timeout=None, client=pipeline)

    return write


def test_the_writes_of_a_transaction_go_in_one_pipeline_after_it_commits(pipelines):
    with transaction.atomic():
        cache_write_on_commit(setter("a", "1"))
        with transaction.atomic():  # a savepoint's writes join the same pipeline
            cache_write_on_commit(setter("b", "2"))
        assert cache.get("a") is None  # nothing before the commit
        assert pipelines == []

    assert (cache.get("a"), cache.get("b")) == ("1", "2")
    assert pipelines == [2]


def _write_then_fail() -> None:
    with transaction.atomic():
        cache_write_on_commit(setter("a", "1"))
        raise RuntimeError("rolled back")


def test_a_rolled_back_transaction_writes_nothing(pipelines):
    with pytest.raises(RuntimeError, match="rolled back"):
        _write_then_fail()

    assert cache.get("a") is None
    assert pipelines == []


def test_outside_a_transaction_a_write_is_sent_at_once(pipelines):
    cache_write_on_commit(setter("a", "1"))

    assert cache.get("a") == "1"
    assert pipelines == [1]


def test_a_cache_outage_is_logged_and_fails_nothing(monkeypatch, caplog):
    def down(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        raise RedisConnectionError("down")

    monkeypatch.setattr(Pipeline, "execute", down)
    with caplog.at_level(logging.WARNING, logger="souk.core.cache"), transaction.atomic():
        cache_write_on_commit(setter("a", "1"))
        cache_write_on_commit(setter("b", "1"))

    assert "2 writes after commit lost" in caplog.text


def test_an_order_invalidates_its_shop_and_its_recipients_in_one_round_trip(
    pipelines, client_for, customer, shop, category, product_factory
):
    from souk.inventory.services.caches import inventory_version
    from souk.notifications.services.inbox import unread_count
    from souk.orders.tests.factories import ensure_address

    ensure_address(customer)
    variant = product_factory(shop=shop, category=category, quantity=5).variants.get()
    version = inventory_version(shop.pk)
    assert unread_count(user=customer) == 0  # cached under the current generation
    pipelines.clear()

    response = client_for(customer).post(
        "/api/orders/",
        {"shop": shop.pk, "items": [{"variant": variant.pk, "quantity": 1}]},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert inventory_version(shop.pk) == version + 1
    assert unread_count(user=customer) == 1  # the count was forgotten
    assert len(pipelines) == 1  # the shop's version and the recipients' generations together
