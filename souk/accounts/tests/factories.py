from __future__ import annotations

import factory

from souk.accounts.models import Address, User

PASSWORD = "Tr1cky-Pass-phrase"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = User.Role.CUSTOMER
    password = factory.django.Password(PASSWORD)


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    user = factory.SubFactory(UserFactory)
    label = "Home"
    recipient = factory.Faker("name")
    line1 = factory.Faker("street_address")
    city = factory.Faker("city")
    country = "US"
    is_default = False
