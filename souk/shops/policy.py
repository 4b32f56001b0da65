"""Who may restore what was deleted: platform administrators only.

A deleted object is invisible to everyone else (404, as if it never existed); a live one they
can see is a 403 for them.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from souk.core.exceptions import NotFound, PermissionDeniedError
from souk.core.permissions import is_platform_admin


class Deletable(Protocol):
    @property
    def is_deleted(self) -> bool: ...


_T = TypeVar("_T", bound=Deletable)


def restore_target(*, user: Any, obj: _T | None, name: str) -> _T:
    """`obj` (deleted or not) if `user` may restore it; else the error they should see."""
    admin = is_platform_admin(user)
    if obj is None or (obj.is_deleted and not admin):
        raise NotFound(f"No such {name}.")
    if not admin:
        raise PermissionDeniedError("Only platform administrators restore deleted objects.")
    return obj
