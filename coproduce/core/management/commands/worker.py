"""`coproduce worker`: run background tasks (django-tasks-db) until stopped."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run queued background tasks (e-mails, renders) until stopped with Ctrl+C or SIGTERM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Process what is queued, then exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")

    def handle(self, *args: Any, batch: bool, interval: float, **options: Any) -> None:
        arguments = ["--interval", str(interval), "--no-reload"]
        if batch:
            arguments.append("--batch")
        call_command("db_worker", *arguments)
