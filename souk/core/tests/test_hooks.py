from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from souk.core.hooks import Hook


def _first(**kwargs: object) -> str:
    return "first"


def _second(**kwargs: object) -> str:
    return "second"


def test_a_hook_calls_the_handler_registered_for_it():
    hook = Hook("test.step")

    hook.register(_first)

    assert hook.handler() == "first"


def test_a_hook_nothing_registered_for_fails_loudly():
    hook = Hook("test.step")

    with pytest.raises(ImproperlyConfigured, match=r"^Nothing handles test\.step: "):
        hook.handler()


def test_registering_the_same_handler_again_changes_nothing():
    hook = Hook("test.step")
    hook.register(_first)

    hook.register(_first)

    assert hook.handler() == "first"


def test_a_hook_refuses_a_second_handler():
    hook = Hook("test.step")
    hook.register(_first)

    with pytest.raises(ImproperlyConfigured, match=r"^test\.step already has a handler\.$"):
        hook.register(_second)

    assert hook.handler() == "first"
