"""The payments HTTP surface: who may start a payment of what (and what is refused, with
nothing written), Idempotency-Key on start, who sees which payment, the verify endpoint's
input checks, and the sandbox page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses
from django.db import connection
from django.utils import timezone

from souk.core.testing import assert_problem
from souk.orders.models import Order
from souk.orders.services.lifecycle import order_cancel, order_mark_paid, orders_expire
from souk.orders.tests.factories import make_coupon, place_order
from souk.payments.api.serializers import PaymentStartSerializer
from souk.payments.models import Payment, PaymentTransaction, SandboxCharge
from souk.payments.services.capture import payment_settle_paid
from souk.payments.tests.conftest import (
    PAYSTACK,
    START,
    VERIFY,
    counts,
    paystack_initializes,
    requests_to,
    start,
)

pytestmark = pytest.mark.django_db


def sandbox_payment(client, order: Order) -> dict:
    response = start(client, "sandbox", order=order.pk)
    assert response.status_code == 201, response.json()
    payment: dict = response.json()["payment"]
    return payment


# --- Start: what may be paid --------------------------------------------------------------------


def test_start_with_the_same_idempotency_key_replays_the_first_response(
    paystack, customer, client_for, pending_order
):
    paystack_initializes(paystack)
    client = client_for(customer)
    body = {"order": pending_order.pk, "gateway": "paystack"}

    first = client.post(START, body, format="json", headers={"Idempotency-Key": "pay-1"})
    second = client.post(START, body, format="json", headers={"Idempotency-Key": "pay-1"})

    assert first.status_code == 201, first.json()
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    assert len(requests_to(paystack, "/transaction/initialize")) == 1

    other = client.post(
        START,
        {"order": pending_order.pk, "gateway": "sandbox"},
        format="json",
        headers={"Idempotency-Key": "pay-1"},
    )

    assert_problem(other, 422, "idempotency_conflict")
    assert Payment.objects.count() == 1


def test_a_start_that_met_a_gateway_outage_may_be_retried_with_the_same_key(
    paystack, customer, client_for, pending_order
):
    paystack.add(
        responses.POST,
        f"{PAYSTACK}/transaction/initialize",
        body=requests.exceptions.ConnectTimeout("timed out"),
    )
    client = client_for(customer)
    body = {"order": pending_order.pk, "gateway": "paystack"}

    down = client.post(START, body, format="json", headers={"Idempotency-Key": "pay-2"})
    assert_problem(down, 503, "service_unavailable")
    paystack.replace(
        responses.POST,
        f"{PAYSTACK}/transaction/initialize",
        json={
            "status": True,
            "message": "Authorization URL created",
            "data": {
                "authorization_url": "https://checkout.paystack.com/abc",
                "access_code": "abc",
                "reference": "ignored",
            },
        },
    )

    retried = client.post(START, body, format="json", headers={"Idempotency-Key": "pay-2"})

    assert retried.status_code == 201, retried.json()
    assert "Idempotent-Replayed" not in retried
    assert list(Payment.objects.order_by("pk").values_list("status", flat=True)) == [
        "failed",
        "pending",
    ]


def _paid(order: Order) -> None:
    assert order_mark_paid(order_id=order.pk)


def _cancelled(order: Order) -> None:
    order_cancel(order_id=order.pk, actor=order.customer)


def _expired(order: Order) -> None:
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert orders_expire() == 1


def _past_its_deadline(order: Order) -> None:
    """Not yet expired by the job, but its time to pay has run out."""
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.parametrize(
    "make", [_paid, _cancelled, _expired, _past_its_deadline], ids=lambda f: f.__name__[1:]
)
def test_start_for_an_order_not_awaiting_payment_is_409(customer, client_for, pending_order, make):
    make(pending_order)
    before = counts()

    response = start(client_for(customer), "sandbox", order=pending_order.pk)

    assert_problem(response, 409, "invalid_transition")
    assert counts() == before
    assert SandboxCharge.objects.count() == 0


def test_start_for_a_checkout_with_one_order_already_paid_is_409(
    customer, client_for, checkout_for, product, product_factory, shop_factory, category
):
    other = product_factory(shop=shop_factory(), category=category, name="Rug", price="55.50")
    checkout = checkout_for(customer, [(product.variants.get(), 1), (other.variants.get(), 1)])
    _paid(Order.objects.get(pk=checkout["orders"][0]["id"]))

    response = start(client_for(customer), "sandbox", checkout=checkout["id"])

    assert_problem(response, 409, "invalid_transition")
    assert Payment.objects.count() == 0


def test_someone_elses_order_or_checkout_is_404(
    customer, other_customer, client_for, pending_order, checkout_for, product
):
    checkout = checkout_for(customer, [(product.variants.get(), 1)])
    intruder = client_for(other_customer)

    by_order = start(intruder, "sandbox", order=pending_order.pk)
    by_checkout = start(intruder, "sandbox", checkout=checkout["id"])
    missing = start(intruder, "sandbox", order=2**31 - 1)

    for response in (by_order, by_checkout, missing):
        assert_problem(response, 404, "not_found")
    assert Payment.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"gateway": "sandbox"},
        {"gateway": "sandbox", "order": "ORDER", "checkout": "CHECKOUT"},
        {"gateway": "bitcoin", "order": "ORDER"},
        {"order": "ORDER"},
        {"gateway": "sandbox", "order": -1},
        {"gateway": "sandbox", "order": 2**31},
    ],
    ids=["neither", "both", "unknown-gateway", "no-gateway", "negative-id", "huge-id"],
)
def test_start_with_invalid_input_is_400(
    customer, client_for, pending_order, checkout_for, product, body
):
    checkout = checkout_for(customer, [(product.variants.get(), 1)])
    filled = {
        key: {"ORDER": pending_order.pk, "CHECKOUT": checkout["id"]}.get(value, value)
        for key, value in body.items()
    }

    response = client_for(customer).post(START, filled, format="json")

    assert_problem(response, 400, "validation_error")
    assert Payment.objects.count() == 0


def test_a_disabled_gateway_is_400(settings, customer, client_for, pending_order):
    settings.PAYMENT_GATEWAYS = ["sandbox"]

    response = start(client_for(customer), "paystack", order=pending_order.pk)

    problem = assert_problem(response, 400, "validation_error")
    assert "gateway" in problem["errors"]
    assert Payment.objects.count() == 0


@pytest.mark.parametrize(
    ("gateway", "message"),
    [("paystack", "Paystack is not configured."), ("zarinpal", "Zarinpal is not configured.")],
)
def test_a_gateway_without_its_credentials_is_400_and_nothing_is_written(
    settings, customer, client_for, pending_order, gateway_http, gateway, message
):
    settings.PAYMENT_GATEWAYS = ["sandbox", "paystack", "zarinpal"]
    settings.PAYSTACK_SECRET_KEY = ""
    settings.ZARINPAL_MERCHANT_ID = ""
    before = counts()

    response = start(client_for(customer), gateway, order=pending_order.pk)

    problem = assert_problem(response, 400, "validation_error")
    assert problem["errors"] == {"gateway": [message]}
    assert counts() == before
    assert len(gateway_http.calls) == 0
    pending_order.refresh_from_db()
    assert (pending_order.status, pending_order.payment_status) == ("pending_payment", "unpaid")


def start_gateway_enum(client: Any) -> list[str]:
    """The gateways the OpenAPI schema offers for `POST /api/payments/start/`."""
    spec = client.get("/api/schema/", {"format": "json"}).json()
    schemas = spec["components"]["schemas"]
    ref = schemas["PaymentStartRequest"]["properties"]["gateway"]["$ref"]
    enum: list[str] = schemas[ref.rsplit("/", 1)[-1]]["enum"]
    return enum


@pytest.mark.parametrize(
    ("enabled", "paystack_key", "merchant_id", "offered"),
    [
        (["sandbox", "paystack", "zarinpal"], "", "", ["sandbox"]),
        (["sandbox", "paystack", "zarinpal"], "sk_live_x", "", ["sandbox", "paystack"]),
        (["sandbox", "paystack", "zarinpal"], "", "m-1", ["sandbox", "zarinpal"]),
        (
            ["sandbox", "paystack", "zarinpal"],
            "sk_live_x",
            "m-1",
            ["sandbox", "paystack", "zarinpal"],
        ),
        (["paystack", "zarinpal"], "sk_live_x", "", ["paystack"]),
    ],
    ids=["nothing-set", "paystack-key", "zarinpal-merchant", "both", "production"],
)
def test_only_enabled_and_configured_gateways_are_offered(
    settings, api_client, enabled, paystack_key, merchant_id, offered
):
    settings.PAYMENT_GATEWAYS = enabled
    settings.PAYSTACK_SECRET_KEY = paystack_key
    settings.ZARINPAL_MERCHANT_ID = merchant_id

    assert start_gateway_enum(api_client) == offered
    choices = PaymentStartSerializer().fields["gateway"].choices
    assert list(choices) == offered


def test_zarinpal_cannot_charge_dollars(zarinpal, settings, customer, client_for, pending_order):
    settings.CURRENCY = "USD"
    usd = place_order(user=customer, lines=[(pending_order.items.get().variant, 1)])

    response = start(client_for(customer), "zarinpal", order=usd.pk)

    problem = assert_problem(response, 400, "validation_error")
    assert "IRR" in problem["errors"]["gateway"][0]
    assert Payment.objects.count() == 0
    assert len(zarinpal.calls) == 0


def test_paystack_cannot_charge_rials(paystack, irr_order, customer, client_for):
    response = start(client_for(customer), "paystack", order=irr_order.pk)

    assert_problem(response, 400, "validation_error")
    assert Payment.objects.count() == 0
    assert len(paystack.calls) == 0


def test_anonymous_start_is_401(api_client, pending_order):
    response = start(api_client, "sandbox", order=pending_order.pk)

    assert_problem(response, 401, "not_authenticated")
    assert Payment.objects.count() == 0


def test_an_order_free_after_its_coupon_is_paid_without_a_gateway(
    customer, client_for, product, paystack
):
    make_coupon(code="FREE", kind="fixed", value="100.00")
    order = place_order(user=customer, lines=[(product.variants.get(), 1)], coupon_code="FREE")
    assert order.total == Decimal("0.00")

    response = start(client_for(customer), "paystack", order=order.pk)

    assert response.status_code == 201, response.json()
    assert response.json()["redirect_url"] is None
    assert response.json()["payment"]["status"] == "paid"
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("paid", "paid")
    assert len(paystack.calls) == 0


# --- Reading payments ---------------------------------------------------------------------------


def test_a_payment_shows_its_transaction_log_to_its_buyer_only(
    customer, other_customer, client_for, pending_order
):
    payment = sandbox_payment(client_for(customer), pending_order)

    mine = client_for(customer).get(f"/api/payments/{payment['id']}/")
    theirs = client_for(other_customer).get(f"/api/payments/{payment['id']}/")

    assert mine.status_code == 200
    body = mine.json()
    assert body["id"] == payment["id"]
    assert body["order"] == pending_order.pk
    assert body["checkout"] is None
    assert body["amount"] == "40.00"
    [request] = body["transactions"]
    assert request["kind"] == "request"
    assert request["status"] == "ok"
    assert request["amount"] == "40.00"
    assert request["created_at"]
    assert_problem(theirs, 404, "not_found")
    assert_problem(client_for(customer).get("/api/payments/999999/"), 404, "not_found")


def test_the_list_shows_own_payments_and_admins_see_all(
    customer, other_customer, admin_user, client_for, pending_order, product
):
    mine = sandbox_payment(client_for(customer), pending_order)
    their_order = place_order(user=other_customer, lines=[(product.variants.get(), 1)])
    theirs = sandbox_payment(client_for(other_customer), their_order)

    own = client_for(customer).get("/api/payments/")
    everyone = client_for(admin_user).get("/api/payments/")
    admin_detail = client_for(admin_user).get(f"/api/payments/{theirs['id']}/")

    assert own.status_code == 200
    assert [row["id"] for row in own.json()["results"]] == [mine["id"]]
    assert own.json()["count"] == 1
    assert {row["id"] for row in everyone.json()["results"]} == {mine["id"], theirs["id"]}
    assert admin_detail.status_code == 200
    assert_problem(client_for(None).get("/api/payments/"), 401, "not_authenticated")


def queries_of(call: Callable[[], Any]) -> int:
    executed: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        call()
    return len(executed)


def test_the_list_makes_the_same_queries_however_many_payments(customer, client_for, product):
    client = client_for(customer)
    variant = product.variants.get()
    sandbox_payment(client, place_order(user=customer, lines=[(variant, 1)]))
    one = queries_of(lambda: client.get("/api/payments/"))
    for _ in range(3):
        sandbox_payment(client, place_order(user=customer, lines=[(variant, 1)]))
    paid = Payment.objects.order_by("pk").first()
    assert paid is not None
    payment_settle_paid(payment_id=paid.pk, amount=paid.amount, currency="USD")

    four = queries_of(lambda: client.get("/api/payments/"))

    assert four == one
    assert client.get("/api/payments/").json()["count"] == 4


# --- Verify -------------------------------------------------------------------------------------


def test_verify_of_an_unknown_reference_is_404(api_client, customer, client_for, pending_order):
    sandbox_payment(client_for(customer), pending_order)
    before = counts()

    for gateway in ("sandbox", "paystack"):
        response = api_client.get(VERIFY, {"gateway": gateway, "reference": "SK-NOT-OURS"})
        assert_problem(response, 404, "not_found")
    assert counts() == before


def test_a_reference_of_one_gateway_is_unknown_to_another(
    api_client, customer, client_for, pending_order
):
    payment = sandbox_payment(client_for(customer), pending_order)

    response = api_client.get(VERIFY, {"gateway": "paystack", "reference": payment["reference"]})

    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize(
    "query",
    [{}, {"gateway": "paystack"}, {"gateway": "sandbox"}, {"gateway": "nope", "reference": "x"}],
    ids=["nothing", "paystack-no-reference", "sandbox-no-reference", "unknown-gateway"],
)
def test_verify_without_what_it_needs_is_400(api_client, query):
    before = counts()

    response = api_client.get(VERIFY, query)

    assert_problem(response, 400, "validation_error")
    assert counts() == before


# --- The sandbox page ---------------------------------------------------------------------------


def test_the_sandbox_page_of_an_unknown_reference_is_404(api_client):
    assert api_client.get("/api/payments/sandbox/SK-NOPE/").status_code == 404
    posted = api_client.post("/api/payments/sandbox/SK-NOPE/", {"result": "pay"})
    assert posted.status_code == 404


@pytest.mark.parametrize(
    "reference",
    ["%00", "SK%00", "%00" * 70, "%F0%9F%92%A9", "%ED%A0%80", "SK1%0A", "x" * 65, "SK'--"],
    ids=["nul", "nul-inside", "many-nuls", "emoji", "bad-utf8", "newline", "too-long", "quote"],
)
def test_the_sandbox_page_of_any_string_is_404(
    api_client, customer, client_for, pending_order, reference
):
    payment = sandbox_payment(client_for(customer), pending_order)
    url = f"/api/payments/sandbox/{reference}/"

    page = api_client.get(url)
    posted = api_client.post(url, {"result": "pay"}, format="multipart")

    assert_problem(page, 404, "not_found")
    assert_problem(posted, 404, "not_found")
    assert list(SandboxCharge.objects.values_list("reference", "status")) == [
        (payment["reference"], "open")
    ]


@pytest.mark.parametrize("reference", ["%00", "SK-NOPE"], ids=["nul", "unknown"])
def test_with_the_sandbox_off_its_page_is_404_before_any_lookup(
    settings, api_client, django_assert_num_queries, reference
):
    settings.PAYMENT_GATEWAYS = ["paystack", "zarinpal"]  # as in production

    with django_assert_num_queries(0):
        page = api_client.get(f"/api/payments/sandbox/{reference}/")
        posted = api_client.post(
            f"/api/payments/sandbox/{reference}/", {"result": "pay"}, format="multipart"
        )

    assert_problem(page, 404, "not_found")
    assert_problem(posted, 404, "not_found")


@pytest.mark.parametrize("choice", [None, "", "refund", "PAY"])
def test_the_sandbox_page_refuses_a_choice_other_than_pay_or_fail(
    api_client, customer, client_for, pending_order, choice
):
    payment = sandbox_payment(client_for(customer), pending_order)
    data = {} if choice is None else {"result": choice}

    response = api_client.post(
        f"/api/payments/sandbox/{payment['reference']}/", data, format="multipart"
    )

    assert response.status_code == 400
    assert b"Choose pay or fail." in response.content
    assert SandboxCharge.objects.get(reference=payment["reference"]).status == "open"


def test_the_sandbox_page_is_gone_when_the_sandbox_is_disabled(
    settings, api_client, customer, client_for, pending_order
):
    payment = sandbox_payment(client_for(customer), pending_order)
    settings.PAYMENT_GATEWAYS = ["paystack"]
    url = f"/api/payments/sandbox/{payment['reference']}/"

    assert api_client.get(url).status_code == 404
    assert api_client.post(url, {"result": "pay"}, format="multipart").status_code == 404
    assert SandboxCharge.objects.get(reference=payment["reference"]).status == "open"


def test_a_sandbox_choice_is_final(api_client, customer, client_for, pending_order):
    payment = sandbox_payment(client_for(customer), pending_order)
    url = f"/api/payments/sandbox/{payment['reference']}/"
    api_client.post(url, {"result": "fail"}, format="multipart")

    api_client.post(url, {"result": "pay"}, format="multipart")

    assert SandboxCharge.objects.get(reference=payment["reference"]).status == "failed"
    verified = api_client.get(VERIFY, {"gateway": "sandbox", "reference": payment["reference"]})
    assert verified.json()["payment"]["status"] == "failed"
    assert not PaymentTransaction.objects.filter(kind="capture").exists()
    assert Order.objects.get(pk=pending_order.pk).status == "pending_payment"
