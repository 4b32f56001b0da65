"""The negotiation's shortcut answers exactly what DRF's negotiation answers."""

import pytest
from django.http import Http404
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from souk.core.negotiation import ContentNegotiation
from souk.core.renderers import JSONRenderer


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"


RENDERER_SETS: dict[str, list[BaseRenderer]] = {
    "json": [JSONRenderer()],
    "json-browsable": [JSONRenderer(), BrowsableAPIRenderer()],
    "csv-first": [CSVRenderer(), JSONRenderer()],
}
ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "text/csv",
    "text/html",
    "application/json; indent=4",
    "application/*",
    "text/html,*/*;q=0.8",
    "",
    "image/png",
]
QUERIES = ["", "format=json", "format=csv", "page=2", "format=api"]


def _answer(
    negotiation: DefaultContentNegotiation, request: Request, renderers: list[BaseRenderer]
) -> object:
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers)
    except NotAcceptable:
        return "406"
    except Http404:  # ?format= that no renderer writes
        return "404"
    return (type(renderer).__name__, media_type)


def _request(accept: str | None, query: str) -> Request:
    path = "/api/products/" + (f"?{query}" if query else "")
    factory = APIRequestFactory()
    if accept is None:
        return Request(factory.get(path))
    return Request(factory.get(path, HTTP_ACCEPT=accept))


@settings(max_examples=300, deadline=None)
@given(
    accept=st.sampled_from(ACCEPTS),
    query=st.sampled_from(QUERIES),
    renderers=st.sampled_from(sorted(RENDERER_SETS)),
)
def test_same_renderer_and_media_type_as_drf(
    accept: str | None, query: str, renderers: str
) -> None:
    chosen = RENDERER_SETS[renderers]
    ours = _answer(ContentNegotiation(), _request(accept, query), chosen)
    drf = _answer(DefaultContentNegotiation(), _request(accept, query), chosen)
    assert ours == drf


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"], ids=["none", "any", "json"])
def test_common_requests_take_the_shortcut(
    accept: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("DRF's negotiation was asked")

    monkeypatch.setattr(DefaultContentNegotiation, "select_renderer", refuse)
    renderer, media_type = ContentNegotiation().select_renderer(
        _request(accept, ""), RENDERER_SETS["json-browsable"]
    )
    assert isinstance(renderer, JSONRenderer)
    assert media_type == "application/json"
