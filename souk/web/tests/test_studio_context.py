"""The studio's shop of the session (souk.web.studio) and the favicon every page names."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import RequestFactory

from souk.web.studio import SESSION_KEY, studio_shop

pytestmark = pytest.mark.django_db


def request_for(user, **query):
    request = RequestFactory().get("/studio/", query)
    request.user = user
    request.session = {}
    return request


def test_a_member_acts_for_their_first_shop_then_the_one_they_choose(artisan, shop_factory):
    first = shop_factory(owner=artisan, name="A shop")
    second = shop_factory(owner=artisan, name="B shop")
    request = request_for(artisan)

    assert studio_shop(request) == first
    request.GET = request_for(artisan, shop=str(second.pk)).GET
    assert studio_shop(request) == second
    request.GET = request_for(artisan).GET
    assert studio_shop(request) == second  # kept in the session
    assert request.session[SESSION_KEY] == second.pk


def test_a_shop_of_someone_else_is_never_chosen(artisan, user_factory, shop_factory):
    mine = shop_factory(owner=artisan)
    theirs = shop_factory(owner=user_factory(role="artisan"))

    assert studio_shop(request_for(artisan, shop=str(theirs.pk))) == mine


def test_someone_without_a_shop_gets_a_404(customer):
    with pytest.raises(Http404):
        studio_shop(request_for(customer))


def test_the_favicon_redirects_to_the_static_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("web/favicon.svg")


def post_for(user, **data):
    request = RequestFactory().post("/studio/shop/", data)
    request.user = user
    request.session = {}
    return request


def test_a_change_is_for_the_shop_its_page_showed(artisan, shop_factory):
    shown = shop_factory(owner=artisan, name="A shop")
    switched = shop_factory(owner=artisan, name="B shop")
    request = post_for(artisan, studio_shop=str(shown.pk))
    request.session[SESSION_KEY] = switched.pk  # another tab switched meanwhile

    assert studio_shop(request) == shown


def test_a_change_posted_for_someone_elses_shop_is_refused(artisan, user_factory, shop_factory):
    shop_factory(owner=artisan)
    theirs = shop_factory(owner=user_factory(role="artisan"))

    with pytest.raises(Http404):
        studio_shop(post_for(artisan, studio_shop=str(theirs.pk)))
