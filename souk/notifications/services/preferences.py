"""Each user's channels per notification kind."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from souk.accounts.models import User
from souk.notifications.locks import preference_lock
from souk.notifications.models import DEFAULT_CHANNELS, ORDER_KINDS, Channel, Kind, Preference


def _resolved(choices: dict[str, dict[str, bool]]) -> dict[str, dict[str, bool]]:
    every: dict[str, dict[str, bool]] = {}
    for kind in Kind:
        chosen = choices.get(kind.value) or {}
        every[kind.value] = {
            channel.value: bool(chosen.get(channel.value, DEFAULT_CHANNELS[channel]))
            for channel in Channel
        }
        if kind in ORDER_KINDS:
            every[kind.value][Channel.IN_APP.value] = True
    return every


def preferences_get(*, user: User) -> dict[str, dict[str, bool]]:
    """Every kind with every channel, the user's choice or the default."""
    row = Preference.objects.filter(user=user).first()
    return _resolved(row.choices if row else {})


def preferences_set(*, user: User, changes: dict[str, Any]) -> dict[str, dict[str, bool]]:
    """Apply `changes` ({kind: {channel: bool}}, validated); the whole set afterwards."""
    with transaction.atomic():
        row = preference_lock(user=user)
        choices = dict(row.choices)
        for kind, channels in changes.items():
            choices[kind] = {**(choices.get(kind) or {}), **channels}
        row.choices = choices
        row.save(update_fields=["choices", "updated_at"])
    return _resolved(choices)
