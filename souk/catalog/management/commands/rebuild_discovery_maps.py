"""Recount the suggestion vocabulary, the distinct names and the density map now (beat does it
hourly); useful after bulk imports."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from souk.catalog.tasks import discovery_maps_rebuild_task


class Command(BaseCommand):
    help = "Rebuild the suggestion vocabulary and names and the product density map."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = discovery_maps_rebuild_task()
        self.stdout.write(
            f"{counts['terms']:,} words, {counts['names']:,} names, {counts['cells']:,} cells."
        )
