"""`coproduce digest --daily|--weekly`: send one digest now (the worker sends them when due)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from coproduce.notifications.models import Frequency
from coproduce.notifications.services import digest_send


class Command(BaseCommand):
    help = "Send the daily or weekly digest now to everyone with unsent notifications of that frequency."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--daily", action="store_const", const=Frequency.DAILY, dest="frequency")
        which.add_argument("--weekly", action="store_const", const=Frequency.WEEKLY, dest="frequency")

    def handle(self, *args: Any, frequency: str, **options: Any) -> None:
        sent = digest_send(frequency=frequency, now=timezone.now())
        label = "daily" if frequency == Frequency.DAILY else "weekly"
        self.stdout.write(f"Sent the {label} digest to {sent} {'person' if sent == 1 else 'people'}.")
