"""`coproduce serve`: migrate, optionally load the demo, and serve the site (uvicorn).

With --with-worker it also runs `coproduce worker` as a child process for as long as it serves,
so a single command gives a complete site (the quick start's `make run` uses it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from coproduce.core.demo import DemoNotEmpty, demo_password, load_demo
from coproduce.core.server import Config, run_uvicorn


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


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
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="Also run the background worker (e-mails, notifications, digests) while serving.",
        )

    def handle(
        self, *args: Any, demo: bool, host: str, port: int, workers: int, with_worker: bool, **options: Any
    ) -> None:
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
        worker = self._start_worker() if with_worker else None
        try:
            run_uvicorn(
                Config(
                    "coproduce.asgi:application",
                    host=host,
                    port=port,
                    workers=workers,
                    lifespan="off",
                    log_level="info" if settings.DEBUG else "warning",
                    proxy_headers=True,
                )
            )
        finally:
            if worker is not None:
                self._stop_worker(worker)

    def _start_worker(self) -> subprocess.Popen[bytes]:
        self.stdout.write("Running the background worker beside the site.")
        # uvicorn re-raises the SIGTERM that stopped it once it has shut down; as an exception
        # it unwinds through `finally`, which stops the worker, instead of killing us outright.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        return subprocess.Popen([sys.executable, "-m", "coproduce", "worker"])

    @staticmethod
    def _stop_worker(worker: subprocess.Popen[bytes]) -> None:
        worker.terminate()  # SIGTERM: the worker finishes its current task, then exits
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
