"""`coproduce worker` runs a task queued with django-tasks-db, against PostgreSQL, in another process.

Runs in CI's PostgreSQL pass (DATABASE_URL set) and is skipped on SQLite, whose test database lives
in this process's memory where no other process can see the queue.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_tasks_db.models import DBTaskResult

from coproduce.accounts.models import User
from coproduce.governance.models import AuditEntry
from coproduce.notifications.models import Frequency, Kind, Notification
from coproduce.notifications.tasks import send_notification

COPRODUCE = str(Path(sys.executable).with_name("coproduce"))

pytestmark = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="needs PostgreSQL: runs in CI's second pass (DATABASE_URL set)",
)


def _environment(mail_dir: Path) -> dict[str, str]:
    db = connection.settings_dict
    credentials = urllib.parse.quote(str(db["USER"] or ""))
    if db.get("PASSWORD"):
        credentials += ":" + urllib.parse.quote(str(db["PASSWORD"]))
    url = f"postgresql://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "REDIS_URL"}}
    env.update(
        DATABASE_URL=url,
        COPRODUCE_SECRET_KEY="worker-test-" + "k" * 50,
        COPRODUCE_HTTPS="0",
        COPRODUCE_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        COPRODUCE_EMAIL_FILE_PATH=str(mail_dir),
        COPRODUCE_TASKS_BACKEND="django_tasks_db.DatabaseBackend",
    )
    return env


@pytest.fixture
def database_queue(settings: pytest.FixtureRequest) -> None:
    settings.TASKS = {  # type: ignore[attr-defined]
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def test_the_worker_sends_a_queued_notification_email(
    transactional_db: None, database_queue: None, member: User, tmp_path: Path
) -> None:
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
    )
    result = send_notification.enqueue(notification.pk)
    assert DBTaskResult.objects.get(id=result.id).status == "READY"

    done = subprocess.run(
        [COPRODUCE, "worker", "--batch"],
        env=_environment(tmp_path),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()

    assert DBTaskResult.objects.get(id=result.id).status == "SUCCESSFUL"
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    written = [path.read_text() for path in tmp_path.iterdir()]
    assert len(written) == 1, written
    message = written[0]
    assert f"To: {member.email}" in message
    assert "Workforce" in message
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in message


def test_the_worker_stops_cleanly_on_sigterm(transactional_db: None, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [COPRODUCE, "worker", "--interval", "0.2"],
        env=_environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(5)  # started, periodic jobs run, polling the queue
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
