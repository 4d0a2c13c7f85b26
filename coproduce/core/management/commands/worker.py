"""`coproduce worker`: run background tasks (django-tasks-db) and the periodic jobs until stopped.

One loop: the periodic jobs (discussions due to close, digests due, immediate e-mails to try
again) about once a minute, then django-tasks-db's own `Worker` runs whatever is queued until the
queue is empty or the jobs are due again (so they run even when the queue never empties), then a
short sleep. With --batch it does each once and exits. A failure of the queue or the database is
logged and the loop carries on after a pause. SIGTERM or Ctrl+C stops it after the current task,
or between two recipients of a digest (a second one stops it at once).
"""

from __future__ import annotations

import logging
import math
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

JOBS_EVERY_SECONDS = 60.0
BACK_OFF_SECONDS = 5.0  # after a failure of the queue or the database


def run_periodic_jobs(stop: threading.Event | None = None) -> None:
    """Each job on its own: one failing is logged and never stops the others or the worker.

    The notification jobs are given `stop`, so that a long digest ends early when the worker stops.
    """
    from coproduce.discussions.services import threads_close_due
    from coproduce.governance.rights import retention_apply
    from coproduce.notifications.services import digests_send_due, notifications_resend_due
    from coproduce.reports.services import editions_reclaim_stale

    jobs = (
        ("threads_close_due", lambda: threads_close_due(now=timezone.now())),
        ("digests_send_due", lambda: digests_send_due(now=timezone.now(), stop=stop)),
        ("notifications_resend_due", lambda: notifications_resend_due(now=timezone.now(), stop=stop)),
        ("editions_reclaim_stale", lambda: editions_reclaim_stale(now=timezone.now())),
        ("retention_apply", lambda: retention_apply(now=timezone.now())),
    )
    for name, job in jobs:
        if stop is not None and stop.is_set():
            return
        try:
            job()
        except Exception:
            logger.exception("periodic job %s failed; it runs again next time", name)


class BudgetedWorker(Worker):
    """django-tasks-db's worker, returning after the task that ends its time budget (`until`)."""

    until = math.inf  # time.monotonic() after which no further task is started
    out_of_time = False

    def run_task(self, db_task_result: DBTaskResult[..., Any]) -> None:
        super().run_task(db_task_result)
        if time.monotonic() >= self.until:
            self.out_of_time = True
            self.running = False  # Worker.run returns instead of taking the next task


def positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise CommandError(f"--interval must be a positive number of seconds, not {value!r}.")
    return seconds


class Command(BaseCommand):
    help = "Run queued background tasks (e-mails, renders) and periodic jobs until stopped (Ctrl+C, SIGTERM)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Do what is due and queued, then exit.")
        parser.add_argument("--interval", default="1", help="Seconds between polls (a positive number).")

    def handle(self, *args: Any, batch: bool, interval: str, verbosity: int, **options: Any) -> None:
        pause = positive_seconds(str(interval))
        if verbosity < 2:  # its "starting" and "queue empty" lines would repeat every poll
            logging.getLogger("django_tasks_db").setLevel(logging.WARNING)
        worker = BudgetedWorker(
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
            try:
                if time.monotonic() >= next_jobs:
                    run_periodic_jobs(stopping)
                    next_jobs = time.monotonic() + JOBS_EVERY_SECONDS
                worker.until, worker.out_of_time = next_jobs, False
                worker.running = not stopping.is_set()
                if worker.running:
                    worker.run()
            except Exception as failure:
                if batch:
                    raise CommandError(f"The worker failed: {failure}") from failure
                logger.exception("the worker failed; trying again in %s seconds", BACK_OFF_SECONDS)
                close_old_connections()
                stopping.wait(BACK_OFF_SECONDS)
                continue
            close_old_connections()
            if worker.out_of_time:
                continue  # the queue is not empty: run the jobs due, then carry on at once
            if batch:
                break
            stopping.wait(pause)
