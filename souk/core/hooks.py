"""Extension points that let a flow cross apps without an upward import.

A lower app declares a `Hook` for a step it needs but does not own (an order cancelled while
paid must be refunded; orders do not know payments). The higher app that owns the step
registers its handler in its `AppConfig.ready`, so the apps stay a one-way chain and a reader
finds the handler named where the hook is declared. Not a signal: a hook has exactly one
handler, which is called in line, inside the caller's transaction, and fails loudly when
nothing registered it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

Handler = TypeVar("Handler", bound=Callable[..., object])


class Hook(Generic[Handler]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._handler: Handler | None = None

    def register(self, handler: Handler) -> Handler:
        """Install `handler` (once; registering the same one again changes nothing)."""
        if self._handler is not None and self._handler is not handler:
            raise ImproperlyConfigured(f"{self.name} already has a handler.")
        self._handler = handler
        return handler

    @property
    def handler(self) -> Handler:
        if self._handler is None:
            raise ImproperlyConfigured(f"Nothing handles {self.name}: is its app installed?")
        return self._handler
