"""The emails the outbox sends: one message per recipient (the buyer, each member of the
shop, each platform admin), in plain text and HTML. Order emails carry every figure of the
order, how it reaches the buyer and a link to the order; low-stock and review emails name
what happened and where to see it."""

from __future__ import annotations

import html
import re

import pytest
from django.core import mail

from souk.catalog.services.reviews import review_create
from souk.notifications.tasks import outbox_dispatch_task
from souk.orders.services.lifecycle import order_mark_paid, order_transition
from souk.orders.services.placement import order_place
from souk.orders.tests.factories import ensure_address, make_coupon, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def vase_and_jug(product_factory, shop, category):
    vase = product_factory(
        shop=shop, category=category, name="Tall Vase", price="36.00", quantity=5
    ).variants.get()
    jug = product_factory(
        shop=shop, category=category, name="Water Jug", price="38.00", quantity=5
    ).variants.get()
    return vase, jug


@pytest.fixture
def discounted_order(customer, shop, vase_and_jug):
    """2 vases (72.00) and a jug (38.00) with 10 % off: 110.00 - 11.00 = 99.00."""
    vase, jug = vase_and_jug
    ensure_address(customer)
    make_coupon(code="TENOFF", kind="percent", value="10")
    return order_place(
        user=customer, shop=shop, items=[(vase.pk, 2), (jug.pk, 1)], coupon_code="TENOFF"
    )


def sent(action, capture):
    """The emails that `action` sends after its commit. What the set-up left in the outbox
    (its commit never ran, so no dispatcher was kicked) is delivered and forgotten first."""
    outbox_dispatch_task.apply().get()
    mail.outbox.clear()
    with capture(execute=True):
        action()
    return list(mail.outbox)


def sent_by(action, capture):
    """The emails that `action` sends after its commit, by recipient."""
    return {message.to[0]: message for message in sent(action, capture)}


def html_of(message):
    """The HTML alternative of `message` (the only one it has)."""
    [(content, mimetype)] = [tuple(alternative) for alternative in message.alternatives]
    assert mimetype == "text/html"
    return content


