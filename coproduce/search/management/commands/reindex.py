"""`coproduce reindex`: rebuild the search index from the wiki pages."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from coproduce.search.index import reindex_all


class Command(BaseCommand):
    help = "Rebuild the full-text search index from every wiki page."

    def handle(self, *args: Any, **options: Any) -> None:
        total = reindex_all()
        self.stdout.write(f"Indexed {total} document{'s' if total != 1 else ''}.")
