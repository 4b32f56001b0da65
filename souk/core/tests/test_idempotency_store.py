"""A stored response waits for the disk flush unless the request named what it created on the
record (which a retry resumes from if the stored response is lost)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from rest_framework.response import Response

from souk.core.idempotency import _claim, _store

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("named", "synchronous"), [(False, "on"), (True, "off")])
def test_the_store_is_flushed_unless_the_created_object_is_named(customer, named, synchronous):
    claim = _claim(user=customer, key=f"k-{named}", scope="POST Test", fingerprint="x")
    assert claim is not None
    claim.named = named
    seen: list[Any] = []

    def spy(execute: Any, sql: str, params: Any, *args: Any) -> Any:
        if sql.lstrip().startswith("UPDATE core_idempotencyrecord"):
            seen.append(params["synchronous"])
        return execute(sql, params, *args)

    with connection.execute_wrapper(spy):
        _store(claim, Response({"ok": True}, status=201))

    assert seen == [synchronous]
