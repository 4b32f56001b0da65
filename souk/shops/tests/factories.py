from __future__ import annotations

import factory
from django.contrib.gis.geos import Point

from souk.accounts.tests.factories import UserFactory
from souk.shops.models import Shop, ShopMember


class ShopFactory(factory.django.DjangoModelFactory):
    """A shop in central London, with its owner as an `owner` member."""

    class Meta:
        model = Shop
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory, role="artisan")
    name = factory.Sequence(lambda n: f"Workshop {n}")
    slug = factory.Sequence(lambda n: f"workshop-{n}")
    description = "Handmade goods."
    location = factory.LazyFunction(lambda: Point(-0.1278, 51.5074, srid=4326))
    address = "1 Market Street, London"

    @factory.post_generation
    def owner_membership(self, create, extracted, **kwargs):
        if create:
            ShopMember.objects.get_or_create(
                shop=self, user=self.owner, defaults={"role": ShopMember.Role.OWNER}
            )


def add_staff(shop: Shop, user) -> ShopMember:
    return ShopMember.objects.create(shop=shop, user=user, role=ShopMember.Role.STAFF)
