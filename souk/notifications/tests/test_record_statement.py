"""The notifications of a change are written by one statement that finds the people to tell,
applies their channel choices and writes the notifications and outbox messages: its text is
the same whoever is told (so it is prepared once), and what it writes is what the preference
rules (preferences_get, as the preferences API shows them) and reachability say."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from souk.accounts.models import User
from souk.core.renderers import dumps
from souk.inventory.models import InventoryAlert
from souk.inventory.services.alerts import alerts_update
from souk.notifications.models import Notification, OutboxMessage
from souk.notifications.services import record
from souk.notifications.services.preferences import preferences_get
from souk.notifications.services.record import low_stock_record, order_events_record
from souk.notifications.texts import BUYER, MEMBER, order_title
from souk.orders.models import Order, OrderEvent
from souk.orders.tests.factories import place_order
from souk.shops.models import ShopMember
from souk.shops.tests.factories import add_staff

pytestmark = pytest.mark.django_db

CHANNELS = ("in_app", "email", "sms")


def forget() -> None:
    Notification.objects.all().delete()
    OutboxMessage.objects.all().delete()


def choose(user: User, choices: Any) -> None:
    """Store `choices` as the user's preferences, as they are (malformed ones included)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO notifications_preference (user_id, choices, updated_at) "
            "VALUES (%s, %s::jsonb, now()) "
            "ON CONFLICT (user_id) DO UPDATE SET choices = EXCLUDED.choices",
            [user.pk, dumps(choices).decode()],
        )


def inbox() -> list[tuple[int, str, str, dict]]:
    """(recipient, kind, title, data) of every notification, in the order written."""
    return list(
        Notification.objects.order_by("id").values_list("recipient_id", "kind", "title", "data")
    )


def outbox() -> list[tuple[int, str, str, dict]]:
    """(recipient, channel, kind, data) of every outbox message, in the order written."""
    return list(
        OutboxMessage.objects.order_by("id").values_list("recipient_id", "channel", "kind", "data")
    )


def expected(
    told: list[tuple[User, str, str, dict, dict]],
) -> tuple[list[tuple[int, str, str, dict]], list[tuple[int, str, str, dict]]]:
    """What the Python rules write for (user, kind, title, data, message) in this order: the
    user's resolved choice per channel, email only with an address, SMS only with a phone,
    nothing for an inactive account."""
    notifications, messages = [], []
    for user, kind, title, data, message in told:
        user.refresh_from_db()
        if not user.is_active:
            continue
        chosen = preferences_get(user=user)[kind]
        if chosen["in_app"]:
            notifications.append((user.pk, kind, title, data))
        if chosen["email"] and user.email:
            messages.append((user.pk, "email", kind, message))
        if chosen["sms"] and user.phone:
            messages.append((user.pk, "sms", kind, message))
    return notifications, messages


def order_told(order: Order, events: list[str], members: list[User]) -> list[Any]:
    """Whom `order_events_record` tells of `events`, in order: per event the buyer, then (for
    the events that concern them) the shop's current members by email."""
    buyer = User.objects.get(pk=order.customer_id)
    told = []
    for event in events:
        kind, to_buyer, to_members = record.ORDER_EVENTS[event]
        data = {"order": order.pk, "shop": order.shop_id}
        audiences = [(BUYER, [buyer])] if to_buyer else []
        if to_members:
            audiences.append((MEMBER, sorted(members, key=lambda user: user.email)))
        for audience, users in audiences:
            title, _body = order_title(order=order, event=event, audience=audience)
            message = {"order": order.pk, "event": event, "audience": audience}
            told += [(user, str(kind), title, data, message) for user in users]
    return told


@pytest.fixture
def variant(product):
    return product.variants.get()


@pytest.fixture
def order(customer, variant, staff) -> Order:
    placed = place_order(user=customer, lines=[(variant, 1)])
    forget()
    return placed


