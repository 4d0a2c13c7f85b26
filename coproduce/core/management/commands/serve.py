"""`coproduce serve`: migrate, optionally load the demo, and serve the site over ASGI."""

from __future__ import annotations

import os
import time
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from coproduce.core.demo import DemoNotEmpty, demo_password, load_demo


class Command(BaseCommand):
    help = (
        "Apply migrations, load the case-study demo if --demo and the database is empty, and serve the site."
    )

    requires_system_checks = []  # checked explicitly below, after configuration errors are reported

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--demo", action="store_true", help="Load the case-study demo into an empty database."
        )
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="ASGI worker processes (default 1).")

    def handle(self, *args: Any, demo: bool, host: str, port: int, workers: int, **options: Any) -> None:
        started = time.monotonic()
        call_command("check", fail_level="ERROR", verbosity=0)
        call_command("migrate", interactive=False, verbosity=0)
        if demo:
            password = demo_password()
            try:
                load_demo(password=password)
                self.stdout.write(
                    f"Loaded the case-study demo. Sign in as 'admin' with the password: {password}"
                )
            except DemoNotEmpty:
                self.stdout.write("The database already has data; the demo was not loaded again.")
        self.stdout.write(
            f"Coproduce ready in {time.monotonic() - started:.1f}s at http://{host}:{port}/ "
            f"({'debug' if settings.DEBUG else 'production'} mode). Stop with Ctrl+C."
        )
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coproduce.settings")
        uvicorn.run(
            "coproduce.asgi:application",
            host=host,
            port=port,
            workers=workers,
            lifespan="off",
            log_level="info" if settings.DEBUG else "warning",
            proxy_headers=True,
        )
