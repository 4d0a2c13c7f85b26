"""`coproduce worker`: run background tasks (django-tasks-db) and the periodic jobs until stopped.

One loop: the periodic jobs (digests due, discussions due to close) about once a minute, then
django-tasks-db's own `Worker` in batch mode runs whatever is queued, then a short sleep. With
--batch it does each once and exits. SIGTERM or Ctrl+C stops it after the current task or job
(a second one stops it at once).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger(__name__)

JOBS_EVERY_SECONDS = 60.0


def run_periodic_jobs() -> None:
    """Each job on its own: one failing is logged and never stops the others or the worker."""
    from coproduce.discussions.services import threads_close_due
    from coproduce.notifications.services import digests_send_due

    for job in (threads_close_due, digests_send_due):
        try:
            job(now=timezone.now())
        except Exception:
            logger.exception("periodic job %s failed; it runs again next time", job.__name__)


class Command(BaseCommand):
    help = "Run queued background tasks (e-mails, renders) and periodic jobs until stopped (Ctrl+C, SIGTERM)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Do what is due and queued, then exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")

    def handle(self, *args: Any, batch: bool, interval: float, verbosity: int, **options: Any) -> None:
        if verbosity < 2:  # its "starting" and "queue empty" lines would repeat every poll
            logging.getLogger("django_tasks_db").setLevel(logging.WARNING)
        worker = Worker(
            queue_names=["default"],
            interval=0,
            batch=True,  # returns when the queue is empty, so this loop can run the periodic jobs
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        stopping = threading.Event()

        def stop(signum: int, frame: FrameType | None) -> None:
            if stopping.is_set():
                sys.exit(1)  # asked twice: stop now, even in the middle of a task
            self.stdout.write(f"{signal.strsignal(signum)}: stopping after the current task.")
            stopping.set()
            worker.running = False

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        next_jobs = 0.0
        while not stopping.is_set():
            if time.monotonic() >= next_jobs:
                run_periodic_jobs()
                next_jobs = time.monotonic() + JOBS_EVERY_SECONDS
            worker.running = not stopping.is_set()
            if worker.running:
                worker.run()
            close_old_connections()
            if batch:
                break
            stopping.wait(interval)
