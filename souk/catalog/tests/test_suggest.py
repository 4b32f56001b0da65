"""GET /api/products/suggest/: typo-tolerant, prefix-completing name suggestions, one per
distinct name, best first, throttled per client address."""

from __future__ import annotations

import pytest
from django.conf import settings

from souk.catalog.models import Product, SearchTerm
from souk.catalog.services.vocabulary import names_rebuild, terms_rebuild
from souk.core.testing import assert_problem

SUGGEST = "/api/products/suggest/"
LIST = "/api/products/"
pytestmark = pytest.mark.django_db


def suggest(client, q, **extra):
    response = client.get(SUGGEST, {"q": q}, **extra)
    assert response.status_code == 200, response.content
    return response.json()


def names(client, q):
    return [row["name"] for row in suggest(client, q)]


@pytest.fixture
def make(product_factory, shop, category):
    """make(name, score=...) -> a product with that quality score."""

    def make(name, *, score=None, **kwargs):
        product = product_factory(shop=shop, category=category, name=name, **kwargs)
        if score is not None:
            Product.objects.filter(pk=product.pk).update(search_score=score)
            product.search_score = score
            names_rebuild()  # scores change through reviews, which refresh the names
        return product

    return make


@pytest.fixture
def catalog(make):
    made = {
        "vase": make("Ceramic Vase", score=4.0),
        "mug": make("Ceramic Mug", score=4.5),
        "bowl": make("Ceramic Serving Bowl", score=3.0),
        "scarf": make("Merino Wool Scarf", score=4.0),
        "hat": make("Woollen Hat", score=3.0),
        "blanket": make("Wool Blanket", score=3.5),
        "scale": make("Kitchen Scale", score=5.0),
    }
    terms_rebuild()
    return made


def test_typo_finds_the_intended_word(api_client, catalog):
    assert names(api_client, "ceramc") == ["Ceramic Mug", "Ceramic Vase", "Ceramic Serving Bowl"]


@pytest.mark.parametrize("typed", ["ceramic", "Ceramic", "CERAMIC", "ceramik", "ceramics", "ceram"])
def test_variants_of_a_word_find_it(api_client, catalog, typed):
    found = names(api_client, typed)

    assert found == ["Ceramic Mug", "Ceramic Vase", "Ceramic Serving Bowl"]


def test_last_word_is_completed_as_a_prefix(api_client, catalog):
    assert names(api_client, "wool sca") == ["Merino Wool Scarf"]
    assert names(api_client, "ceramic se") == ["Ceramic Serving Bowl"]
    assert names(api_client, "kitchen sc") == ["Kitchen Scale"]


def test_earlier_words_are_corrected_too(api_client, catalog):
    assert names(api_client, "ceramc va") == ["Ceramic Vase"]
    assert names(api_client, "merno wool") == ["Merino Wool Scarf"]


def test_results_are_id_and_name_of_the_product(api_client, catalog):
    rows = suggest(api_client, "ceramic mu")

    assert rows == [{"id": catalog["mug"].pk, "name": "Ceramic Mug"}]


def test_best_scored_first(api_client, catalog):
    Product.objects.filter(pk=catalog["bowl"].pk).update(search_score=4.9)
    names_rebuild()

    assert names(api_client, "ceramic") == ["Ceramic Serving Bowl", "Ceramic Mug", "Ceramic Vase"]


def test_at_most_ten(api_client, make):
    made = [make(f"Ceramic Bowl {chr(ord('A') + n)}{n}", score=n) for n in range(15)]
    terms_rebuild()

    rows = suggest(api_client, "ceramic bowl")

    assert [row["id"] for row in rows] == [p.pk for p in reversed(made)][:10]


def test_one_entry_per_distinct_name(api_client, make):
    make("Ceramic Mug", score=3.0)
    best = make("ceramic  MUG", score=4.0)
    make("Ceramic Mug", score=2.0)
    vase = make("Ceramic Vase", score=1.0)
    terms_rebuild()

    rows = suggest(api_client, "ceramic")

    assert rows == [
        {"id": best.pk, "name": "ceramic  MUG"},
        {"id": vase.pk, "name": "Ceramic Vase"},
    ]


def test_many_copies_of_one_name_do_not_hide_other_names(api_client, make):
    for _ in range(45):
        make("Ceramic Mug", score=5.0)
    vase = make("Ceramic Vase", score=1.0)
    terms_rebuild()

    rows = suggest(api_client, "ceramic")

    assert [row["name"] for row in rows] == ["Ceramic Mug", "Ceramic Vase"]
    assert rows[1]["id"] == vase.pk


