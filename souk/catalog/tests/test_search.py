"""Full-text product search on /api/products/ (`search`, alias `q`) and /api/search/products/:
relevance in both ranking modes, websearch syntax, filters, explicit ordering, paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from souk.catalog.models import Product
from souk.catalog.tests.factories import make_category
from souk.core.testing import assert_problem

LIST = "/api/products/"
ALIAS = "/api/search/products/"
pytestmark = pytest.mark.django_db

BASE_TIME = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def set_fields(product, **fields):
    Product.all_objects.filter(pk=product.pk).update(**fields)
    product.refresh_from_db()
    return product


@pytest.fixture
def exact_mode(settings):
    """Rank every search exactly (the mode of a small catalog or a narrow query)."""
    settings.SEARCH_EXACT_RANK_LIMIT = 10**9
    return settings


@pytest.fixture
def broad_mode(settings):
    """Every search takes the broad path: name matches first, then the rest, by score."""
    settings.SEARCH_EXACT_RANK_LIMIT = 0
    return settings


@pytest.fixture
def plain():
    """A category whose name no test searches for."""
    return make_category("Goods")


@pytest.fixture
def make(product_factory, shop, plain):
    def make(name, *, description="", category=None, score=None, **kwargs):
        product = product_factory(
            shop=shop,
            category=category or plain,
            name=name,
            description=description,
            **kwargs,
        )
        if score is not None:
            product = set_fields(product, search_score=score)
        return product

    return make


# --- matching ----------------------------------------------------------------------------------


@pytest.mark.parametrize("param", ["search", "q"])
def test_search_and_its_alias_q_find_matching_names(api_client, make, param):
    mug = make("Stoneware Mug")
    make("Linen Towel")

    assert ids(api_client.get(LIST, {param: "stoneware"})) == [mug.pk]


def test_search_wins_over_q_when_both_are_given(api_client, make):
    mug = make("Stoneware Mug")
    towel = make("Linen Towel")

    assert ids(api_client.get(LIST, {"search": "mug", "q": "towel"})) == [mug.pk]
    assert ids(api_client.get(LIST, {"q": "towel"})) == [towel.pk]


def test_stemming_matches_other_forms(api_client, make):
    mug = make("Mug")
    glazed = make("Bowl", description="Glazed by hand.")
    make("Plate")

    assert ids(api_client.get(LIST, {"search": "mugs"})) == [mug.pk]
    assert ids(api_client.get(LIST, {"search": "glazing"})) == [glazed.pk]


def test_matching_ignores_case(api_client, make):
    mug = make("Stoneware MUG")

    assert ids(api_client.get(LIST, {"search": "sToNeWaRe mug"})) == [mug.pk]


def test_no_match_is_an_empty_exact_list(api_client, make):
    make("Stoneware Mug")

    response = api_client.get(LIST, {"search": "submarine"})

    assert response.status_code == 200
    assert response.json() == {
        "count": 0,
        "count_exact": True,
        "next": None,
        "previous": None,
        "results": [],
    }


@pytest.mark.parametrize("mode", ["exact_mode", "broad_mode"])
@pytest.mark.parametrize("text", ["the", "and the of", "!!!", '"', "-", "OR", "-the", "a & b | c"])
def test_stopwords_or_punctuation_only_is_empty_not_500(request, api_client, make, mode, text):
    request.getfixturevalue(mode)
    make("The Mug", description="A and the of OR")

    response = api_client.get(LIST, {"search": text})

    assert response.status_code == 200
    assert response.json()["results"] == []
    assert response.json()["count"] == 0


def test_category_and_attribute_values_are_searchable(api_client, make):
    pottery = make_category("Pottery")
    in_category = make("Bowl", category=pottery)
    with_attribute = make("Board", attributes={"material": "walnut"})
    make("Jug")

    assert ids(api_client.get(LIST, {"search": "pottery"})) == [in_category.pk]
    assert ids(api_client.get(LIST, {"search": "walnut"})) == [with_attribute.pk]


def test_ancestor_category_names_are_searchable(api_client, make):
    kitchen = make_category("Kitchen")
    knives = make_category("Knives", kitchen)
    knife = make("Chef Blade", category=knives)
    make("Towel")

    assert ids(api_client.get(LIST, {"search": "kitchen"})) == [knife.pk]


def test_attribute_names_are_not_searchable(api_client, make):
    make("Board", attributes={"material": "walnut"})

    assert ids(api_client.get(LIST, {"search": "material"})) == []


# --- websearch syntax --------------------------------------------------------------------------


@pytest.fixture
def glazes(make):
    return {
        "phrase": make("Blue Glaze Mug"),
        "apart": make("Blue Mug with Green Glaze"),
        "green": make("Green Glaze Vase"),
        "bowl": make("Walnut Bowl"),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"blue glaze"', {"phrase"}),
        ("blue glaze", {"phrase", "apart"}),
        ("glaze -blue", {"green"}),
        ("mug -green", {"phrase"}),
        ("vase OR bowl", {"green", "bowl"}),
        ('"green glaze" OR walnut', {"apart", "green", "bowl"}),
        ("glaze -mug", {"green"}),
    ],
)
def test_websearch_syntax(api_client, glazes, text, expected):
    found = ids(api_client.get(LIST, {"search": text}))

    assert sorted(found) == sorted(glazes[key].pk for key in expected)


@pytest.mark.parametrize("mode", ["exact_mode", "broad_mode"])
@pytest.mark.parametrize(
    "text",
    ["mug -blue", "-blue mug", "mug -(blue)", "mug(-blue)", "mug&-blue", "mug|-blue", '"mug"-blue'],
)
def test_exclusion_applies_to_every_field_in_both_modes(request, api_client, make, mode, text):
    request.getfixturevalue(mode)
    wanted = make("Plain Mug")
    make("Tall Mug", description="Blue glaze.")
    make("Cup Mug", category=make_category("Blue Range"))
    make("Tea Mug", attributes={"colour": "blue"})
    make("Blue Mug")

    assert ids(api_client.get(LIST, {"search": text})) == [wanted.pk]


@pytest.mark.parametrize("mode", ["exact_mode", "broad_mode"])
def test_phrase_and_or_in_both_modes(request, api_client, glazes, mode):
    request.getfixturevalue(mode)

    phrase = ids(api_client.get(LIST, {"search": '"blue glaze"'}))
    either = ids(api_client.get(LIST, {"search": "vase OR bowl"}))

    assert phrase == [glazes["phrase"].pk]
    assert sorted(either) == sorted([glazes["green"].pk, glazes["bowl"].pk])


# --- relevance, exact mode ---------------------------------------------------------------------


def test_few_matches_rank_name_above_description_by_default(api_client, make):
    described = make("Jug", description="Pairs well with a teapot.", score=5.0)
    named = make("Teapot", score=1.0)

    assert ids(api_client.get(LIST, {"search": "teapot"})) == [named.pk, described.pk]


def test_few_matches_are_ranked_exactly_by_default(api_client, make):
    # With the default limit a small result is ranked by weight, not by score: the
    # category match (B) comes before the better-scored description match (C).
    teaware = make_category("Teapots")
    described = make("Jug", description="Pairs well with a teapot.", score=5.0)
    categorised = make("Kettle", category=teaware, score=1.0)
    named = make("Teapot", score=0.5)

    found = ids(api_client.get(LIST, {"search": "teapot"}))

    assert found == [named.pk, categorised.pk, described.pk]


def test_exact_mode_ranks_name_then_category_and_attributes_then_description(
    api_client, make, exact_mode
):
    pottery = make_category("Pottery")
    # Higher quality scores go to the weaker matches: rank must win over score.
    described = make("Jug", description="Made in a pottery by the sea.", score=5.0)
    categorised = make("Bowl", category=pottery, score=4.0)
    attributed = make("Cup", attributes={"technique": "pottery"}, score=3.0)
    named = make("Pottery Sampler", score=1.0)
    make("Towel", score=5.0)

    found = ids(api_client.get(LIST, {"search": "pottery"}))

    assert found == [named.pk, categorised.pk, attributed.pk, described.pk]


def test_exact_mode_breaks_rank_ties_by_score_then_newest(api_client, make, exact_mode):
    low = make("Oak Mug", score=2.0)
    high = make("Ash Mug", score=4.0)
    older_tie = make("Elm Mug", score=3.0)
    newer_tie = make("Fir Mug", score=3.0)

    found = ids(api_client.get(LIST, {"search": "mug"}))

    assert found == [high.pk, newer_tie.pk, older_tie.pk, low.pk]


def test_exact_mode_ranks_more_matched_words_higher(api_client, make, exact_mode):
    one_word = make("Blue Jug", score=5.0)
    both_words = make("Blue Mug", score=1.0)
    red = make("Red Mug")

    found = ids(api_client.get(LIST, {"search": "blue OR mug"}))

    assert found == [both_words.pk, one_word.pk, red.pk]


# --- relevance, broad mode ---------------------------------------------------------------------


@pytest.fixture
def broad_catalog(make):
    """Products matching "linen" in the name and only elsewhere, with scores set so that a
    plain score order would interleave the two groups."""
    textiles = make_category("Linen Goods")
    named = [
        make("Linen Apron", score=4.0),
        make("Linen Napkin", score=2.0),
        make("Linen Towel", score=4.0),  # ties with the apron; newer, so first
        make("Washed Linen Shirt", score=1.0),
    ]
    elsewhere = [
        make("Quilt", description="Backed with linen.", score=5.0),
        make("Cushion", category=textiles, score=1.5),
        make("Tote", attributes={"fabric": "linen"}, score=5.0),  # ties with the quilt
        make("Runner", description="Linen blend.", score=3.0),
    ]
    make("Oak Stool", score=5.0)
    make("Clay Pot", description="Unglazed.", score=4.5)
    return {"named": named, "elsewhere": elsewhere}


def expected_broad_order(catalog):
    def by_score(products):
        return [p.pk for p in sorted(products, key=lambda p: (p.search_score, p.pk), reverse=True)]

    return by_score(catalog["named"]) + by_score(catalog["elsewhere"])


def test_broad_mode_puts_name_matches_first_then_the_rest_by_score(
    api_client, broad_catalog, broad_mode
):
    named, elsewhere = broad_catalog["named"], broad_catalog["elsewhere"]
    expected = [named[2].pk, named[0].pk, named[1].pk, named[3].pk]
    expected += [elsewhere[2].pk, elsewhere[0].pk, elsewhere[3].pk, elsewhere[1].pk]
    assert expected == expected_broad_order(broad_catalog)

    response = api_client.get(LIST, {"search": "linen", "page_size": 100})

    assert ids(response) == expected
    assert (response.json()["count"], response.json()["count_exact"]) == (8, True)


def test_broad_and_exact_modes_differ_only_where_documented(api_client, broad_catalog, settings):
    # Exact mode ranks the category and attribute matches (B) above the descriptions (C).
    settings.SEARCH_EXACT_RANK_LIMIT = 10**9
    exact = ids(api_client.get(LIST, {"search": "linen"}))
    settings.SEARCH_EXACT_RANK_LIMIT = 0
    broad = ids(api_client.get(LIST, {"search": "linen"}))

    elsewhere = broad_catalog["elsewhere"]
    assert broad[4:] == [elsewhere[2].pk, elsewhere[0].pk, elsewhere[3].pk, elsewhere[1].pk]
    assert exact[4:] == [elsewhere[2].pk, elsewhere[1].pk, elsewhere[0].pk, elsewhere[3].pk]
    assert sorted(exact[:4]) == sorted(broad[:4])


@pytest.mark.parametrize("page_size", [1, 2, 3, 4, 5, 7, 8, 9])
def test_broad_mode_pages_across_the_group_boundary_without_repeats_or_gaps(
    api_client, broad_catalog, broad_mode, page_size
):
    expected = expected_broad_order(broad_catalog)

    walked, page, last = [], 1, None
    while True:
        response = api_client.get(LIST, {"search": "linen", "page": page, "page_size": page_size})
        assert response.status_code == 200
        last = response.json()
        walked += [row["id"] for row in last["results"]]
        if last["next"] is None:
            break
        assert last["count_exact"] is False
        assert last["count"] >= page * page_size + 1
        page += 1

    assert walked == expected
    assert (last["count"], last["count_exact"]) == (8, True)
    beyond = api_client.get(LIST, {"search": "linen", "page": page + 1, "page_size": page_size})
    assert_problem(beyond, 404, "not_found")


@pytest.mark.parametrize("page_size", [2, 3])
def test_broad_mode_pages_when_only_other_fields_match(api_client, make, broad_mode, page_size):
    products = [make(f"Item {n}", description="Hand-dyed indigo.", score=n) for n in range(5)]

    walked = []
    for page in (1, 2, 3):
        walked += ids(
            api_client.get(LIST, {"search": "indigo", "page": page, "page_size": page_size})
        )
        if len(walked) == len(products):
            break

    assert walked == [p.pk for p in reversed(products)]


def test_broad_mode_with_only_name_matches(api_client, make, broad_mode):
    products = [make(f"Indigo Scarf {n}", score=5 - n) for n in range(3)]

    found = ids(api_client.get(LIST, {"search": "indigo", "page_size": 2}))
    rest = ids(api_client.get(LIST, {"search": "indigo", "page_size": 2, "page": 2}))

    assert found + rest == [p.pk for p in products]


# --- filters and explicit ordering -------------------------------------------------------------


@pytest.fixture
def mugs(make, product_factory, shop_factory, plain):
    other = shop_factory()
    made = {
        "cheap": make("Cheap Mug", price="8.00", score=1.0),
        "mid": make("Stoneware Mug", price="18.00", score=4.0),
        "dear": make("Porcelain Mug", price="40.00", score=3.0),
        "empty": make("Tall Mug", price="20.00", quantity=0, score=5.0),
        "elsewhere": product_factory(shop=other, category=plain, name="Travel Mug", price="15.00"),
        "towel": make("Linen Towel", price="12.00"),
    }
    for minutes, key in enumerate(["dear", "cheap", "empty", "elsewhere", "mid", "towel"]):
        made[key] = set_fields(made[key], created_at=BASE_TIME + timedelta(minutes=minutes))
    set_fields(made["cheap"], rating=Decimal("4.80"))
    set_fields(made["mid"], rating=Decimal("3.20"))
    return made


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"max_price": "20"}, {"cheap", "mid", "empty", "elsewhere"}),
        ({"min_price": "10", "max_price": "20"}, {"mid", "empty", "elsewhere"}),
        ({"in_stock": "true", "min_price": "10"}, {"mid", "dear", "elsewhere"}),
        ({"in_stock": "false"}, {"empty"}),
        ({"shop": "OTHER"}, {"elsewhere"}),
        ({"shop": "MINE", "in_stock": "true", "max_price": "30"}, {"cheap", "mid"}),
        ({"category": "PLAIN", "min_price": "41"}, set()),
    ],
)
def test_search_combines_with_filters(api_client, mugs, shop, plain, params, expected):
    names = {"OTHER": mugs["elsewhere"].shop_id, "MINE": shop.pk, "PLAIN": plain.pk}
    params = {key: names.get(value, value) for key, value in params.items()}

    found = ids(api_client.get(LIST, {"search": "mug", **params}))

    assert sorted(found) == sorted(mugs[key].pk for key in expected)


def test_search_without_ordering_is_by_relevance_then_score(api_client, mugs, exact_mode):
    found = ids(api_client.get(LIST, {"search": "mug"}))

    by_score = ["empty", "mid", "elsewhere", "dear", "cheap"]
    assert found == [mugs[key].pk for key in by_score]


@pytest.mark.parametrize("mode", ["exact_mode", "broad_mode"])
@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("price", ["cheap", "elsewhere", "mid", "empty", "dear"]),
        ("-price", ["dear", "empty", "mid", "elsewhere", "cheap"]),
        ("created_at", ["dear", "cheap", "empty", "elsewhere", "mid"]),
        ("-created_at", ["mid", "elsewhere", "empty", "cheap", "dear"]),
        ("name", ["cheap", "dear", "mid", "empty", "elsewhere"]),
        ("-rating", ["cheap", "mid", "elsewhere", "empty", "dear"]),
    ],
)
def test_explicit_ordering_replaces_relevance(request, api_client, mugs, mode, ordering, expected):
    request.getfixturevalue(mode)

    found = ids(api_client.get(LIST, {"search": "mug", "ordering": ordering}))

    assert found == [mugs[key].pk for key in expected]


def test_search_never_finds_soft_deleted_products(api_client, client_for, artisan, make):
    kept = make("Linen Apron")
    gone = make("Linen Towel")
    hidden = make("Linen Napkin")

    assert client_for(artisan).delete(f"{LIST}{gone.pk}/").status_code == 204
    hidden.soft_delete()

    assert ids(api_client.get(LIST, {"search": "linen"})) == [kept.pk]
    assert ids(api_client.get(ALIAS, {"q": "linen"})) == [kept.pk]


def test_search_over_200_characters_is_400(api_client, make):
    make("Mug")

    for param, url in (("search", LIST), ("q", LIST), ("q", ALIAS)):
        body = assert_problem(api_client.get(url, {param: "m" * 201}), 400, "validation_error")
        assert param in body["errors"]
    assert api_client.get(LIST, {"search": "mug " * 50}).status_code == 200  # 200 chars


@pytest.mark.parametrize(("param", "url"), [("search", LIST), ("q", LIST), ("q", ALIAS)])
def test_null_characters_are_400_not_500(api_client, make, param, url):
    make("Mug")

    body = assert_problem(api_client.get(url, {param: "mug\x00"}), 400, "validation_error")

    assert param in body["errors"]


@pytest.mark.parametrize("mode", ["exact_mode", "broad_mode"])
def test_search_in_an_unknown_category_is_empty(request, api_client, make, mode):
    request.getfixturevalue(mode)
    make("Mug")

    response = api_client.get(LIST, {"search": "mug", "category": 999_999})

    assert response.status_code == 200
    assert (response.json()["count"], response.json()["results"]) == (0, [])


def test_search_query_count_does_not_grow_with_the_page(api_client, make, broad_mode):
    def queries():
        api_client.get(
            LIST, {"search": "linen", "page_size": 50}
        )  # warm: word estimates are cached after the first request
        with CaptureQueriesContext(connection) as captured:
            response = api_client.get(LIST, {"search": "linen", "page_size": 50})
        assert response.status_code == 200
        return len(captured), len(response.json()["results"])

    for n in range(3):
        make(f"Linen Cloth {n}" if n % 2 else "Apron", description="Linen.")
    small = queries()
    for n in range(27):
        make(f"Linen Cloth {n}" if n % 2 else "Apron", description="Linen.")
    large = queries()

    assert (small[1], large[1]) == (3, 30)
    assert small[0] == large[0]


# --- /api/search/products/ ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ({"q": "mug"}, {"search": "mug"}),
        (
            {"q": "mug", "min_price": "10", "max_price": "20"},
            {"search": "mug", "min_price": "10", "max_price": "20"},
        ),
        ({"store_id": "MINE"}, {"shop": "MINE"}),
        ({"q": "mug", "store_id": "OTHER"}, {"search": "mug", "shop": "OTHER"}),
        ({"category": "PLAIN", "q": "towel"}, {"category": "PLAIN", "search": "towel"}),
        ({"in_stock": "false"}, {"in_stock": "false"}),
        ({"in_stock": "true", "q": "mug"}, {"in_stock": "true", "search": "mug"}),
        ({"sort": "-price"}, {"ordering": "-price"}),
        ({"q": "mug", "sort": "name"}, {"search": "mug", "ordering": "name"}),
        ({"max_price": "15", "sort": "price"}, {"max_price": "15", "ordering": "price"}),
        (
            {
                "q": "mug",
                "store_id": "MINE",
                "category": "PLAIN",
                "in_stock": "true",
                "min_price": "5",
                "max_price": "30",
                "sort": "-rating",
            },
            {
                "search": "mug",
                "shop": "MINE",
                "category": "PLAIN",
                "in_stock": "true",
                "min_price": "5",
                "max_price": "30",
                "ordering": "-rating",
            },
        ),
        ({}, {}),
    ],
)
def test_search_alias_matches_the_product_list(api_client, mugs, shop, plain, alias, canonical):
    names = {"OTHER": mugs["elsewhere"].shop_id, "MINE": shop.pk, "PLAIN": plain.pk}

    def resolve(params):
        return {key: names.get(value, value) for key, value in params.items()}

    via_alias = api_client.get(ALIAS, resolve(alias))
    via_list = api_client.get(LIST, resolve(canonical))

    assert via_alias.status_code == via_list.status_code == 200
    a, b = via_alias.json(), via_list.json()
    assert a["results"] == b["results"]
    assert (a["count"], a["count_exact"]) == (b["count"], b["count_exact"])
    assert a["results"]


def test_search_alias_pages_like_the_product_list(api_client, mugs):
    for page in (1, 2, 3):
        via_alias = api_client.get(ALIAS, {"sort": "price", "page": page, "page_size": 2})
        via_list = api_client.get(LIST, {"ordering": "price", "page": page, "page_size": 2})
        assert via_alias.json()["results"] == via_list.json()["results"]
        assert (via_alias.json()["next"] is None) == (via_list.json()["next"] is None)
    assert api_client.get(ALIAS, {"page": 4, "page_size": 2}).status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "relevance"}, "sort"),
        ({"sort": "price_min"}, "sort"),
        ({"min_price": "abc"}, "min_price"),
        ({"store_id": "x"}, "store_id"),
        ({"category": "x"}, "category"),
        ({"in_stock": "maybe"}, "in_stock"),
    ],
)
def test_search_alias_rejects_bad_parameters(api_client, mugs, params, field):
    body = assert_problem(api_client.get(ALIAS, params), 400, "validation_error")

    assert field in body["errors"]


def test_search_alias_rejects_min_price_above_max_price_like_the_list(api_client, mugs):
    params = {"min_price": "30", "max_price": "10"}
    assert_problem(api_client.get(LIST, params), 400, "validation_error")

    body = assert_problem(api_client.get(ALIAS, params), 400, "validation_error")

    assert "max_price" in body["errors"]
