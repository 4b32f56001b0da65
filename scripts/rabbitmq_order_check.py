"""Helper of scripts/rabbitmq-check.sh (run with the settings and database of the check):

seed          create a shop with one product and a buyer with a default address; print
              `<access token> <shop id> <variant id>`
wait-sent N   wait until N outbox messages exist and all are sent (at most 60 s); print
              each message's key, channel, attempts and the time from its write (the
              order's transaction) to its being marked sent
"""

from __future__ import annotations

import os
import sys
import time
from typing import cast

import django

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django.setup()

from souk.accounts.models import User  # noqa: E402
from souk.accounts.services.tokens import tokens_issue  # noqa: E402
from souk.accounts.tests.factories import UserFactory  # noqa: E402
from souk.catalog.tests.factories import make_category, make_product  # noqa: E402
from souk.notifications.models import OutboxMessage  # noqa: E402
from souk.orders.tests.factories import ensure_address  # noqa: E402
from souk.shops.models import Shop  # noqa: E402
from souk.shops.tests.factories import ShopFactory  # noqa: E402


def seed() -> None:
    shop = cast(Shop, ShopFactory(owner=UserFactory(role="artisan")))
    product = make_product(shop=shop, category=make_category("Rabbit check"), quantity=10)
    buyer = cast(User, UserFactory(role="customer"))
    ensure_address(buyer)
    print(tokens_issue(user=buyer).access, shop.pk, product.variants.get().pk)


def wait_sent(expected: int) -> None:
    started = time.monotonic()
    while True:
        statuses = list(OutboxMessage.objects.values_list("status", flat=True))
        if len(statuses) >= expected and set(statuses) == {OutboxMessage.Status.SENT}:
            break
        if time.monotonic() - started > 60:
            sys.exit(f"outbox not delivered within 60 s: {sorted(statuses)}")
        time.sleep(0.1)
    print(f"all {len(statuses)} outbox messages sent")
    rows = OutboxMessage.objects.values_list("key", "channel", "attempts", "created_at", "sent_at")
    for key, channel, attempts, created_at, sent_at in rows:
        delay = ((sent_at or created_at) - created_at).total_seconds()
        print(f"  {key} {channel} attempts={attempts} sent {delay:.3f} s after it was written")


if __name__ == "__main__":
    if sys.argv[1:2] == ["seed"]:
        seed()
    elif sys.argv[1:2] == ["wait-sent"] and len(sys.argv) == 3:
        wait_sent(int(sys.argv[2]))
    else:
        sys.exit(__doc__)