@pytest.mark.parametrize("q", ["zzqxjv", "qwpzk flrb", "xx", "a b", "%%", "__", "''", "-- ;", "ÿÿ"])
def test_nonsense_is_an_empty_list(api_client, catalog, q):
    assert suggest(api_client, q) == []


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "a"}, {"q": " "}, {"q": " c "}])
def test_q_shorter_than_two_characters_is_400(api_client, catalog, params):
    body = assert_problem(api_client.get(SUGGEST, params), 400, "validation_error")

    assert "q" in body["errors"]


def test_soft_deleted_products_are_not_suggested(api_client, client_for, artisan, make):
    kept = make("Ceramic Vase")
    gone = make("Ceramic Teapot")
    hidden = make("Ceramic Jug")
    terms_rebuild()  # the vocabulary still holds "teapot" and "jug"

    assert client_for(artisan).delete(f"{LIST}{gone.pk}/").status_code == 204
    hidden.soft_delete()

    assert suggest(api_client, "ceramic") == [{"id": kept.pk, "name": "Ceramic Vase"}]
    assert suggest(api_client, "teapot") == []
    assert suggest(api_client, "jug") == []


def test_rebuild_drops_words_of_deleted_products(api_client, make):
    make("Ceramic Vase")
    make("Ceramic Teapot").soft_delete()

    terms_rebuild()

    assert set(SearchTerm.objects.values_list("term", flat=True)) == {"ceramic", "vase"}
    assert names(api_client, "teapo") == []


def test_products_created_through_the_api_are_suggested_at_once(
    api_client, client_for, artisan, shop, category
):
    created = client_for(artisan).post(
        LIST,
        {"shop": shop.pk, "category": category.pk, "name": "Raku Tea Bowl", "price": "30.00"},
        format="json",
    )
    assert created.status_code == 201

    assert suggest(api_client, "raku te") == [{"id": created.json()["id"], "name": "Raku Tea Bowl"}]
    assert suggest(api_client, "rak") == [{"id": created.json()["id"], "name": "Raku Tea Bowl"}]


def test_renamed_products_are_suggested_by_their_new_name(api_client, client_for, artisan, make):
    product = make("Ceramic Vase")
    terms_rebuild()

    response = client_for(artisan).patch(
        f"{LIST}{product.pk}/", {"name": "Porcelain Vase"}, format="json"
    )
    assert response.status_code == 200

    assert suggest(api_client, "porcelan") == [{"id": product.pk, "name": "Porcelain Vase"}]
    assert suggest(api_client, "ceramic") == []


# --- throttling --------------------------------------------------------------------------------


def suggest_rate():
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["suggest"]
    count, period = rate.split("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]
    return int(count), seconds


def test_more_than_the_rate_is_429_with_retry_after(api_client, catalog):
    allowed, period = suggest_rate()

    statuses = [api_client.get(SUGGEST, {"q": "ceramic"}).status_code for _ in range(allowed)]
    over = api_client.get(SUGGEST, {"q": "ceramic"})

    assert statuses == [200] * allowed
    assert_problem(over, 429, "throttled")
    assert 1 <= int(over["Retry-After"]) <= period


def test_rejected_requests_count_towards_the_rate(api_client, catalog):
    allowed, _ = suggest_rate()

    for _ in range(allowed):
        api_client.get(SUGGEST, {"q": "x"})

    assert_problem(api_client.get(SUGGEST, {"q": "ceramic"}), 429, "throttled")


def test_the_rate_is_per_client_address(api_client, catalog):
    allowed, _ = suggest_rate()
    for _ in range(allowed):
        api_client.get(SUGGEST, {"q": "ceramic"}, REMOTE_ADDR="10.0.0.1")

    throttled = api_client.get(SUGGEST, {"q": "ceramic"}, REMOTE_ADDR="10.0.0.1")
    other = api_client.get(SUGGEST, {"q": "ceramic"}, REMOTE_ADDR="10.0.0.2")

    assert throttled.status_code == 429
    assert other.status_code == 200


def test_signing_in_does_not_reset_the_rate(api_client, client_for, customer, catalog):
    allowed, _ = suggest_rate()
    for _ in range(allowed):
        api_client.get(SUGGEST, {"q": "ceramic"})

    assert_problem(client_for(customer).get(SUGGEST, {"q": "ceramic"}), 429, "throttled")
