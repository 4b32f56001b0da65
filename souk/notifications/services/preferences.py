"""Each user's channels per notification kind."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from souk.accounts.models import User
from souk.notifications.locks import preference_lock
from souk.notifications.models import DEFAULT_CHANNELS, ORDER_KINDS, Channel, Kind, Preference


def _clean(choices: object) -> dict[str, dict[str, bool]]:
    """The stored choices that are choices: known kinds and channels, true or false (a kind
    left with no choice is left out)."""
    if not isinstance(choices, dict):
        return {}
    kinds = {kind.value for kind in Kind}
    channels = {channel.value for channel in Channel}
    cleaned = {
        kind: {c: v for c, v in chosen.items() if c in channels and isinstance(v, bool)}
        for kind, chosen in choices.items()
        if kind in kinds and isinstance(chosen, dict)
    }
    return {kind: chosen for kind, chosen in cleaned.items() if chosen}


def _resolved(choices: dict[str, dict[str, bool]]) -> dict[str, dict[str, bool]]:
    every: dict[str, dict[str, bool]] = {}
    for kind in Kind:
        chosen = choices.get(kind.value) if isinstance(choices, dict) else None
        if not isinstance(chosen, dict):
            chosen = {}
        every[kind.value] = {
            channel.value: (
                chosen[channel.value]
                if isinstance(chosen.get(channel.value), bool)
                else DEFAULT_CHANNELS[channel]
            )
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
        choices = _clean(row.choices)
        for kind, channels in changes.items():
            choices[kind] = {**choices.get(kind, {}), **channels}
        row.choices = choices
        row.save(update_fields=["choices", "updated_at"])
    return _resolved(choices)
