"""Turning an outbox message into what leaves: an email (plain text and HTML, from the
templates in templates/notifications/email/) or an SMS text.

A message is rendered when it is sent, from what it is about (`data`), loaded for a whole batch
at once by `Subjects.load`."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from souk.catalog.models import Review
from souk.inventory.models import InventoryAlert
from souk.notifications.models import Kind, OutboxMessage
from souk.notifications.texts import MEMBER, order_context, order_link, order_subject
from souk.orders.models import Order
from souk.shops.models import ShopMember


class Gone(Exception):
    """What the message is about no longer exists (a hard-deleted row): nothing to send."""


@dataclass
class Subjects:
    """The rows a batch of messages is about, loaded in a few queries."""

    orders: dict[int, Order] = field(default_factory=dict)
    alerts: dict[int, InventoryAlert] = field(default_factory=dict)
    reviews: dict[int, Review] = field(default_factory=dict)
    # (shop, user) of the current memberships of the batch's recipients in the batch's shops
    members: set[tuple[int, int]] = field(default_factory=set)

    @classmethod
    def load(cls, messages: list[OutboxMessage]) -> Subjects:
        order_ids: set[int] = set()
        alert_ids: set[int] = set()
        review_ids: set[int] = set()
        for message in messages:
            data = message.data
            if "order" in data:
                order_ids.add(data["order"])
            alert_ids.update(data.get("alerts", ()))
            if "review" in data:
                review_ids.add(data["review"])
        subjects = cls()
        if order_ids:
            subjects.orders = {
                order.pk: order
                for order in Order.all_objects.filter(pk__in=order_ids)
                .select_related("shop", "customer", "coupon", "delivery")
                .prefetch_related("items")
            }
        if alert_ids:
            subjects.alerts = {
                alert.pk: alert
                for alert in InventoryAlert.objects.filter(pk__in=alert_ids).select_related(
                    "variant__product", "shop"
                )
            }
        if review_ids:
            subjects.reviews = {
                review.pk: review
                for review in Review.all_objects.filter(pk__in=review_ids).select_related(
                    "product__shop", "customer"
                )
            }
        shops = {order.shop_id for order in subjects.orders.values()}
        shops |= {alert.shop_id for alert in subjects.alerts.values()}
        shops |= {review.product.shop_id for review in subjects.reviews.values()}
        if shops:
            subjects.members = set(
                ShopMember.objects.filter(
                    shop_id__in=shops,
                    user_id__in={message.recipient_id for message in messages},
                    deleted_at__isnull=True,
                ).values_list("shop_id", "user_id")
            )
        return subjects

    def require_member(self, message: OutboxMessage, shop_id: int) -> None:
        """What goes to a shop's members goes only to who still is one (a platform admin
        reads low stock too): a member removed since the message was written gets nothing."""
        if (shop_id, message.recipient_id) in self.members:
            return
        if message.kind == Kind.LOW_STOCK and message.recipient.is_staff:
            return
        raise Gone("the recipient no longer works at the shop")

    def order(self, message: OutboxMessage) -> Order:
        try:
            return self.orders[message.data["order"]]
        except KeyError as exc:
            raise Gone(f"order {message.data.get('order')}") from exc

    def shop_alerts(self, message: OutboxMessage) -> list[InventoryAlert]:
        alerts = [self.alerts[i] for i in message.data.get("alerts", ()) if i in self.alerts]
        if not alerts:
            raise Gone(f"alerts {message.data.get('alerts')}")
        return alerts

    def review(self, message: OutboxMessage) -> Review:
        try:
            return self.reviews[message.data["review"]]
        except KeyError as exc:
            raise Gone(f"review {message.data.get('review')}") from exc


def _name(message: OutboxMessage) -> str:
    user = message.recipient
    return user.full_name or user.email


def _low_stock_context(message: OutboxMessage, subjects: Subjects) -> dict[str, Any]:
    alerts = subjects.shop_alerts(message)
    shop = alerts[0].shop
    return {
        "subject": _("Low stock in %(shop)s") % {"shop": shop.name},
        "greeting": _("Hello %(name)s,") % {"name": _name(message)},
        "intro": _("Stock is running low in %(shop)s:") % {"shop": shop.name},
        "lines": [
            _("%(product)s (SKU %(sku)s): %(quantity)s left")
            % {
                "product": alert.variant.product.name,
                "sku": alert.variant.sku,
                "quantity": alert.quantity,
            }
            for alert in alerts
        ],
        "advice": _("Restock or adjust the listings in your Souk inventory."),
        "link": f"{settings.PUBLIC_URL}/studio/inventory/",
        "link_label": _("Open the inventory"),
    }


def _review_context(message: OutboxMessage, subjects: Subjects) -> dict[str, Any]:
    review = subjects.review(message)
    product = review.product
    return {
        "subject": _("New %(rating)s-star review of %(product)s")
        % {"rating": review.rating, "product": product.name},
        "greeting": _("Hello %(name)s,") % {"name": _name(message)},
        "intro": _("A customer reviewed %(product)s from %(shop)s.")
        % {"product": product.name, "shop": product.shop.name},
        "stars": "★" * review.rating + "☆" * (5 - review.rating),
        "stars_label": _("%(rating)s out of 5 stars") % {"rating": review.rating},
        "title": review.title,
        "body": review.body,
        "link": f"{settings.PUBLIC_URL}/products/{product.pk}/",
        "link_label": _("See the product"),
    }


def check_recipient(message: OutboxMessage, subjects: Subjects) -> None:
    """Gone if the recipient may no longer read what the message carries."""
    if message.kind == Kind.LOW_STOCK:
        subjects.require_member(message, subjects.shop_alerts(message)[0].shop_id)
    elif message.kind == Kind.REVIEW_RECEIVED:
        subjects.require_member(message, subjects.review(message).product.shop_id)
    elif message.data.get("audience") == MEMBER:
        subjects.require_member(message, subjects.order(message).shop_id)


def _context(message: OutboxMessage, subjects: Subjects) -> tuple[str, dict[str, Any]]:
    """(template name, context) of the message."""
    if message.kind == Kind.LOW_STOCK:
        return "low_stock", _low_stock_context(message, subjects)
    if message.kind == Kind.REVIEW_RECEIVED:
        return "review", _review_context(message, subjects)
    order = subjects.order(message)
    context = order_context(
        order=order,
        event=message.data["event"],
        audience=message.data["audience"],
        name=_name(message),
    )
    return "order", context


def _message_id(message: OutboxMessage) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "souk.localhost"
    return f"<{message.key}@{domain}>"


def render_email(message: OutboxMessage, subjects: Subjects) -> EmailMultiAlternatives:
    """The email of `message`, to its recipient alone. Its Message-ID is the message's key, so
    a resend after a crash carries the same id (receivers and providers that dedupe drop it)."""
    template, context = _context(message, subjects)
    email = EmailMultiAlternatives(
        subject=context["subject"],
        body=render_to_string(f"notifications/email/{template}.txt", context),
        to=[message.recipient.email],
        headers={"Message-ID": _message_id(message), "X-Souk-Message-Key": str(message.key)},
    )
    email.attach_alternative(
        render_to_string(f"notifications/email/{template}.html", context), "text/html"
    )
    return email


def render_sms(message: OutboxMessage, subjects: Subjects) -> str:
    """A short text: what happened and where to follow it."""
    if message.kind == Kind.LOW_STOCK:
        alerts = subjects.shop_alerts(message)
        return _("Souk: stock is low for %(count)s product(s) in %(shop)s.") % {
            "count": len(alerts),
            "shop": alerts[0].shop.name,
        }
    if message.kind == Kind.REVIEW_RECEIVED:
        review = subjects.review(message)
        return _("Souk: new %(rating)s-star review of %(product)s.") % {
            "rating": review.rating,
            "product": review.product.name,
        }
    order = subjects.order(message)
    audience = message.data["audience"]
    subject = order_subject(event=message.data["event"], audience=audience, number=order.number)
    return f"Souk: {subject}. {order_link(order, audience)}"
