"""Shop reads."""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import F, QuerySet

from souk.accounts.models import User
from souk.shops.models import Shop, ShopMember
from souk.shops.policy import member_shop_ids


def shop_base() -> QuerySet[Shop]:
    return Shop.objects.select_related("owner").defer("search_vector")


def shop_get(*, shop_id: int) -> Shop | None:
    return shop_base().filter(pk=shop_id).first()


def shop_get_any(*, shop_id: int) -> Shop | None:
    """Open or closed (administrators restoring it)."""
    return (
        Shop.all_objects.select_related("owner").defer("search_vector").filter(pk=shop_id).first()
    )


def shop_list(
    *,
    search: str | None = None,
    owner: User | None = None,
    member: User | None = None,
) -> QuerySet[Shop]:
    shops = shop_base()
    if owner is not None:
        shops = shops.filter(owner=owner)
    if member is not None:
        shops = shops.filter(pk__in=member_shop_ids(member))
    if search:
        query = SearchQuery(search, search_type="websearch", config="english")
        shops = (
            shops.filter(search_vector=query)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "-id")
        )
    return shops


def shop_members(*, shop: Shop) -> QuerySet[ShopMember]:
    return ShopMember.objects.filter(shop=shop).select_related("user").order_by("role", "id")


def shop_member_latest(*, shop: Shop, user_id: int) -> ShopMember | None:
    """The user's live membership of the shop, else the one removed last (or None)."""
    return (
        ShopMember.all_objects.filter(shop=shop, user_id=user_id)
        .select_related("user")
        .order_by(F("deleted_at").desc(nulls_first=True), "-id")
        .first()
    )
