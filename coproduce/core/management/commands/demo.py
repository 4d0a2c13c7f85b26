"""`coproduce demo`: load the case-study community into an empty database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from coproduce.core.demo import DemoNotEmpty, demo_password, load_demo


class Command(BaseCommand):
    help = "Load the case-study community (fictional people) into an empty database."

    def handle(self, *args: Any, **options: Any) -> None:
        password = demo_password()
        try:
            load_demo(password=password)
        except DemoNotEmpty:
            self.stdout.write("The database is not empty; nothing was loaded.")
            return
        self.stdout.write(f"Loaded the case-study demo. Sign in as 'admin' with the password: {password}")
