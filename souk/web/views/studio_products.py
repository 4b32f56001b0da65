"""The studio's product pages: the list, the editor (product fields and variant rows) and its
photos, over the catalog services the API uses (its serializers validate the input)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from souk.catalog.api.serializers.products import (
    ImageUploadSerializer,
    ProductCreateSerializer,
    ProductUpdateSerializer,
    VariantInputSerializer,
    VariantUpdateSerializer,
)
from souk.catalog.models import Product, ProductImage, Variant
from souk.catalog.selectors.categories import category_rows
from souk.catalog.selectors.products import product_base
from souk.catalog.services import images as image_services
from souk.catalog.services import products as product_services
from souk.core.exceptions import DomainError
from souk.shops.models import Shop
from souk.web.studio import studio_view
from souk.web.views.studio_forms import (
    errors_of,
    format_attributes,
    parse_attributes,
    per_item,
)


class Refused(Exception):
    """Input refused: carries the form errors and rolls the editor's transaction back."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__("refused")
        self.errors = errors


def _shop(request: HttpRequest) -> Shop:
    shop: Shop = request.studio_shop  # type: ignore[attr-defined]
    return shop


def _product(request: HttpRequest, pk: int) -> Product:
    product = product_base().filter(pk=pk, shop=_shop(request)).first()
    if product is None:
        raise Http404(_("No such product in this shop."))
    return product


@studio_view
def products(request: HttpRequest) -> HttpResponse:
    found = product_base().filter(shop=_shop(request)).order_by("name", "id")
    return render(request, "web/studio/catalog/products.html", {"products": list(found)})


