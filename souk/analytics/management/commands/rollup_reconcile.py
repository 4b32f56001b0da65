"""Check the analytics rollups against the orders now and correct any drift (beat checks the
last week every night). `--all` rebuilds them over the whole history: after a bulk import of
orders, or a restore."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from souk.analytics.services.rollup import rollup_reconcile


class Command(BaseCommand):
    help = "Recompute the shop x day and product x month rollups from the orders; fix any drift."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--days", type=int, default=7, help="days back to check (default 7)")
        group.add_argument("--all", action="store_true", help="check the whole history")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] < 0:
            raise CommandError("--days must be 0 or more.")
        result = rollup_reconcile(days=None if options["all"] else options["days"])
        self.stdout.write(
            f"Checked from {result.since}: corrected {result.corrected:,} shop-days and "
            f"{result.corrected_months:,} product-months."
        )
