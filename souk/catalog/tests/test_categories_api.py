"""The category tree: public reads (cached), administrator writes."""

from __future__ import annotations

import pytest

from souk.catalog.models import Category, Product
from souk.catalog.tests.factories import make_category
from souk.core.testing import assert_problem

LIST = "/api/categories/"

pytestmark = pytest.mark.django_db


def detail(pk):
    return f"{LIST}{pk}/"


def snapshot():
    categories = list(
        Category.objects.order_by("pk").values_list(
            "pk", "name", "slug", "path", "depth", "numchild", "deleted_at"
        )
    )
    products = list(
        Product.all_objects.order_by("pk").values_list("pk", "category_id", "category_text")
    )
    return categories, products


def node(category, *children):
    return {
        "id": category.pk,
        "name": category.name,
        "slug": category.slug,
        "children": list(children),
    }


def names(tree):
    """The tree as nested (name, [children]) pairs, easy to compare."""
    return [(item["name"], names(item["children"])) for item in tree]


@pytest.fixture
def tree(category):
    """Ceramics > (Bowls > Rice Bowls, Mugs); Textiles > Scarves; Jewellery."""
    mugs = make_category("Mugs", category)
    bowls = make_category("Bowls", category)
    rice = make_category("Rice Bowls", Category.objects.get(pk=bowls.pk))
    textiles = make_category("Textiles")
    scarves = make_category("Scarves", textiles)
    jewellery = make_category("Jewellery")
    return {
        name: Category.objects.get(pk=c.pk)
        for name, c in {
            "ceramics": category,
            "mugs": mugs,
            "bowls": bowls,
            "rice": rice,
            "textiles": textiles,
            "scarves": scarves,
            "jewellery": jewellery,
        }.items()
    }


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a write and its on-commit callbacks (cache invalidation), as a real request does."""

    def run(send):
        with django_capture_on_commit_callbacks(execute=True):
            return send()

    return run


# --- reads -----------------------------------------------------------------------------------


def test_tree_is_nested_and_sorted_by_name(api_client, tree):
    t = tree

    response = api_client.get(LIST)

    assert response.status_code == 200
    assert response.json() == [
        node(t["ceramics"], node(t["bowls"], node(t["rice"])), node(t["mugs"])),
        node(t["jewellery"]),
        node(t["textiles"], node(t["scarves"])),
    ]


@pytest.mark.parametrize("flag", ["true", "1", "True"])
def test_flat_list_has_parent_ids(api_client, tree, flag):
    t = tree

    response = api_client.get(LIST, {"flat": flag})

    assert response.status_code == 200
    assert response.json() == [
        {"id": t[key].pk, "name": t[key].name, "slug": t[key].slug, "parent": parent}
        for key, parent in [
            ("ceramics", None),
            ("bowls", t["ceramics"].pk),
            ("rice", t["bowls"].pk),
            ("mugs", t["ceramics"].pk),
            ("jewellery", None),
            ("textiles", None),
            ("scarves", t["textiles"].pk),
        ]
    ]


def test_empty_tree(api_client):
    assert api_client.get(LIST).json() == []
    assert api_client.get(LIST, {"flat": "true"}).json() == []


def test_category_detail(api_client, tree):
    response = api_client.get(detail(tree["rice"].pk))

    assert response.status_code == 200
    assert response.json() == {
        "id": tree["rice"].pk,
        "name": "Rice Bowls",
        "slug": tree["rice"].slug,
        "parent": tree["bowls"].pk,
    }


def test_missing_category_is_404(client_for, api_client, admin_user, category):
    before = snapshot()
    client = client_for(admin_user)

    assert_problem(api_client.get(detail(category.pk + 1000)), 404, "not_found")
    assert_problem(
        client.patch(detail(category.pk + 1000), {"name": "X"}, format="json"), 404, "not_found"
    )
    assert_problem(client.delete(detail(category.pk + 1000)), 404, "not_found")
    assert snapshot() == before


def test_product_filter_by_category_includes_descendants(api_client, tree, shop, product_factory):
    in_root = product_factory(shop=shop, category=tree["ceramics"], name="Plain Plate")
    in_child = product_factory(shop=shop, category=tree["mugs"], name="Tall Mug")
    in_grandchild = product_factory(shop=shop, category=tree["rice"], name="Rice Bowl")
    product_factory(shop=shop, category=tree["scarves"], name="Silk Scarf")

    response = api_client.get("/api/products/", {"category": tree["ceramics"].pk})
    below = api_client.get("/api/products/", {"category": tree["bowls"].pk})

    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {
        in_root.pk,
        in_child.pk,
        in_grandchild.pk,
    }
    assert response.json()["count"] == 3
    assert [row["id"] for row in below.json()["results"]] == [in_grandchild.pk]


# --- create ----------------------------------------------------------------------------------


def test_admin_creates_root_and_child(client_for, api_client, admin_user, committed):
    client = client_for(admin_user)
    assert api_client.get(LIST).json() == []  # cache the empty tree

    root = committed(lambda: client.post(LIST, {"name": " Woodwork "}, format="json"))
    child = committed(
        lambda: client.post(LIST, {"name": "Spoons", "parent": root.json()["id"]}, format="json")
    )

    assert (root.status_code, child.status_code) == (201, 201)
    woodwork = Category.objects.get(name="Woodwork")
    spoons = Category.objects.get(name="Spoons")
    assert root.json() == {
        "id": woodwork.pk,
        "name": "Woodwork",
        "slug": "woodwork",
        "parent": None,
    }
    assert child.json() == {
        "id": spoons.pk,
        "name": "Spoons",
        "slug": "spoons",
        "parent": woodwork.pk,
    }
    assert Category.objects.get_parent(spoons) == woodwork
    assert api_client.get(LIST).json() == [node(woodwork, node(spoons))]


def test_new_child_is_sorted_among_its_siblings(
    client_for, api_client, admin_user, tree, committed
):
    api_client.get(LIST)

    response = committed(
        lambda: client_for(admin_user).post(
            LIST, {"name": "Cups", "parent": tree["ceramics"].pk}, format="json"
        )
    )

    assert response.status_code == 201, response.content
    ceramics = api_client.get(LIST).json()[0]
    assert [c["name"] for c in ceramics["children"]] == ["Bowls", "Cups", "Mugs"]


def test_same_name_under_another_parent_gets_its_own_slug(client_for, admin_user, tree):
    response = client_for(admin_user).post(
        LIST, {"name": "Mugs", "parent": tree["textiles"].pk}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["slug"] != tree["mugs"].slug
    assert Category.objects.filter(name="Mugs").count() == 2
    assert len(set(Category.objects.values_list("slug", flat=True))) == Category.objects.count()


@pytest.mark.parametrize(
    ("body_of", "field"),
    [
        (lambda t: {"name": "Mugs", "parent": t["ceramics"].pk}, "name"),
        (lambda t: {"name": "  mugs ", "parent": t["ceramics"].pk}, "name"),
        (lambda t: {"name": "TEXTILES"}, "name"),
        (lambda t: {"name": ""}, "name"),
        (lambda t: {"name": "   "}, "name"),
        (lambda t: {"name": "x" * 101}, "name"),
        (lambda t: {}, "name"),
        (lambda t: {"name": "Lamps", "parent": 999_999}, "parent"),
        (lambda t: {"name": "Lamps", "parent": "ceramics"}, "parent"),
    ],
)
def test_invalid_create_is_400_and_nothing_is_created(client_for, admin_user, tree, body_of, field):
    before = snapshot()

    response = client_for(admin_user).post(LIST, body_of(tree), format="json")

    problem = assert_problem(response, 400, "validation_error")
    assert set(problem["errors"]) == {field}
    assert snapshot() == before


# --- update ----------------------------------------------------------------------------------


def test_admin_renames_and_the_tree_follows(client_for, api_client, admin_user, tree, committed):
    api_client.get(LIST)  # cache the tree

    response = committed(
        lambda: client_for(admin_user).patch(
            detail(tree["textiles"].pk), {"name": "Threads"}, format="json"
        )
    )

    assert response.status_code == 200, response.content
    assert response.json() == {
        "id": tree["textiles"].pk,
        "name": "Threads",
        "slug": tree["textiles"].slug,
        "parent": None,
    }
    assert Category.objects.get(pk=tree["textiles"].pk).name == "Threads"
    assert names(api_client.get(LIST).json()) == [
        ("Ceramics", [("Bowls", [("Rice Bowls", [])]), ("Mugs", [])]),
        ("Jewellery", []),
        ("Threads", [("Scarves", [])]),
    ]
    flat = {row["id"]: row["name"] for row in api_client.get(LIST, {"flat": "true"}).json()}
    assert flat[tree["textiles"].pk] == "Threads"


@pytest.mark.parametrize(
    ("key", "new_name", "expected"),
    [
        ("bowls", "Vases", [("Ceramics", ["Mugs", "Vases"]), ("Jewellery", []), ("Textiles", [])]),
        (
            "textiles",
            "Fabrics",
            [("Ceramics", ["Bowls", "Mugs"]), ("Fabrics", []), ("Jewellery", [])],
        ),
    ],
)
def test_rename_keeps_siblings_sorted_by_name(
    client_for, api_client, admin_user, tree, committed, key, new_name, expected
):
    response = committed(
        lambda: client_for(admin_user).patch(
            detail(tree[key].pk), {"name": new_name}, format="json"
        )
    )

    assert response.status_code == 200, response.content
    shown = [
        (root["name"], [child["name"] for child in root["children"] if child["name"] != "Scarves"])
        for root in api_client.get(LIST).json()
    ]
    assert shown == expected


def test_rename_updates_the_searchable_text_of_products(
    client_for, admin_user, tree, shop, product_factory, committed
):
    product = product_factory(shop=shop, category=tree["rice"], name="Deep Bowl")

    response = committed(
        lambda: client_for(admin_user).patch(
            detail(tree["bowls"].pk), {"name": "Basins"}, format="json"
        )
    )

    assert response.status_code == 200, response.content
    assert Product.objects.get(pk=product.pk).category_text == "Ceramics Basins Rice Bowls"


def test_admin_moves_a_category_with_its_subtree(
    client_for, api_client, admin_user, tree, committed
):
    api_client.get(LIST)

    response = committed(
        lambda: client_for(admin_user).patch(
            detail(tree["bowls"].pk), {"parent": tree["textiles"].pk}, format="json"
        )
    )

    assert response.status_code == 200, response.content
    assert response.json()["parent"] == tree["textiles"].pk
    assert names(api_client.get(LIST).json()) == [
        ("Ceramics", [("Mugs", [])]),
        ("Jewellery", []),
        ("Textiles", [("Bowls", [("Rice Bowls", [])]), ("Scarves", [])]),
    ]
    rice = Category.objects.get(pk=tree["rice"].pk)
    assert Category.objects.get_parent(rice).pk == tree["bowls"].pk


def test_move_and_rename_at_once(client_for, api_client, admin_user, tree, committed):
    response = committed(
        lambda: client_for(admin_user).patch(
            detail(tree["mugs"].pk),
            {"name": "Beakers", "parent": tree["jewellery"].pk},
            format="json",
        )
    )

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Beakers"
    assert response.json()["parent"] == tree["jewellery"].pk
    assert names(api_client.get(LIST).json())[1] == ("Jewellery", [("Beakers", [])])


def test_move_to_the_top_with_null_parent(client_for, api_client, admin_user, tree, committed):
    api_client.get(LIST)

    response = committed(
        lambda: client_for(admin_user).patch(
            detail(tree["bowls"].pk), {"parent": None}, format="json"
        )
    )

    assert response.status_code == 200, response.content
    assert response.json()["parent"] is None
    assert names(api_client.get(LIST).json()) == [
        ("Bowls", [("Rice Bowls", [])]),
        ("Ceramics", [("Mugs", [])]),
        ("Jewellery", []),
        ("Textiles", [("Scarves", [])]),
    ]


def test_move_updates_the_product_category_filter(
    client_for, api_client, admin_user, tree, shop, product_factory, committed
):
    product = product_factory(shop=shop, category=tree["rice"], name="Deep Bowl")
    assert api_client.get("/api/products/", {"category": tree["ceramics"].pk}).json()["count"] == 1

    committed(
        lambda: client_for(admin_user).patch(
            detail(tree["bowls"].pk), {"parent": tree["textiles"].pk}, format="json"
        )
    )

    in_ceramics = api_client.get("/api/products/", {"category": tree["ceramics"].pk}).json()
    in_textiles = api_client.get("/api/products/", {"category": tree["textiles"].pk}).json()
    assert in_ceramics["count"] == 0
    assert [row["id"] for row in in_textiles["results"]] == [product.pk]


@pytest.mark.parametrize("target", ["bowls", "rice"])
def test_move_under_itself_or_a_descendant_is_400(client_for, admin_user, tree, target):
    before = snapshot()

    response = client_for(admin_user).patch(
        detail(tree["bowls"].pk), {"name": "Dishes", "parent": tree[target].pk}, format="json"
    )

    problem = assert_problem(response, 400, "validation_error")
    assert set(problem["errors"]) == {"parent"}
    assert snapshot() == before


@pytest.mark.parametrize(
    ("key", "body_of"),
    [
        ("bowls", lambda t: {"name": "Mugs"}),
        ("bowls", lambda t: {"name": "mugs"}),
        ("bowls", lambda t: {"name": ""}),
        ("textiles", lambda t: {"name": "Ceramics"}),
        ("bowls", lambda t: {"parent": 999_999}),
        # a sibling with that name already waits at the destination
        ("mugs", lambda t: {"parent": t["textiles"].pk, "name": "Scarves"}),
    ],
)
def test_invalid_update_is_400_and_unchanged(client_for, admin_user, tree, key, body_of):
    before = snapshot()

    response = client_for(admin_user).patch(detail(tree[key].pk), body_of(tree), format="json")

    assert_problem(response, 400, "validation_error")
    assert snapshot() == before


def test_moving_next_to_a_same_named_category_is_400(client_for, admin_user, tree):
    make_category("Mugs", Category.objects.get(pk=tree["textiles"].pk))
    before = snapshot()

    response = client_for(admin_user).patch(
        detail(tree["mugs"].pk), {"parent": tree["textiles"].pk}, format="json"
    )

    problem = assert_problem(response, 400, "validation_error")
    assert set(problem["errors"]) == {"name"}
    assert snapshot() == before


# --- delete ----------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["ceramics", "bowls", "rice"])
def test_delete_with_products_in_it_or_below_is_409(
    client_for, api_client, admin_user, tree, shop, product_factory, committed, where
):
    product_factory(shop=shop, category=tree["rice"], name="Deep Bowl")
    cached = api_client.get(LIST).json()
    before = snapshot()

    response = committed(lambda: client_for(admin_user).delete(detail(tree[where].pk)))

    assert_problem(response, 409, "conflict")
    assert snapshot() == before
    assert api_client.get(LIST).json() == cached


def test_delete_with_only_a_deleted_product_is_still_409(
    client_for, admin_user, tree, shop, product_factory
):
    gone = product_factory(shop=shop, category=tree["mugs"], name="Old Mug")
    Product.objects.filter(pk=gone.pk).soft_delete()
    before = snapshot()

    response = client_for(admin_user).delete(detail(tree["mugs"].pk))

    assert_problem(response, 409, "conflict")
    assert snapshot() == before


def test_delete_removes_the_subtree(
    client_for, api_client, admin_user, tree, shop, product_factory, committed
):
    product_factory(shop=shop, category=tree["mugs"], name="Tall Mug")
    api_client.get(LIST)

    response = committed(lambda: client_for(admin_user).delete(detail(tree["bowls"].pk)))

    assert response.status_code == 204
    assert response.content == b""
    assert not Category.objects.alive().filter(pk__in=[tree["bowls"].pk, tree["rice"].pk]).exists()
    assert Category.objects.alive().count() == 5
    assert Category.objects.filter(deleted_at__isnull=False).count() == 2
    assert names(api_client.get(LIST).json()) == [
        ("Ceramics", [("Mugs", [])]),
        ("Jewellery", []),
        ("Textiles", [("Scarves", [])]),
    ]
    assert_problem(api_client.get(detail(tree["rice"].pk)), 404, "not_found")


def test_delete_a_root_with_children(client_for, api_client, admin_user, tree, committed):
    api_client.get(LIST, {"flat": "true"})

    response = committed(lambda: client_for(admin_user).delete(detail(tree["textiles"].pk)))

    assert response.status_code == 204
    flat = api_client.get(LIST, {"flat": "true"}).json()
    assert {row["name"] for row in flat} == {"Ceramics", "Bowls", "Rice Bowls", "Mugs", "Jewellery"}


# --- who may write ---------------------------------------------------------------------------


@pytest.mark.parametrize("user_fixture", ["customer", "artisan", "staff"])
def test_non_admins_cannot_write(request, client_for, tree, user_fixture):
    client = client_for(request.getfixturevalue(user_fixture))
    before = snapshot()

    responses = [
        client.post(LIST, {"name": "Lamps"}, format="json"),
        client.patch(detail(tree["mugs"].pk), {"name": "Cups"}, format="json"),
        client.patch(detail(tree["mugs"].pk), {"parent": None}, format="json"),
        client.delete(detail(tree["jewellery"].pk)),
    ]

    for response in responses:
        assert_problem(response, 403, "permission_denied")
    assert snapshot() == before


def test_anonymous_cannot_write(api_client, tree):
    before = snapshot()

    responses = [
        api_client.post(LIST, {"name": "Lamps"}, format="json"),
        api_client.patch(detail(tree["mugs"].pk), {"name": "Cups"}, format="json"),
        api_client.delete(detail(tree["jewellery"].pk)),
    ]

    for response in responses:
        assert_problem(response, 401, "not_authenticated")
    assert snapshot() == before