def _form_from_post(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    shown = post.getlist("v-shown")
    rows = [
        {
            "id": vid,
            "sku": sku,
            "price": price,
            "quantity": quantity,
            "attributes": attrs,
            "shown": shown[index] if index < len(shown) else "",
        }
        for index, (vid, sku, price, quantity, attrs) in enumerate(
            zip(
                post.getlist("v-id"),
                post.getlist("v-sku"),
                post.getlist("v-price"),
                post.getlist("v-quantity"),
                post.getlist("v-attributes"),
                strict=False,
            )
        )
    ]
    return {
        "name": post.get("name", ""),
        "category": post.get("category", ""),
        "description": post.get("description", ""),
        "attributes": post.get("attributes", ""),
        "variants": rows,
    }


def _form_from_product(product: Product) -> dict[str, Any]:
    return {
        "name": product.name,
        "category": str(product.category_id),
        "description": product.description,
        "attributes": format_attributes(product.attributes),
        "variants": [
            {
                "id": str(v.pk),
                "sku": v.sku,
                "price": str(v.price),
                "quantity": str(v.quantity),
                "shown": str(v.quantity),
                "attributes": format_attributes(v.attributes, "; "),
            }
            for v in product.variants.all()
        ],
    }


def _variant_data(row: dict[str, Any]) -> dict[str, Any]:
    data = {key: row[key] for key in ("sku", "price", "quantity") if row.get(key, "") != ""}
    data["attributes"] = parse_attributes(row.get("attributes", ""))
    return data


def _row_errors(errors: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """Per-row errors of the variants, whatever shape the serializer gave them."""
    return per_item(errors.get("variants"), count) or [{} for _ in range(count)]


def _editor(
    request: HttpRequest,
    *,
    form: dict[str, Any],
    errors: dict[str, Any],
    product: Product | None = None,
    status: int = 200,
) -> HttpResponse:
    rows = form["variants"] or [{"id": "", "sku": "", "price": "", "quantity": "0"}]
    row_errors = _row_errors(errors, len(rows))
    variants = [{**row, "errors": e} for row, e in zip(rows, row_errors, strict=True)]
    if errors.get("variants") and not any(row_errors):
        errors = {**errors, "variants_all": errors["variants"]}
    return render(
        request,
        "web/studio/catalog/product_form.html",
        {
            "product": product,
            "form": form,
            "variants": variants,
            "errors": errors,
            "categories": category_rows(),
            "images": list(product.images.all()) if product else [],
        },
        status=status,
    )


def _create(request: HttpRequest, form: dict[str, Any]) -> Product:
    data = ProductCreateSerializer(
        data={
            "shop": _shop(request).pk,
            "category": form["category"],
            "name": form["name"],
            "description": form["description"],
            "attributes": parse_attributes(form["attributes"]),
            "variants": [_variant_data(row) for row in form["variants"]],
        }
    )
    if not data.is_valid():
        raise Refused(errors_of(data.errors))
    try:
        return product_services.product_create(
            actor=request.user,  # type: ignore[arg-type]
            data=data.validated_data,
        )
    except (ValidationError, DomainError) as exc:
        raise Refused(errors_of(exc)) from exc


@studio_view
def product_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        blank = {"name": "", "category": "", "description": "", "attributes": "", "variants": []}
        return _editor(request, form=blank, errors={})
    form = _form_from_post(request)
    try:
        with transaction.atomic():
            product = _create(request, form)
    except Refused as refused:
        return _editor(request, form=form, errors=refused.errors, status=400)
    messages.success(request, _("Product created. Add photos below."))
    return redirect("studio:product-edit", pk=product.pk)


def _stock_as_change(data: dict[str, Any], row: dict[str, Any], variant: Variant) -> None:
    """The stock field shows the stock when the editor was opened; sales may have moved it
    since. An untouched field changes nothing, and an edited one moves today's stock by the
    difference typed, instead of writing back the number the page showed."""
    typed, shown = str(row.get("quantity", "")), str(row.get("shown", ""))
    if not (typed.isdigit() and shown.isdigit()):
        return
    if typed == shown:
        data.pop("quantity", None)
    else:
        data["quantity"] = str(variant.quantity + int(typed) - int(shown))


def _update(request: HttpRequest, product: Product, form: dict[str, Any]) -> None:
    """Apply the editor's form: product fields, then each variant row (changed, added,
    removed). Raises Refused with every error found; the caller's transaction rolls back."""
    actor = request.user
    main = ProductUpdateSerializer(
        data={
            "category": form["category"],
            "name": form["name"],
            "description": form["description"],
            "attributes": parse_attributes(form["attributes"]),
        },
        partial=True,
    )
    errors: dict[str, Any] = {} if main.is_valid() else errors_of(main.errors)
    existing = {str(v.pk): v for v in product.variants.all()}
    checked: list[tuple[Variant | None, Any]] = []
    row_errors: list[dict[str, Any]] = []
    for row in form["variants"]:
        variant = existing.get(row.get("id") or "")
        data = _variant_data(row)
        if variant is not None:
            _stock_as_change(data, row, variant)
        serializer = (
            VariantUpdateSerializer(data=data, partial=True)
            if variant
            else VariantInputSerializer(data=data)
        )
        row_errors.append({} if serializer.is_valid() else errors_of(serializer.errors))
        checked.append((variant, serializer))
    if not form["variants"]:
        errors["variants"] = [_("Keep at least one variant.")]
    elif any(row_errors):
        errors["variants"] = row_errors
    if errors:
        raise Refused(errors)
    try:
        product_services.product_update(
            actor=actor,  # type: ignore[arg-type]
            product=product,
            data=main.validated_data,
        )
        kept = {variant.pk for variant, _s in checked if variant}
        for variant in existing.values():
            if variant.pk not in kept:
                product_services.variant_delete(actor=actor, product=product, variant=variant)  # type: ignore[arg-type]
        for variant, serializer in checked:
            data = dict(serializer.validated_data)
            if variant is None:
                product_services.variant_create(actor=actor, product=product, data=data)  # type: ignore[arg-type]
                continue
            if "quantity" in data and data["quantity"] == variant.quantity:
                data.pop("quantity")
            product_services.variant_update(
                actor=actor,  # type: ignore[arg-type]
                product=product,
                variant=variant,
                data=data,
            )
    except (ValidationError, DomainError) as exc:
        raise Refused(errors_of(exc)) from exc


@studio_view
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product(request, pk)
    if request.method != "POST":
        return _editor(request, form=_form_from_product(product), errors={}, product=product)
    form = _form_from_post(request)
    try:
        with transaction.atomic():
            _update(request, product, form)
    except Refused as refused:
        return _editor(request, form=form, errors=refused.errors, product=product, status=400)
    messages.success(request, _("Product saved."))
    return redirect("studio:product-edit", pk=product.pk)


@studio_view
@require_POST
def product_delete(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product(request, pk)
    product_services.product_delete(actor=request.user, product=product)  # type: ignore[arg-type]
    messages.success(
        request, _("“%(name)s” was deleted; past orders keep it.") % {"name": product.name}
    )
    return redirect("studio:products")


def _gallery(
    request: HttpRequest, product: Product, *, error: str = "", notice: str = ""
) -> HttpResponse:
    images = list(ProductImage.objects.filter(product=product).order_by("position", "id"))
    context = {"product": product, "images": images, "image_error": error, "notice": notice}
    if getattr(request, "htmx", False):
        # the fragment shows its own error (role=alert); htmx swaps only successful answers
        return render(request, "web/studio/catalog/_gallery.html", context)
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect("studio:product-edit", pk=product.pk)


@studio_view
@require_POST
def product_images(request: HttpRequest, pk: int) -> HttpResponse:
    product = _product(request, pk)
    actor = request.user
    if request.POST.get("delete"):
        wanted = request.POST["delete"]
        image = (
            ProductImage.objects.filter(product=product, pk=int(wanted)).first()
            if wanted.isdigit() and len(wanted) < 19
            else None
        )
        if image is None:
            return _gallery(request, product, error=_("No such photo."))
        image_services.image_delete(actor=actor, image=image)  # type: ignore[arg-type]
        return _gallery(request, product, notice=_("Photo removed."))
    data = ImageUploadSerializer(
        data={"image": request.FILES.get("image"), "alt": request.POST.get("alt", "")}
    )
    if not data.is_valid():
        message = " ".join(str(m) for value in data.errors.values() for m in value)
        return _gallery(request, product, error=message)
    try:
        image_services.image_add(
            actor=actor,  # type: ignore[arg-type]
            product=product,
            upload=data.validated_data["image"],
            alt=data.validated_data["alt"],
        )
    except (ValidationError, DomainError) as exc:
        message = " ".join(str(m) for value in errors_of(exc).values() for m in value)
        return _gallery(request, product, error=message)
    return _gallery(request, product, notice=_("Photo added."))
