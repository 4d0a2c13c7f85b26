"""`coproduce worker`'s loop, in this process: bad options, failures, and periodic jobs on a busy queue.

The worker in another process, against PostgreSQL, is tested in test_worker.py.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.utils import OperationalError
from django_tasks_db.models import DBTaskResult

from coproduce.accounts.models import User
from coproduce.core.management.commands import worker as command
from coproduce.governance.models import AuditEntry
from coproduce.notifications.models import Frequency, Kind, Notification
from coproduce.notifications.tasks import send_notification

type Handlers = dict[int, Callable[[int, Any], None]]


@pytest.fixture
def handlers(monkeypatch: pytest.MonkeyPatch) -> Handlers:
    """The worker's signal handlers, caught instead of installed in the test process."""
    caught: Handlers = {}
    monkeypatch.setattr(signal, "signal", lambda signum, handler: caught.__setitem__(signum, handler))
    return caught


@pytest.fixture
def database_queue(settings: pytest.FixtureRequest) -> None:
    settings.TASKS = {  # type: ignore[attr-defined]
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


@pytest.mark.parametrize("interval", ["0", "-1", "nan", "inf", "soon"])
def test_the_interval_must_be_a_positive_number_of_seconds(interval: str, db: None) -> None:
    with pytest.raises(CommandError, match="--interval must be a positive number of seconds"):
        call_command("worker", "--batch", "--interval", interval, stdout=StringIO())


def test_a_database_error_is_logged_and_the_worker_carries_on_after_a_pause(
    db: None, handlers: Handlers, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[str] = []

    def run(self: command.BudgetedWorker) -> None:
        runs.append("run")
        if len(runs) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        handlers[signal.SIGTERM](signal.SIGTERM, None)  # the second round went well: stop

    monkeypatch.setattr(command.BudgetedWorker, "run", run)
    monkeypatch.setattr(command, "run_periodic_jobs", lambda stop: None)
    monkeypatch.setattr(command, "close_old_connections", lambda: None)
    monkeypatch.setattr(command, "BACK_OFF_SECONDS", 0.01)
    out = StringIO()
    call_command("worker", "--interval", "0.01", stdout=out)
    assert runs == ["run", "run"]
    assert "the worker failed; trying again" in caplog.text
    assert "server closed the connection unexpectedly" in caplog.text
    assert "stopping after the current task" in out.getvalue()


def test_in_batch_mode_a_failure_ends_the_command_with_a_clear_error(
    db: None, handlers: Handlers, monkeypatch: pytest.MonkeyPatch
) -> None:
    def run(self: command.BudgetedWorker) -> None:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(command.BudgetedWorker, "run", run)
    monkeypatch.setattr(command, "run_periodic_jobs", lambda stop: None)
    with pytest.raises(CommandError, match="The worker failed: could not connect to server"):
        call_command("worker", "--batch", stdout=StringIO())


def test_the_periodic_jobs_run_between_tasks_when_the_queue_never_empties(
    transactional_db: None, database_queue: None, handlers: Handlers, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = [send_notification.enqueue(notification_id) for notification_id in (9991, 9992, 9993)]
    jobs: list[int] = []

    def jobs_run(stop: threading.Event | None) -> None:
        jobs.append(DBTaskResult.objects.ready().count())

    monkeypatch.setattr(command, "run_periodic_jobs", jobs_run)
    monkeypatch.setattr(command, "JOBS_EVERY_SECONDS", 0.0)  # the jobs are always due: one task each time
    call_command("worker", "--batch", stdout=StringIO())
    assert jobs == [3, 2, 1, 0]  # before each task, and once more when the queue is empty
    assert {DBTaskResult.objects.get(id=result.id).status for result in results} == {"SUCCESSFUL"}


def test_the_periodic_jobs_send_immediate_emails_whose_task_failed(member: User) -> None:
    entry = AuditEntry.objects.create(
        action="comment.create", target_type="discussions.comment", target_id="1"
    )
    notification = Notification.objects.create(
        recipient=member,
        kind=Kind.REPLY,
        entry=entry,
        text="Rowan Facilitator replied to your comment on “Workforce”",
        url="/spaces/masterclass/wiki/workforce/#comment-1",
        frequency=Frequency.IMMEDIATE,
        email_attempts=1,
    )
    Notification.objects.filter(pk=notification.pk).update(
        created_at=notification.created_at - timedelta(minutes=10)
    )
    stopped = threading.Event()
    stopped.set()
    command.run_periodic_jobs(stopped)
    assert mail.outbox == []  # a worker that is stopping starts no job
    command.run_periodic_jobs(threading.Event())
    [message] = mail.outbox
    assert message.to == [member.email]
