"""Per-user auth state in the cache, so that authenticating a request reads no database row.

A JWT names its user; to authorize the request we need a few columns of that user
(`STATE_FIELDS`). They are kept in Redis under `auth:user:v2:<id>` for
`AUTH_STATE_CACHE_SECONDS`, and `auth_user_get` builds a real `User` from them with
`User.from_db`: those fields are loaded, every other one is deferred (read from the database
on first access, all of them in one query) and `save()` writes only the loaded fields.

Two kinds of writes reach the cache, and they use different operations:

- a *fill* (a request found no state, read the row and stores it) uses `cache.add`, which
  only stores when the key is absent;
- a *change* (any of the fields changed: password change or reset, role upgrade,
  deactivation, an admin edit, deletion) first deletes the key inside the transaction, then,
  after the transaction commits, reads the row afresh and stores it with `cache.set`, which
  always overwrites (a deleted user leaves a `GONE` marker).

Why that is race-free: a request that read the old row before the change committed can
store it only while the key is absent. Either it does so before the change's `set` (which
then overwrites it), or after it (and `add` refuses, the key being there). A fill can
therefore never put stale state back over a change. Two changes of one user committing
close together take a short Redis lock around "read the row, set the key", so the last
`set` is always made from a read that follows every commit (no older read lands last).
The delete inside the transaction makes the next request of the same connection (and the
test suite, whose transactions never commit) read the row instead of the old state.

A `QuerySet.update()` of any of these fields sends no signal: call `auth_state_changed`
next to it. `User.save()` and deletion are covered by the receivers below.

If Redis cannot be reached, reads fall back to the database (one query, a warning logged)
and changes are logged; a request never fails because of the cache. A change whose `set`
fails while Redis is down for a moment can leave old state behind for at most the TTL, which
is why the TTL is a setting.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import LockError, RedisError

from souk.accounts.models import User

logger = logging.getLogger(__name__)

# What authorizing a request reads from `request.user` (authentication, the policy modules,
# souk.core.permissions), and the buyer's name and email that a placed order shows. Other
# profile fields (phone, ...) are read by no common path; the profile endpoint loads them all
# in one query. When this list changes, bump the version in `auth_state_key`.
STATE_FIELDS: tuple[str, ...] = (
    "id",
    "token_generation",
    "is_active",
    "role",
    "is_staff",
    "is_superuser",
    "email",
    "first_name",
    "last_name",
)
GONE = "gone"  # the user was deleted
CACHE_ERRORS = (RedisError, ConnectionInterrupted)
LOCK_SECONDS = 5.0

# In the order of the model's concrete fields, as `User.from_db` wants the values.
_LOADED = tuple(f.attname for f in User._meta.concrete_fields if f.attname in STATE_FIELDS)


def auth_state_key(user_id: int) -> str:
    return f"auth:user:v2:{user_id}"


def _timeout() -> int:
    return int(settings.AUTH_STATE_CACHE_SECONDS)


def _db() -> str:
    # The primary: a lagging replica could hand back the state from before a change. (Not
    # the router's db_for_write, which would take this read for a write of the request.)
    return DEFAULT_DB_ALIAS


def _state_read(user_id: int) -> dict[str, Any] | None:
    """The user's state from the database, or None if there is no such user."""
    row = User.objects.using(_db()).filter(pk=user_id).values(*_LOADED).first()
    return dict(row) if row is not None else None


def user_from_state(state: dict[str, Any]) -> User:
    """A `User` with the state's fields loaded and every other field deferred."""
    user = User.from_db(_db(), _LOADED, [state[name] for name in _LOADED])
    user._defer_together = True
    return user


def auth_user_get(*, user_id: int) -> User | None:
    """The user a token names, built from the cached state (no query); on a miss one query,
    and the cache is filled. None if the user does not exist."""
    key = auth_state_key(user_id)
    try:
        cached = cache.get(key)
    except CACHE_ERRORS as exc:
        logger.warning("auth state cache unavailable, reading user %s: %s", user_id, exc)
        state = _state_read(user_id)
        return user_from_state(state) if state is not None else None
    if cached == GONE:
        return None
    if isinstance(cached, dict) and cached.keys() >= set(_LOADED):
        return user_from_state(cached)
    state = _state_read(user_id)
    if state is None:
        return None
    try:
        cache.add(key, state, _timeout())  # never over a change's set (module docstring)
    except CACHE_ERRORS as exc:
        logger.warning("auth state cache unavailable, not storing user %s: %s", user_id, exc)
    return user_from_state(state)


def _state_set(key: str, user_id: int) -> None:
    state = _state_read(user_id)
    cache.set(key, state if state is not None else GONE, _timeout())


def _state_store(user_id: int) -> None:
    """After commit: read the user afresh and overwrite the cached state."""
    key = auth_state_key(user_id)
    try:
        try:
            with cache.lock(  # type: ignore[attr-defined]  # django-redis API
                f"{key}:lock", timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS
            ):
                _state_set(key, user_id)
        except LockError:  # not acquired, or held too long: a fresh read and set still help
            logger.warning("auth state lock of user %s not held, setting without it", user_id)
            _state_set(key, user_id)
    except CACHE_ERRORS as exc:
        logger.warning("auth state cache unavailable, user %s not refreshed: %s", user_id, exc)


def auth_state_changed(*, user_ids: Iterable[int]) -> None:
    """Some of the users' `STATE_FIELDS` changed (or the users were deleted) in the current
    transaction: drop their cached state now and store it afresh once the transaction
    commits (at once outside one)."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    try:
        cache.delete_many([auth_state_key(user_id) for user_id in ids])
    except CACHE_ERRORS as exc:
        logger.warning("auth state cache unavailable, users %s not dropped: %s", ids, exc)
    for user_id in ids:
        transaction.on_commit(partial(_state_store, user_id), robust=True)


def user_saved(
    sender: type[User],
    instance: User,
    created: bool,
    update_fields: frozenset[str] | None,
    raw: bool = False,
    **kwargs: Any,
) -> None:
    """post_save of User (admin edits, deactivation, any save()): a new user has no state yet;
    a save of fields outside the state (last_login, profile) changes nothing."""
    if created or (update_fields is not None and not set(update_fields) & set(STATE_FIELDS)):
        return
    auth_state_changed(user_ids=[instance.pk])


def user_deleted(sender: type[User], instance: User, **kwargs: Any) -> None:
    """post_delete of User: the state becomes `GONE` once the deletion commits."""
    auth_state_changed(user_ids=[instance.pk])
