"""`coproduce serve --with-worker` (the quick start's `make run`) is a whole site: queued e-mail goes out."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.request
from email import message_from_bytes
from email.message import Message
from pathlib import Path

from coproduce.core.tests.serving import COPRODUCE, free_port, site_env


def _children_of(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _wait_for(check: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(check) and check():
            return True
        time.sleep(0.2)
    return False


def test_the_site_with_its_worker_sends_queued_mail_and_stops_them_both(tmp_path: Path) -> None:
    mail = tmp_path / "mail"
    env = site_env(
        tmp_path / "data",
        COPRODUCE_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        COPRODUCE_EMAIL_FILE_PATH=str(mail),
    )
    port = free_port()
    log = tmp_path / "serve.log"  # a file, not a pipe nobody reads, which could fill and block it
    server = subprocess.Popen(
        [COPRODUCE, "serve", "--with-worker", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        start_new_session=True,  # a signal meant for the test run never reaches it
    )
    try:
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as answer:  # noqa: S310
                    return bool(answer.status == 200)
            except OSError:
                return False

        if not _wait_for(up, 90):
            server.terminate()
            raise AssertionError(
                f"the site did not start: {server.communicate(timeout=30)[1].decode()[-2000:]}"
            )
        application = {
            "name": "Chris Taylor",
            "email": "chris.taylor@example.gov.uk",
            "organisation": "Eastgate County Council",
            "sector": "social_care",
            "reason": "I support care homes adopting online tools.",
        }
        request = urllib.request.Request(  # noqa: S310
            f"{base}/api/v1/applications",
            data=json.dumps(application).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            assert answer.status == 201

        def sent() -> list[Message]:
            files = list(mail.iterdir()) if mail.exists() else []
            return [message_from_bytes(path.read_bytes()) for path in files]

        def delivered() -> bool:  # the file backend may still be writing: wait for whole messages
            return any(message["To"] == "chris.taylor@example.gov.uk" for message in sent())

        assert _wait_for(delivered, 60), f"no e-mail was sent: {[m.items() for m in sent()]}"
        assert "We have received your application" in str(sent()[0]["Subject"])
        worker = _children_of(server.pid)
        assert worker, "serve --with-worker runs no worker process"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)

    assert all(not Path(f"/proc/{pid}").exists() for pid in worker), "the worker outlived the site"
