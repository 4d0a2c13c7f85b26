"""`coproduce apply_retention [--dry-run]`: delete what each space's retention setting says to.

Closed discussions older than the space's `keep_closed_discussions_days` and briefing-paper
drafts that were never published and are untouched for `keep_drafts_days`. Prints one line per
space with a setting; the worker runs the same service with its periodic jobs. Idempotent.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from coproduce.governance.rights import retention_apply


class Command(BaseCommand):
    help = "Delete closed discussions and unpublished drafts older than each space's retention setting."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        results = retention_apply(now=timezone.now(), dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        for r in results:
            self.stdout.write(
                f"{r.space}: {verb} {r.discussions} closed discussion(s) with {r.comments} comment(s), "
                f"{r.drafts} draft(s)"
            )
        if not results:
            self.stdout.write("No space has a retention setting.")
