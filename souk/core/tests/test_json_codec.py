"""The orjson renderer and parser give exactly what DRF's JSON renderer and parser give: the
same bytes for every response, the same data for every body, the same error for every body
that is refused."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import parsers as drf_parsers
from rest_framework import renderers as drf_renderers
from rest_framework.exceptions import ParseError, ValidationError

from souk.core.parsers import JSONParser, check_json_value
from souk.core.renderers import JSONRenderer

texts = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=20) | st.sampled_from(
    ["\u2028", "a\u2029b", "é", "日本", "\U0001f600", "\x00", '"\\/']
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | texts
    | st.decimals(allow_nan=False, allow_infinity=False, places=2, max_value=10**9)
    | st.datetimes(timezones=st.just(UTC))
    | st.datetimes()
    | st.dates()
    | st.times()
    | st.uuids()
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)


def drf_render(data: Any) -> bytes:
    return drf_renderers.JSONRenderer().render(data)


@settings(max_examples=300, deadline=None)
@given(data=values)
def test_every_response_renders_to_the_same_bytes_as_drf(data):
    assert JSONRenderer().render(data) == drf_render(data)


@pytest.mark.parametrize(
    "data",
    [
        {"lazy": gettext_lazy("Not found.")},
        {1: "int key", "nested": {2: [1, 2]}},
        {"big": 2**70},  # beyond orjson: DRF's renderer writes it
        {"at": datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=UTC)},
        {"day": date(2026, 11, 30), "time": time(9, 30)},
        {"money": Decimal("12.50"), "id": uuid.UUID(int=7)},
        {"set": {3}, "tuple": (1, "a")},
        [],
        {},
        "\u2028\u2029",
    ],
    ids=[
        "lazy",
        "int-keys",
        "big-int",
        "datetime",
        "date-time",
        "decimal-uuid",
        "set-tuple",
        "empty-list",
        "empty-dict",
        "separators",
    ],  # fmt: skip
)
def test_edge_values_render_like_drf(data):
    assert JSONRenderer().render(data) == drf_render(data)


def test_floats_render_to_the_same_numbers():
    data = {"values": [0.1, 1.5, -2.0, 1e16, 3.141592653589793, 1e-7]}
    assert json.loads(JSONRenderer().render(data)) == json.loads(drf_render(data))


def test_none_and_an_indent_request_are_drfs():
    assert JSONRenderer().render(None) == b""
    indented = JSONRenderer().render({"a": [1]}, "application/json; indent=2")
    assert indented == drf_renderers.JSONRenderer().render({"a": [1]}, "application/json; indent=2")


# --- parsing -----------------------------------------------------------------------------------


def ours(body: bytes, encoding: str = "utf-8") -> Any:
    return JSONParser().parse(io.BytesIO(body), "application/json", {"encoding": encoding})


def drfs(body: bytes, encoding: str = "utf-8") -> Any:
    return drf_parsers.JSONParser().parse(
        io.BytesIO(body), "application/json", {"encoding": encoding}
    )


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 10, max_value=2**80)
    | st.integers(min_value=-(2**80), max_value=-(2**63) + 10)
    | st.floats(allow_nan=False)
    | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(value=json_values)
def test_every_body_parses_to_the_same_data_as_drf(value):
    body = json.dumps(value).encode()
    try:
        expected = drfs(body)
    except Exception:  # noqa: BLE001 - the same refusal is checked below
        with pytest.raises(Exception):  # noqa: B017, PT011
            ours(body)
        return
    try:
        check_json_value(expected, max_depth=JSONParser.max_depth)
    except ValidationError:  # text PostgreSQL cannot store: refused on top of DRF's rules
        with pytest.raises(ValidationError):
            ours(body)
        return
    assert ours(body) == expected


@pytest.mark.parametrize(
    "body",
    [b"{", b'{"a": NaN}', b"[1,]", b"\xef\xbb\xbf{}", b'{"a": 1} x', b"", b'"\\ud800"'],
    ids=["unclosed", "nan", "trailing-comma", "bom", "trailing-text", "empty", "lone-surrogate"],
)
def test_a_refused_body_gets_drfs_error(body):
    ours_error, drf_error = refusal(ours, body), refusal(drfs, body)

    assert ours_error is not None
    if drf_error is not None:
        assert isinstance(ours_error, ParseError)
        assert str(ours_error.detail) == str(drf_error.detail)
    else:  # DRF parses it; ours refuses text PostgreSQL cannot store (a lone surrogate)
        assert isinstance(ours_error, ValidationError)


def refusal(parse: Any, body: bytes) -> Exception | None:
    try:
        parse(body)
    except (ParseError, ValidationError) as exc:
        return exc
    return None


def test_big_integers_and_other_encodings_parse_like_drf():
    assert ours(b'{"n": 123456789012345678901234567890}') == {"n": 123456789012345678901234567890}
    latin = '{"name": "café"}'.encode("latin-1")
    assert ours(latin, "latin-1") == drfs(latin, "latin-1") == {"name": "café"}