def html_words(message):
    """The text of the HTML alternative, tags dropped and spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", html_of(message))).split())


def test_the_paid_email_goes_to_each_recipient_alone_with_every_figure(
    customer, artisan, staff, discounted_order, django_capture_on_commit_callbacks
):
    order = discounted_order

    messages = sent_by(
        lambda: order_mark_paid(order_id=order.pk), django_capture_on_commit_callbacks
    )

    assert sorted(messages) == sorted([customer.email, artisan.email, staff.email])
    for message in messages.values():
        assert len(message.to) == 1
        assert (message.cc, message.bcc) == ([], [])
        assert message.subject == f"Order {order.number} is paid"
        for figure in (
            f"2 x Tall Vase ({order.items.get(name='Tall Vase').sku}) at 36.00 USD = 72.00 USD",
            f"1 x Water Jug ({order.items.get(name='Water Jug').sku}) at 38.00 USD = 38.00 USD",
            "Subtotal: 110.00 USD",
            "Discount (coupon TENOFF): -11.00 USD",
            "Total: 99.00 USD",
            "Currency: USD",
        ):
            assert figure in message.body.splitlines(), (message.to, figure)
    others = {customer.email, artisan.email, staff.email}
    for recipient, message in messages.items():
        for other in others - {recipient}:
            assert other not in message.body
            assert other not in str(message.message())


def test_the_buyer_reads_where_it_goes_and_members_read_where_to_ship(
    customer, artisan, discounted_order, django_capture_on_commit_callbacks
):
    address = ensure_address(customer)

    messages = sent_by(
        lambda: order_mark_paid(order_id=discounted_order.pk), django_capture_on_commit_callbacks
    )

    buyer_lines = messages[customer.email].body.splitlines()
    member_lines = messages[artisan.email].body.splitlines()
    assert buyer_lines[0] == f"Hello {customer.full_name},"
    assert "Delivery to:" in buyer_lines
    assert f"  {address.line1}" in buyer_lines
    assert member_lines[0] == f"Hello {artisan.full_name},"
    assert f"Customer: {customer.full_name}" in member_lines
    assert "Ship to:" in member_lines
    assert f"  {address.recipient}" in member_lines
    assert f"  {address.line1}" in member_lines


def test_an_order_without_a_coupon_still_lists_its_discount(
    customer, shop, vase_and_jug, django_capture_on_commit_callbacks
):
    vase, _ = vase_and_jug
    ensure_address(customer)
    order = order_place(user=customer, shop=shop, items=[(vase.pk, 1)])

    messages = sent_by(
        lambda: order_mark_paid(order_id=order.pk), django_capture_on_commit_callbacks
    )

    lines = messages[customer.email].body.splitlines()
    assert "Subtotal: 36.00 USD" in lines
    assert "Discount: -0.00 USD" in lines
    assert "Total: 36.00 USD" in lines


def test_pickup_emails_name_the_shop_to_collect_from(
    customer, artisan, shop, vase_and_jug, django_capture_on_commit_callbacks
):
    vase, _ = vase_and_jug
    order = order_place(user=customer, shop=shop, items=[(vase.pk, 1)])  # no address: pickup

    paid = sent_by(lambda: order_mark_paid(order_id=order.pk), django_capture_on_commit_callbacks)

    assert f"Pickup: collect it at {shop.name}, {shop.address}." in (
        paid[customer.email].body.splitlines()
    )
    assert "Pickup: the buyer collects it at the shop." in paid[artisan.email].body.splitlines()
    order_transition(order_id=order.pk, status="processing", actor=artisan)
    collected = sent_by(
        lambda: order_transition(order_id=order.pk, status="delivered", actor=artisan),
        django_capture_on_commit_callbacks,
    )
    assert list(collected) == [customer.email]
    assert "You collected your order. Enjoy it!" in collected[customer.email].body.splitlines()


def test_an_inactive_member_gets_no_email(
    customer, artisan, staff, discounted_order, django_capture_on_commit_callbacks
):
    staff.is_active = False
    staff.save(update_fields=["is_active"])

    messages = sent_by(
        lambda: order_mark_paid(order_id=discounted_order.pk), django_capture_on_commit_callbacks
    )

    assert sorted(messages) == sorted([customer.email, artisan.email])


def test_each_order_email_has_an_html_part_with_every_figure_and_a_link_to_the_order(
    settings, customer, artisan, staff, discounted_order, django_capture_on_commit_callbacks
):
    settings.PUBLIC_URL = "https://souk.example"
    order = discounted_order
    vase = order.items.get(name="Tall Vase").sku
    jug = order.items.get(name="Water Jug").sku
    buyer_link = f"https://souk.example/orders/{order.pk}/"
    studio_link = f"https://souk.example/studio/orders/{order.pk}/"

    messages = sent_by(
        lambda: order_mark_paid(order_id=order.pk), django_capture_on_commit_callbacks
    )

    assert sorted(messages) == sorted([customer.email, artisan.email, staff.email])
    for recipient, message in messages.items():
        link, other_link = (
            (buyer_link, studio_link) if recipient == customer.email else (studio_link, buyer_link)
        )
        words = html_words(message)
        for figure in (
            f"2 × Tall Vase {vase} · 36.00 USD 72.00 USD",
            f"1 × Water Jug {jug} · 38.00 USD 38.00 USD",
            "Subtotal 110.00 USD",
            "Discount (coupon TENOFF) -11.00 USD",
            "Total 99.00 USD",
            "Currency USD",
        ):
            assert figure in words, (recipient, figure)
        assert f"See the order: {link}" in message.body.splitlines()
        assert f'href="{link}"' in html_of(message)
        assert other_link not in message.body
        assert other_link not in html_of(message)


def test_low_stock_emails_each_member_and_admin_alone(
    settings,
    customer,
    artisan,
    staff,
    admin_user,
    shop,
    product,
    django_capture_on_commit_callbacks,
):
    settings.PUBLIC_URL = "https://souk.example"
    variant = product.variants.get()  # 5 in stock, threshold 3
    everyone = {customer.email, artisan.email, staff.email, admin_user.email}

    messages = sent(
        lambda: place_order(user=customer, lines=[(variant, 3)]),
        django_capture_on_commit_callbacks,
    )

    low_stock = [m for m in messages if m.subject.startswith("Low stock")]
    assert sorted(m.to for m in low_stock) == sorted(
        [[artisan.email], [staff.email], [admin_user.email]]
    )
    line = f"{product.name} (SKU {variant.sku}): 2 left"
    for message in low_stock:
        assert (message.cc, message.bcc) == ([], [])
        assert message.subject == f"Low stock in {shop.name}"
        lines = message.body.splitlines()
        assert f"Stock is running low in {shop.name}:" in lines
        assert f"- {line}" in lines
        assert "Open the inventory: https://souk.example/studio/inventory/" in lines
        assert line in html_words(message)
        assert 'href="https://souk.example/studio/inventory/"' in html_of(message)
        for other in everyone - set(message.to):
            assert other not in str(message.message())


def test_a_review_emails_each_member_of_the_shop_alone(
    settings, customer, artisan, staff, shop, product, django_capture_on_commit_callbacks
):
    settings.PUBLIC_URL = "https://souk.example"
    order = place_order(user=customer, lines=[(product.variants.get(), 1)])
    order_mark_paid(order_id=order.pk)
    for status in ("processing", "shipped", "delivered"):
        order_transition(order_id=order.pk, status=status, actor=artisan)

    messages = sent_by(
        lambda: review_create(
            customer=customer,
            product=product,
            rating=4,
            title="Lovely glaze",
            body="Even better in person.",
        ),
        django_capture_on_commit_callbacks,
    )

    assert sorted(messages) == sorted([artisan.email, staff.email])
    link = f"https://souk.example/products/{product.pk}/"
    for recipient, member in ((artisan.email, artisan), (staff.email, staff)):
        message = messages[recipient]
        assert message.to == [recipient]
        assert message.subject == f"New 4-star review of {product.name}"
        assert message.body.splitlines() == [
            f"Hello {member.full_name},",
            "",
            f"A customer reviewed {product.name} from {shop.name}.",
            "",
            "★★★★☆",
            "Lovely glaze",
            "",
            "Even better in person.",
            "",
            f"See the product: {link}",
            "",
        ]
        assert "★★★★☆ Lovely glaze Even better in person." in html_words(message)
        assert f'href="{link}"' in html_of(message)
        assert customer.email not in str(message.message())
