"""Product reviews: written once per customer and product, only by a customer who received it
(a delivered order line of the product); the product's and the shop's `rating` (mean, two
places) and `review_count` follow every review. Anyone reads them, newest first."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from souk.accounts.models import User
from souk.catalog.models import Product, Review
from souk.orders.models import Order
from souk.orders.services.lifecycle import order_cancel, order_mark_paid, order_transition
from souk.orders.tests.factories import place_order
from souk.shops.models import Shop

PROBLEM = "application/problem+json"

pytestmark = pytest.mark.django_db


def reviews_url(product: Product) -> str:
    return f"/api/products/{product.pk}/reviews/"


def order_in(status: str, *, user: User, product: Product, actor: User) -> Order:
    """An order of one unit of `product` by `user`, moved through the life cycle to `status`."""
    order = place_order(user=user, lines=[(product.variants.order_by("pk")[0], 1)])
    if status == "pending_payment":
        return order
    if status == "cancelled":
        order_cancel(order_id=order.pk, actor=user)
        return order
    if status == "expired":
        Order.objects.filter(pk=order.pk).update(status=Order.Status.EXPIRED)
        return order
    order_mark_paid(order_id=order.pk)
    for step in ("processing", "shipped", "delivered"):
        if status == "paid":
            break
        order_transition(order_id=order.pk, status=step, actor=actor)
        if step == status:
            break
    order.refresh_from_db()
    assert order.status == status
    return order


def received(user: User, product: Product, actor: User) -> Order:
    return order_in("delivered", user=user, product=product, actor=actor)


def stats(product: Product) -> dict[str, Any]:
    """(rating, review_count) of the product and of its shop, from the database."""
    product_row = Product.all_objects.values("rating", "review_count").get(pk=product.pk)
    shop_row = Shop.all_objects.values("rating", "review_count").get(pk=product.shop_id)
    return {"product": product_row, "shop": shop_row}


def api_stats(client: Any, product: Product) -> dict[str, Any]:
    """(rating, review_count) of the product and of its shop, as the API shows them."""
    shown = client.get(f"/api/products/{product.pk}/").json()
    shop = client.get(f"/api/shops/{product.shop_id}/").json()
    return {
        "product": (shown["rating"], shown["review_count"]),
        "shop": (shop["rating"], shop["review_count"]),
    }


def rows() -> list[tuple[Any, ...]]:
    return list(
        Review.objects.order_by("pk").values_list("pk", "product_id", "customer_id", "rating")
    )


# --- Writing ---------------------------------------------------------------------------------


def test_a_customer_who_received_the_product_reviews_it(
    client_for, api_client, user_factory, product, artisan
):
    buyer = user_factory(role="customer", first_name="Amina", last_name="Tazi")
    received(buyer, product, artisan)

    response = client_for(buyer).post(
        reviews_url(product),
        {"rating": 4, "title": "Lovely glaze", "body": "Holds a big coffee."},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    review = Review.objects.get()
    assert body == {
        "id": review.pk,
        "product": product.pk,
        "rating": 4,
        "title": "Lovely glaze",
        "body": "Holds a big coffee.",
        "customer": {"id": buyer.pk, "name": "Amina T."},
        "created_at": body["created_at"],
    }
    assert (review.product_id, review.customer_id, review.rating) == (product.pk, buyer.pk, 4)
    assert stats(product) == {
        "product": {"rating": Decimal("4.00"), "review_count": 1},
        "shop": {"rating": Decimal("4.00"), "review_count": 1},
    }
    assert api_stats(api_client, product) == {"product": ("4.00", 1), "shop": ("4.00", 1)}


def test_title_and_body_are_optional(client_for, customer, product, artisan):
    received(customer, product, artisan)

    response = client_for(customer).post(reviews_url(product), {"rating": 5}, format="json")

    assert response.status_code == 201, response.content
    assert (response.json()["title"], response.json()["body"]) == ("", "")
    assert Review.objects.get().rating == 5


@pytest.mark.parametrize(
    "status", ["pending_payment", "paid", "processing", "shipped", "cancelled", "expired"]
)
def test_an_order_that_was_not_delivered_gives_no_right_to_review(
    client_for, customer, product, artisan, status
):
    order_in(status, user=customer, product=product, actor=artisan)
    before = stats(product)

    response = client_for(customer).post(reviews_url(product), {"rating": 5}, format="json")

    assert response.status_code == 403, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "permission_denied"
    assert rows() == []
    assert stats(product) == before


def test_a_delivered_order_of_another_product_gives_no_right_to_review(
    client_for, customer, product, product_factory, shop, category, artisan
):
    teapot = product_factory(shop=shop, category=category, name="Teapot", quantity=4)
    received(customer, teapot, artisan)
    before = stats(product)

    response = client_for(customer).post(reviews_url(product), {"rating": 5}, format="json")

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "permission_denied"
    assert rows() == []
    assert stats(product) == before


def test_someone_elses_delivered_order_gives_no_right_to_review(
    client_for, customer, other_customer, product, artisan
):
    received(customer, product, artisan)

    response = client_for(other_customer).post(reviews_url(product), {"rating": 1}, format="json")

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "permission_denied"
    assert rows() == []


def test_any_variant_received_counts(
    client_for, customer, shop, category, product_factory, artisan
):
    jug = product_factory(
        shop=shop,
        category=category,
        name="Water Jug",
        variants=[
            {"sku": "JUG-S", "price": "15.00", "quantity": 3},
            {"sku": "JUG-L", "price": "22.00", "quantity": 3},
        ],
    )
    order = place_order(user=customer, lines=[(jug.variants.get(sku="JUG-L"), 1)])
    order_mark_paid(order_id=order.pk)
    for step in ("processing", "shipped", "delivered"):
        order_transition(order_id=order.pk, status=step, actor=artisan)

    response = client_for(customer).post(reviews_url(jug), {"rating": 3}, format="json")

    assert response.status_code == 201, response.content


def test_one_review_per_customer_and_product(client_for, api_client, customer, product, artisan):
    received(customer, product, artisan)
    received(customer, product, artisan)  # buying it twice does not give a second review
    client = client_for(customer)
    assert client.post(reviews_url(product), {"rating": 5}, format="json").status_code == 201
    before = (rows(), stats(product))

    response = client.post(
        reviews_url(product), {"rating": 1, "title": "Changed my mind"}, format="json"
    )

    assert response.status_code == 409, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "conflict"
    assert (rows(), stats(product)) == before
    assert api_stats(api_client, product) == {"product": ("5.00", 1), "shop": ("5.00", 1)}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"rating": 0}, "rating", id="zero"),
        pytest.param({"rating": 6}, "rating", id="six"),
        pytest.param({"rating": -3}, "rating", id="negative"),
        pytest.param({"rating": 4.5}, "rating", id="fraction"),
        pytest.param({"rating": "five"}, "rating", id="word"),
        pytest.param({"rating": True}, "rating", id="boolean"),
        pytest.param({"rating": None}, "rating", id="null"),
        pytest.param({"rating": [4]}, "rating", id="list"),
        pytest.param({"title": "No rating"}, "rating", id="missing"),
        pytest.param({"rating": 4, "title": "x" * 121}, "title", id="long-title"),
        pytest.param({"rating": 4, "body": "x" * 5001}, "body", id="long-body"),
    ],
)
def test_an_invalid_review_is_400_and_writes_nothing(
    client_for, customer, product, artisan, body, field
):
    received(customer, product, artisan)
    before = stats(product)

    response = client_for(customer).post(reviews_url(product), body, format="json")

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert set(problem["errors"]) == {field}
    assert rows() == []
    assert stats(product) == before


def test_a_body_that_is_not_json_is_400(client_for, customer, product, artisan):
    received(customer, product, artisan)

    response = client_for(customer).generic(
        "POST", reviews_url(product), "{rating: 5", content_type="application/json"
    )

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "parse_error"
    assert rows() == []


def test_ratings_average_over_reviewers_for_product_and_shop(
    client_for, api_client, user_factory, shop, category, product, product_factory, artisan
):
    """Product: the mean of its reviews. Shop: the mean of every review of its products."""
    teapot = product_factory(shop=shop, category=category, name="Teapot", quantity=4)
    buyers = [user_factory(role="customer") for _ in range(3)]
    for buyer in buyers:
        received(buyer, product, artisan)
    received(buyers[0], teapot, artisan)

    def review(buyer: User, item: Product, rating: int) -> None:
        response = client_for(buyer).post(reviews_url(item), {"rating": rating}, format="json")
        assert response.status_code == 201, response.content

    review(buyers[0], product, 5)
    review(buyers[1], product, 4)
    assert api_stats(api_client, product) == {"product": ("4.50", 2), "shop": ("4.50", 2)}

    review(buyers[2], product, 4)  # 13 / 3 = 4.333...
    assert api_stats(api_client, product) == {"product": ("4.33", 3), "shop": ("4.33", 3)}

    review(buyers[0], teapot, 2)  # shop: 15 / 4
    assert api_stats(api_client, product) == {"product": ("4.33", 3), "shop": ("3.75", 4)}
    assert api_stats(api_client, teapot) == {"product": ("2.00", 1), "shop": ("3.75", 4)}
    assert stats(product) == {
        "product": {"rating": Decimal("4.33"), "review_count": 3},
        "shop": {"rating": Decimal("3.75"), "review_count": 4},
    }
    assert stats(teapot)["product"] == {"rating": Decimal("2.00"), "review_count": 1}


def test_another_shops_reviews_leave_this_shop_alone(
    client_for, customer, product, shop_factory, user_factory, category, product_factory, artisan
):
    maker = user_factory(role="artisan")
    elsewhere = product_factory(shop=shop_factory(owner=maker), category=category, name="Rug")
    received(customer, elsewhere, maker)

    response = client_for(customer).post(reviews_url(elsewhere), {"rating": 2}, format="json")

    assert response.status_code == 201, response.content
    assert stats(product) == {
        "product": {"rating": Decimal("0.00"), "review_count": 0},
        "shop": {"rating": Decimal("0.00"), "review_count": 0},
    }
    assert stats(elsewhere)["shop"] == {"rating": Decimal("2.00"), "review_count": 1}


# --- Reading ---------------------------------------------------------------------------------


def make_reviews(product: Product, count: int, user_factory: Any) -> list[Review]:
    """`count` reviews written straight to the database, oldest first."""
    return [
        Review.objects.create(
            product=product,
            customer=user_factory(role="customer"),
            rating=index % 5 + 1,
            title=f"Review {index}",
        )
        for index in range(count)
    ]


def test_anyone_lists_reviews_newest_first(
    api_client, user_factory, product, product_factory, shop, category
):
    written = make_reviews(product, 3, user_factory)
    other = product_factory(shop=shop, category=category, name="Teapot")
    make_reviews(other, 1, user_factory)

    response = api_client.get(reviews_url(product))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 3
    assert body["previous"] is None
    assert body["next"] is None
    assert [row["id"] for row in body["results"]] == [review.pk for review in reversed(written)]
    assert {row["product"] for row in body["results"]} == {product.pk}


def test_reviews_are_paginated(api_client, user_factory, product):
    written = make_reviews(product, 5, user_factory)
    newest_first = [review.pk for review in reversed(written)]

    first = api_client.get(reviews_url(product), {"page_size": 2}).json()
    last = api_client.get(reviews_url(product), {"page_size": 2, "page": 3}).json()

    assert first["count"] == 5
    assert [row["id"] for row in first["results"]] == newest_first[:2]
    assert first["next"] is not None
    assert first["previous"] is None
    assert [row["id"] for row in last["results"]] == newest_first[4:]
    assert last["next"] is None


def test_a_product_without_reviews_lists_none(api_client, product):
    response = api_client.get(reviews_url(product))

    assert response.status_code == 200, response.content
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_listing_reviews_takes_the_same_queries_for_any_page_size(
    api_client, user_factory, product
):
    make_reviews(product, 12, user_factory)
    api_client.get(reviews_url(product))  # warm anything cached per process

    with CaptureQueriesContext(connection) as few:
        assert api_client.get(reviews_url(product), {"page_size": 2}).status_code == 200
    with CaptureQueriesContext(connection) as many:
        assert api_client.get(reviews_url(product), {"page_size": 12}).status_code == 200

    assert len(many) == len(few)


# --- Products that are not there -------------------------------------------------------------


def test_a_deleted_product_has_no_reviews_to_read_or_write(
    client_for, api_client, customer, artisan, product, user_factory
):
    make_reviews(product, 1, user_factory)
    received(customer, product, artisan)
    assert client_for(artisan).delete(f"/api/products/{product.pk}/").status_code == 204
    before = (rows(), stats(product))

    read = api_client.get(reviews_url(product))
    write = client_for(customer).post(reviews_url(product), {"rating": 5}, format="json")

    for response in (read, write):
        assert response.status_code == 404, response.content
        assert response["Content-Type"] == PROBLEM
        assert response.json()["code"] == "not_found"
    assert (rows(), stats(product)) == before


def test_an_unknown_product_is_404(client_for, api_client, customer):
    missing = (Product.all_objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

    read = api_client.get(f"/api/products/{missing}/reviews/")
    write = client_for(customer).post(
        f"/api/products/{missing}/reviews/", {"rating": 5}, format="json"
    )

    for response in (read, write):
        assert response.status_code == 404, response.content
        assert response.json()["code"] == "not_found"
    assert rows() == []


# --- Under concurrency -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_simultaneous_reviews_all_count(client_for, user_factory, product, artisan):
    """Reviews of one product arriving together: every one counts in the product's and the
    shop's rating (the product row is locked while its statistics are recomputed)."""
    buyers = [user_factory(role="customer") for _ in range(4)]
    for buyer in buyers:
        received(buyer, product, artisan)
    clients = [client_for(buyer) for buyer in buyers]
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def review(client: Any, rating: int) -> None:
        try:
            barrier.wait(timeout=30)
            response = client.post(reviews_url(product), {"rating": rating}, format="json")
            statuses.append(response.status_code)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=review, args=(client, rating))
        for client, rating in zip(clients, (5, 4, 2, 2), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not [thread for thread in threads if thread.is_alive()], "a thread is stuck"
    assert errors == []
    assert statuses == [201] * 4
    assert stats(product) == {
        "product": {"rating": Decimal("3.25"), "review_count": 4},
        "shop": {"rating": Decimal("3.25"), "review_count": 4},
    }


@pytest.mark.django_db(transaction=True)
def test_simultaneous_reviews_by_one_customer_make_one_review_and_conflicts(
    client_for, customer, product, artisan
):
    """The same customer's review sent three times at once: one is written, the others are
    409 `conflict` (the database's one-live-review rule, not a 500)."""
    received(customer, product, artisan)
    clients = [client_for(customer) for _ in range(3)]
    barrier = threading.Barrier(len(clients))
    answers: list[tuple[int, str | None]] = []
    errors: list[BaseException] = []

    def review(client: Any) -> None:
        try:
            barrier.wait(timeout=30)
            response = client.post(reviews_url(product), {"rating": 4}, format="json")
            answers.append((response.status_code, response.json().get("code")))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=review, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not [thread for thread in threads if thread.is_alive()], "a thread is stuck"
    assert errors == []
    assert sorted(answers, key=lambda a: a[0]) == [
        (201, None),
        (409, "conflict"),
        (409, "conflict"),
    ]
    assert Review.objects.filter(product=product, customer=customer).count() == 1
    assert stats(product)["product"] == {"rating": Decimal("4.00"), "review_count": 1}


def test_a_member_of_the_shop_cannot_review_its_products(client_for, staff, product, artisan):
    received(staff, product, artisan)
    before = stats(product)

    response = client_for(staff).post(reviews_url(product), {"rating": 5})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert rows() == []
    assert stats(product) == before


def test_an_order_deleted_by_an_administrator_gives_no_right_to_review(
    client_for, customer, product, artisan
):
    order = received(customer, product, artisan)
    Order.objects.filter(pk=order.pk).soft_delete()

    response = client_for(customer).post(reviews_url(product), {"rating": 4})

    assert response.status_code == 403
    assert rows() == []


# --- Deleting and restoring reviews -----------------------------------------------------------


def review_url(product: Product, review_id: int) -> str:
    return f"/api/products/{product.pk}/reviews/{review_id}/"


def test_the_author_deletes_a_review_softly_and_the_ratings_forget_it(
    client_for, api_client, customer, other_customer, product, artisan
):
    received(customer, product, artisan)
    received(other_customer, product, artisan)
    mine = client_for(customer).post(reviews_url(product), {"rating": 1}, format="json").json()
    client_for(other_customer).post(reviews_url(product), {"rating": 5}, format="json")

    response = client_for(customer).delete(review_url(product, mine["id"]))

    assert response.status_code == 204
    assert [r["rating"] for r in api_client.get(reviews_url(product)).json()["results"]] == [5]
    assert api_client.get(review_url(product, mine["id"])).status_code == 404
    assert api_stats(api_client, product) == {"product": ("5.00", 1), "shop": ("5.00", 1)}
    assert Review.all_objects.get(pk=mine["id"]).deleted_at is not None


def test_someone_else_cannot_delete_a_review(
    client_for, customer, other_customer, product, artisan
):
    received(customer, product, artisan)
    mine = client_for(customer).post(reviews_url(product), {"rating": 4}, format="json").json()
    before = (rows(), stats(product))

    response = client_for(other_customer).delete(review_url(product, mine["id"]))

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert (rows(), stats(product)) == before


def test_after_deleting_a_review_the_customer_may_review_again(
    client_for, api_client, customer, product, artisan
):
    received(customer, product, artisan)
    client = client_for(customer)
    first = client.post(reviews_url(product), {"rating": 1}, format="json").json()
    client.delete(review_url(product, first["id"]))

    response = client.post(reviews_url(product), {"rating": 4}, format="json")

    assert response.status_code == 201, response.content
    assert api_stats(api_client, product) == {"product": ("4.00", 1), "shop": ("4.00", 1)}


def test_an_admin_restores_a_review_and_the_ratings_count_it_again(
    client_for, api_client, admin_user, customer, other_customer, product, artisan
):
    received(customer, product, artisan)
    received(other_customer, product, artisan)
    mine = client_for(customer).post(reviews_url(product), {"rating": 1}, format="json").json()
    client_for(other_customer).post(reviews_url(product), {"rating": 5}, format="json")
    client_for(admin_user).delete(review_url(product, mine["id"]))

    response = client_for(admin_user).post(f"{review_url(product, mine['id'])}restore/")

    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["rating"]) == (mine["id"], 1)
    assert api_stats(api_client, product) == {"product": ("3.00", 2), "shop": ("3.00", 2)}


def test_restoring_a_review_after_its_author_wrote_another_is_409(
    client_for, api_client, admin_user, customer, product, artisan
):
    received(customer, product, artisan)
    client = client_for(customer)
    first = client.post(reviews_url(product), {"rating": 1}, format="json").json()
    client.delete(review_url(product, first["id"]))
    client.post(reviews_url(product), {"rating": 4}, format="json")
    before = (rows(), stats(product))

    response = client_for(admin_user).post(f"{review_url(product, first['id'])}restore/")

    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "conflict"
    assert (rows(), stats(product)) == before
    assert Review.all_objects.get(pk=first["id"]).deleted_at is not None