@pytest.fixture
def statements() -> Callable[..., list[str]]:
    """Run a function and return the text of every statement it sent."""

    def run(function: Callable[[], object]) -> list[str]:
        sent: list[str] = []

        def spy(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
            sent.append(sql)
            return execute(sql, *args)

        with connection.execute_wrapper(spy):
            function()
        return sent

    return run


def test_an_order_events_notifications_are_one_statement(order, customer, artisan, staff):
    events = [OrderEvent(order=order, event="paid")]

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        order_events_record(events=events)

    assert len(queries.captured_queries) == 1, queries.captured_queries
    assert sorted(r for r, *_ in inbox()) == sorted([customer.pk, artisan.pk, staff.pk])
    assert sorted(r for r, *_ in outbox()) == sorted([customer.pk, artisan.pk, staff.pk])


def test_the_statement_is_the_same_text_whoever_is_told(
    order, low_alert, statements, customer, admin_user
):
    sent = statements(
        lambda: (
            order_events_record(events=[OrderEvent(order=order, event="shipped")]),
            order_events_record(
                events=[
                    OrderEvent(order=order, event="paid"),
                    OrderEvent(order=order, event="cancelled"),
                ]
            ),
        )
    )
    alerts = statements(lambda: low_stock_record(alert_ids=[low_alert]))

    assert len(sent) == 2
    assert sent[0] == sent[1]
    assert alerts[-1] == sent[0]  # after reading the alerts, the same statement


def test_the_rows_are_written_in_order_of_event_audience_and_email(order, customer, artisan, staff):
    member = User.objects.create_user(email="aaa-member@example.com")
    add_staff(order.shop, member)
    events = ["paid", "shipped", "cancelled"]

    order_events_record(events=[OrderEvent(order=order, event=event) for event in events])

    notifications, messages = expected(order_told(order, events, [artisan, staff, member]))
    assert [r for r, *_ in notifications][:2] == [customer.pk, member.pk]  # buyer, then by email
    assert inbox() == notifications
    assert outbox() == messages


def test_channel_choices_and_reachability_are_applied_in_the_statement(
    order, customer, artisan, staff, shop, user_factory
):
    """One paid order, every edge of the rules at once."""
    User.objects.filter(pk=customer.pk).update(phone="+212600000001")
    # the buyer: SMS on (with a phone), email chosen with something that is not a boolean
    choose(customer, {"order_paid": {"sms": True, "email": "no"}})
    # the owner: choices that are not an object
    choose(artisan, ["order_paid"])
    # a member: in-app off (cannot be, for an order), email off, SMS on but no phone
    choose(staff, {"order_paid": {"in_app": False, "email": False, "sms": True}})
    # a member whose choice for the kind is not an object
    odd = user_factory(role="artisan", phone="+212600000002")
    add_staff(shop, odd)
    choose(odd, {"order_paid": True, "order_placed": {"sms": True}})
    # a member whose choices are numbers, not booleans: the defaults
    numeric = user_factory(role="artisan", phone="+212600000003")
    add_staff(shop, numeric)
    choose(numeric, {"order_paid": {"sms": 1, "email": 0}})
    # a member with no email address
    no_email = user_factory(role="artisan")
    User.objects.filter(pk=no_email.pk).update(email="")
    no_email.refresh_from_db()
    add_staff(shop, no_email)
    # a member whose account is inactive, and a member who was removed
    inactive = user_factory(role="artisan")
    add_staff(shop, inactive)
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    removed = user_factory(role="artisan")
    add_staff(shop, removed).soft_delete()
    # the buyer is also a member of the shop: told as each
    add_staff(shop, customer)

    order_events_record(events=[OrderEvent(order=order, event="paid")])

    paid = {"order": order.pk, "event": "paid"}
    members = sorted(
        [artisan, staff, odd, numeric, no_email, customer], key=lambda user: user.email
    )
    assert sorted((r, c, m["audience"]) for r, c, _k, m in outbox()) == sorted(
        [
            (customer.pk, "email", BUYER),
            (customer.pk, "sms", BUYER),
            (customer.pk, "email", MEMBER),
            (customer.pk, "sms", MEMBER),
            (artisan.pk, "email", MEMBER),
            (odd.pk, "email", MEMBER),
            (numeric.pk, "email", MEMBER),
        ]
    )
    assert [r for r, *_ in inbox()] == [customer.pk, *[user.pk for user in members]]
    assert all(m == {**paid, "audience": m["audience"]} for *_r, m in outbox())
    assert (inbox(), outbox()) == expected(order_told(order, ["paid"], members))
    assert not ShopMember.objects.filter(user=removed, deleted_at__isnull=True).exists()


@pytest.fixture
def low_alert(shop, category, product_factory) -> int:
    """A raised low-stock alert of `shop`, its notifications cleared."""
    low = product_factory(shop=shop, category=category, name="Blue bowl", quantity=1)
    raised = alerts_update(variants=[low.variants.get()])
    forget()
    return raised[0]


def low_stock_told(alert_id: int, members: list[User], admins: list[User]) -> list[Any]:
    alert = InventoryAlert.objects.select_related("shop", "variant").get(pk=alert_id)
    data = {"shop": alert.shop_id, "product": alert.variant.product_id, "variant": alert.variant_id}
    message = {"shop": alert.shop_id, "alerts": [alert_id]}
    title = f"Low stock in {alert.shop.name}"
    members = sorted(members, key=lambda user: user.email)
    admins = sorted([a for a in admins if a not in members], key=lambda user: user.email)
    return [(user, "low_stock", title, data, message) for user in [*members, *admins]]


def test_low_stock_tells_an_admin_member_once_and_leaves_inactive_admins_out(
    low_alert, artisan, staff, admin_user, user_factory, shop
):
    add_staff(shop, admin_user)
    other_admin = user_factory(role="admin", is_staff=True)
    inactive_admin = user_factory(role="admin", is_staff=True)
    User.objects.filter(pk=inactive_admin.pk).update(is_active=False)
    choose(other_admin, {"low_stock": {"in_app": False, "sms": True}})  # no phone

    low_stock_record(alert_ids=[low_alert])

    told = low_stock_told(low_alert, [artisan, staff, admin_user], [other_admin])
    assert sorted(r for r, *_ in inbox()) == sorted([artisan.pk, staff.pk, admin_user.pk])
    assert sorted(r for r, *_ in outbox()) == sorted(
        [artisan.pk, staff.pk, admin_user.pk, other_admin.pk]
    )
    assert (inbox(), outbox()) == expected(told)


def test_the_unread_counts_and_the_dispatcher_hear_only_of_what_was_written(
    order, customer, artisan, staff, low_alert, monkeypatch
):
    forgotten: list[list[int]] = []
    kicks: list[bool] = []
    monkeypatch.setattr(record, "unread_forget_on_commit", lambda ids: forgotten.append(ids))
    monkeypatch.setattr(record, "dispatch_on_commit", lambda: kicks.append(True))
    for user in (customer, artisan, staff):
        choose(user, {"order_shipped": {"email": False}, "low_stock": {"in_app": False}})

    order_events_record(events=[OrderEvent(order=order, event="shipped")])
    assert (forgotten, kicks) == ([[customer.pk]], [])

    low_stock_record(alert_ids=[low_alert])
    assert (forgotten, kicks) == ([[customer.pk]], [True])

    order_events_record(events=[OrderEvent(order=order, event="paid")])
    assert forgotten[-1] == sorted([customer.pk, artisan.pk, staff.pk])
    assert kicks == [True, True]


# Any stored choices, malformed ones included: the statement agrees with the Python rules.

# The kinds written below, and one that is not a kind.
_KINDS = ["order_placed", "order_delivered", "refund_issued", "low_stock", "other"]
# A choice: a JSON boolean, or something that is not one.
_VALUES: list[Any] = [True, False, 1, 0, "true", "false", "", None, [True], {"on": True}]
_VALUE = st.sampled_from(_VALUES)
_PER_KIND = st.one_of(st.dictionaries(st.sampled_from([*CHANNELS, "fax"]), _VALUE), _VALUE)
_CHOICES = st.one_of(st.dictionaries(st.sampled_from(_KINDS), _PER_KIND, max_size=5), _VALUE)


def written_as_the_rules_say(order: Order, members: list[User], low_alert: int) -> None:
    """Tell of three events of `order` and of `low_alert`, and compare."""
    forget()
    events = ["placed", "delivered", "refunded"]

    order_events_record(events=[OrderEvent(order=order, event=event) for event in events])
    low_stock_record(alert_ids=[low_alert])

    told = order_told(order, events, members) + low_stock_told(low_alert, members, [])
    assert (inbox(), outbox()) == expected(told)


@pytest.mark.parametrize("value", _VALUES, ids=repr)
def test_each_kind_of_choice_gives_what_the_python_rules_give(
    order, customer, artisan, staff, low_alert, value
):
    User.objects.filter(pk=customer.pk).update(phone="+212600000001")
    User.objects.filter(pk=artisan.pk).update(phone="+212600000002")
    for kind in ("order_placed", "low_stock"):
        for channel in CHANNELS:
            for user in (customer, artisan, staff):  # staff has no phone
                choose(user, {kind: {channel: value}})
            written_as_the_rules_say(order, [artisan, staff], low_alert)
        for user in (customer, artisan, staff):  # the kind's choices are not an object
            choose(user, {kind: value})
        written_as_the_rules_say(order, [artisan, staff], low_alert)
    for user in (customer, artisan, staff):  # the choices are not an object
        choose(user, value)
    written_as_the_rules_say(order, [artisan, staff], low_alert)


@settings(max_examples=60)
@given(
    choices=st.tuples(_CHOICES, _CHOICES, _CHOICES),
    phones=st.tuples(st.booleans(), st.booleans(), st.booleans()),
)
def test_any_stored_choices_give_what_the_python_rules_give(
    order, customer, artisan, staff, low_alert, choices, phones
):
    people = (customer, artisan, staff)
    for number, (user, chosen, phone) in enumerate(zip(people, choices, phones, strict=True)):
        choose(user, chosen)
        User.objects.filter(pk=user.pk).update(phone=f"+21260000000{number}" if phone else None)

    written_as_the_rules_say(order, [artisan, staff], low_alert)
