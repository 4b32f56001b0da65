"""The shopper's catalog pages: home, search (with suggestions), near me, product, shop.

Every read goes through the catalog's and shops' selectors exactly as the API's views call
them, and every query string is checked by the API's own query serializers; a bad value shows
the serializer's message on the page and an empty result, never an error page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from souk.catalog.api.serializers.discovery import (
    GeoQuerySerializer,
    ProductQuerySerializer,
    SuggestQuerySerializer,
)
from souk.catalog.api.serializers.products import ProductSerializer
from souk.catalog.api.serializers.reviews import ReviewCreateSerializer, ReviewSerializer
from souk.catalog.api.views.discovery import SuggestThrottle
from souk.catalog.seed.vocabulary import CITIES
from souk.catalog.selectors.categories import category_rows
from souk.catalog.selectors.discovery import product_discover, product_suggest
from souk.catalog.selectors.products import ProductFilters, product_get
from souk.catalog.selectors.reviews import product_reviews
from souk.catalog.services import reviews as review_services
from souk.core.exceptions import Conflict, PermissionDeniedError, read_only_refusal
from souk.core.geo import Near, within
from souk.core.pagination import query_positive_int
from souk.core.views import home as api_home
from souk.orders.selectors import customer_received
from souk.shops import selectors as shop_selectors
from souk.shops.api.serializers import ShopSerializer
from souk.shops.geo import coordinate_safe

PAGE_SIZE = 20
MAX_OFFSET = 10_000
MAX_ID = 2**63 - 1
RADII = [5, 10, 25, 50, 100, 250]
# Orderings offered on the page (keys of the API's `ordering`).
SORTS = [
    ("", gettext_lazy("Best match")),
    ("price", gettext_lazy("Price: low to high")),
    ("-price", gettext_lazy("Price: high to low")),
    ("-created_at", gettext_lazy("Newest")),
    ("-rating", gettext_lazy("Top rated")),
    ("name", gettext_lazy("Name: A to Z")),
]


def _params(request: HttpRequest) -> dict[str, str]:
    """The query string without empty fields (a form's "any" choice sends an empty value)."""
    params = {}
    for key in request.GET:
        value = request.GET.get(key, "")
        if isinstance(value, str) and value.strip():
            params[key] = value
    return params


def _htmx_target(request: HttpRequest) -> str | None:
    """The id of the element an htmx request will swap (None for a plain request)."""
    details = getattr(request, "htmx", None)
    return details.target if details else None


# How the pages name the query fields in messages.
LABELS = {
    "q": gettext_lazy("Search"),
    "search": gettext_lazy("Search"),
    "category": gettext_lazy("Category"),
    "min_price": gettext_lazy("Minimum price"),
    "max_price": gettext_lazy("Maximum price"),
    "in_stock": gettext_lazy("In stock"),
    "ordering": gettext_lazy("Sort"),
    "lat": gettext_lazy("Latitude"),
    "lng": gettext_lazy("Longitude"),
    "radius": gettext_lazy("Distance"),
}


def _errors(serializer: Any) -> list[str]:
    """The serializer's messages, one line per field."""
    lines: list[str] = []
    for field, problems in serializer.errors.items():
        label = f"{LABELS[field]}: " if field in LABELS else ""
        lines.extend(f"{label}{problem}" for problem in problems)
    return lines


def _filters(params: dict[str, Any]) -> ProductFilters:
    return ProductFilters(
        category=params.get("category"),
        shop=params.get("shop"),
        min_price=params.get("min_price"),
        max_price=params.get("max_price"),
        in_stock=params.get("in_stock"),
    )


def _page(request: HttpRequest, results: Any) -> dict[str, Any]:
    """One page of a selector's results, serialized as the API shows products."""
    number = query_positive_int(request.GET.get("page")) or 1
    start = (number - 1) * PAGE_SIZE
    if start > MAX_OFFSET:
        return {"products": [], "number": number, "has_next": False, "too_deep": True}
    rows = list(results.slice(start, start + PAGE_SIZE + 1))
    products = ProductSerializer(rows[:PAGE_SIZE], many=True, context={"request": request}).data
    return {
        "products": products,
        "number": number,
        "has_next": len(rows) > PAGE_SIZE,
        "has_previous": number > 1,
        "first": start + 1,
        "last": start + len(products),
    }


def _page_link(request: HttpRequest, number: int) -> str:
    query = request.GET.copy()
    query["page"] = str(number)
    return f"?{query.urlencode()}"


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """Names matching what was typed so far, as the options of the search box's listbox.
    Throttled per client as the API's suggestions are; past the rate the list stays empty
    (the search itself still works)."""
    query = SuggestQuerySerializer(data=_params(request))
    allowed = SuggestThrottle().allow_request(request, None)  # type: ignore[arg-type]
    suggestions = product_suggest(query.validated_data["q"]) if allowed and query.is_valid() else []
    return render(
        request, "web/shop/catalog/_suggest.html", {"suggestions": suggestions, "query": query}
    )


@csrf_exempt  # it only reads; other methods get a 405, not a CSRF 403
def home(request: HttpRequest) -> HttpResponse:
    """`/`: the shopper's home page for browsers; the API's index (JSON) for other clients."""
    refused = read_only_refusal(request)
    if refused is not None:
        return refused
    if request.get_preferred_type(["application/json", "text/html"]) != "text/html":
        return api_home(request)
    near = request.session.get("near")
    if near:
        point = Near(lat=near["lat"], lng=near["lng"], radius_km=near["radius"])
        results = product_discover(filters=ProductFilters(), near=point)
    else:
        results = product_discover(filters=ProductFilters())
    rows = list(results.slice(0, 8))
    context = {
        "categories": [row for row in category_rows() if row["depth"] == 1],
        "products": ProductSerializer(rows, many=True, context={"request": request}).data,
        "near": near,
    }
    return render(request, "web/shop/catalog/home.html", context)


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Products by words, category, price and stock, in the chosen order, a page at a time."""
    query = ProductQuerySerializer(data=_params(request))
    context: dict[str, Any] = {
        "categories": category_rows(),
        "sorts": SORTS,
        "values": request.GET,
        "errors": [],
        "page": None,
    }
    if query.is_valid():
        params = query.validated_data
        results = product_discover(
            filters=_filters(params),
            search=params.get("search"),
            ordering=params.get("ordering"),
        )
        page = _page(request, results)
        if page["has_next"]:
            page["next_url"] = _page_link(request, page["number"] + 1)
        if page.get("has_previous"):
            page["previous_url"] = _page_link(request, page["number"] - 1)
        context["page"] = page
        context["searching"] = params.get("search")
        context["category"] = next(
            (row for row in context["categories"] if row["id"] == params.get("category")), None
        )
    else:
        context["errors"] = _errors(query)
    template = "web/shop/catalog/search.html"
    if _htmx_target(request) == "search-results":
        template = "web/shop/catalog/_results.html"
    return render(request, template, context, status=200)


def _near(request: HttpRequest) -> tuple[Near | None, str, list[str]]:
    """Where to search around: a city from the list, or the browser's coordinates."""
    params = _params(request)
    city = params.pop("city", "")
    if city:
        if city not in CITIES:
            return None, "", [_("Choose a city from the list.")]
        params["lat"], params["lng"] = (str(value) for value in CITIES[city])
    if "lat" not in params and "lng" not in params:
        return None, "", []
    query = GeoQuerySerializer(data=params)
    if not query.is_valid():
        return None, "", _errors(query)
    data = query.validated_data
    radius = data.get("radius", settings.GEOSEARCH_DEFAULT_RADIUS_KM)
    near = Near(
        lat=coordinate_safe(data["lat"]), lng=coordinate_safe(data["lng"]), radius_km=radius
    )
    return near, city or _("your location"), []


def _map_points(products: list[dict[str, Any]], shops: list[dict[str, Any]]) -> list[Any]:
    points = [
        {
            "kind": "shop",
            "name": shop["name"],
            "lat": shop["location"]["lat"],
            "lng": shop["location"]["lng"],
            "url": reverse("shop:shop", args=[shop["id"]]),
            "distance_km": shop["distance_km"],
        }
        for shop in shops
    ]
    points += [
        {
            "kind": "product",
            "name": product["name"],
            "lat": product["location"]["lat"],
            "lng": product["location"]["lng"],
            "url": reverse("shop:product", args=[product["id"]]),
            "distance_km": product["distance_km"],
        }
        for product in products
    ]
    return points


@require_GET
def near_me(request: HttpRequest) -> HttpResponse:
    """Shops and goods around a point, nearest first, on a map of country outlines."""
    near, place, errors = _near(request)
    context: dict[str, Any] = {
        "cities": sorted(CITIES),
        "radii": RADII,
        "values": request.GET,
        "errors": errors,
        "near": near,
        "place": place,
        "default_radius": settings.GEOSEARCH_DEFAULT_RADIUS_KM,
    }
    if near is not None:
        rows = list(product_discover(filters=ProductFilters(), near=near).slice(0, PAGE_SIZE))
        products = ProductSerializer(rows, many=True, context={"request": request}).data
        shop_rows = list(within(shop_selectors.shop_list(), near)[:PAGE_SIZE])
        shops = ShopSerializer(shop_rows, many=True, context={"request": request}).data
        context.update(
            products=products, shops=shops, points=_map_points(list(products), list(shops))
        )
        request.session["near"] = {
            "lat": near.lat,
            "lng": near.lng,
            "radius": near.radius_km,
            "label": str(place),
        }
    template = "web/shop/catalog/near.html"
    if _htmx_target(request) == "near-results":
        template = "web/shop/catalog/_near_results.html"
    return render(request, template, context)


def _product_or_404(pk: int) -> Any:
    product = product_get(product_id=pk) if pk <= MAX_ID else None
    if product is None:
        raise Http404(_("No such product."))
    return product


def _product_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    product = _product_or_404(pk)
    data = ProductSerializer(product, context={"request": request}).data
    reviews = list(product_reviews(product=product)[:20])
    user = request.user
    reviewed = False
    may_review = False
    if user.is_authenticated:
        reviewed = product_reviews(product=product).filter(customer_id=user.pk).exists()
        may_review = not reviewed and customer_received(user=user, product_id=pk)
    variants = data["variants"]
    chosen = next((v for v in variants if v["in_stock"]), variants[0] if variants else None)
    return {
        "product": data,
        "model": product,
        "chosen": chosen,
        "reviews": ReviewSerializer(reviews, many=True).data,
        "may_review": may_review,
        "reviewed": reviewed,
        "stars": range(1, 6),
        "low_stock": settings.LOW_STOCK_THRESHOLD,  # "only n left" from the same level
    }


@require_GET
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    context = _product_context(request, pk)
    context["form"] = {"rating": "", "title": "", "body": ""}
    return render(request, "web/shop/catalog/product.html", context)


@require_POST
def review_add(request: HttpRequest, pk: int) -> HttpResponse:
    """A customer's review; the review service decides who may write one."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("shop:product", args=[pk]))
    context = _product_context(request, pk)
    data = ReviewCreateSerializer(data=request.POST)
    if not data.is_valid():
        # The page again with the messages beside the fields (200, as Django's form views
        # answer: the browser shows it as a page, not as a failed load).
        context.update(form=request.POST, form_errors=data.errors)
        return render(request, "web/shop/catalog/product.html", context)
    try:
        review_services.review_create(
            customer=request.user,
            product=context["model"],
            **data.validated_data,
        )
    except (PermissionDeniedError, Conflict) as exc:
        messages.error(request, str(exc.detail))
        return redirect(reverse("shop:product", args=[pk]) + "#reviews")
    messages.success(request, _("Thank you! Your review is published."))
    return redirect(reverse("shop:product", args=[pk]) + "#reviews")


@require_GET
def shop_detail(request: HttpRequest, pk: int) -> HttpResponse:
    shop = shop_selectors.shop_get(shop_id=pk) if pk <= MAX_ID else None
    if shop is None:
        raise Http404(_("No such shop."))
    data = ShopSerializer(shop, context={"request": request}).data
    page = _page(request, product_discover(filters=ProductFilters(shop=pk)))
    if page["has_next"]:
        page["next_url"] = _page_link(request, page["number"] + 1)
    if page.get("has_previous"):
        page["previous_url"] = _page_link(request, page["number"] - 1)
    point = {
        "kind": "shop",
        "name": data["name"],
        "lat": data["location"]["lat"],
        "lng": data["location"]["lng"],
        "url": "",
        "distance_km": None,
    }
    context = {"shop": data, "page": page, "points": [point]}
    return render(request, "web/shop/catalog/shop.html", context)
