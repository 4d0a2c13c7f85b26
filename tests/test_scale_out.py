"""Two app processes against one PostgreSQL and Redis share sessions and rate limits.

This is how the site grows past one process (ARCHITECTURE.md, "Growing past one machine"); it runs in
CI's PostgreSQL + Redis pass and is skipped on SQLite, where one process is the supported set-up.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from conftest import PASSWORD
from coproduce.accounts.models import User

COPRODUCE = str(Path(sys.executable).with_name("coproduce"))

pytestmark = pytest.mark.skipif(
    not (settings.DATABASES["default"]["ENGINE"].endswith("postgresql") and settings.REDIS_URL),
    reason="needs PostgreSQL and Redis: runs in CI's second pass (DATABASE_URL and REDIS_URL set)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database_url() -> str:
    db = connection.settings_dict
    credentials = urllib.parse.quote(str(db["USER"] or ""))
    if db.get("PASSWORD"):
        credentials += ":" + urllib.parse.quote(str(db["PASSWORD"]))
    return f"postgresql://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def two_servers(transactional_db: None) -> Iterator[tuple[str, str]]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DATABASE_URL=_database_url(),
        REDIS_URL=str(settings.REDIS_URL),
        COPRODUCE_DEBUG="0",
        COPRODUCE_HTTPS="0",
        COPRODUCE_SECRET_KEY="scale-out-test-" + "s" * 50,  # the same key in both, as in production
    )
    ports = [_free_port(), _free_port()]
    processes = [
        subprocess.Popen(
            [COPRODUCE, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, process in zip(urls, processes, strict=True):
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(url + "/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(
                            process.stderr.read().decode() if process.stderr else ""
                        ) from None
                    time.sleep(0.1)
        yield urls[0], urls[1]
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def test_a_session_started_on_one_process_works_on_the_other(
    two_servers: tuple[str, str], member: User
) -> None:
    first, second = two_servers
    cookies = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
    page = browser.open(first + "/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "login": member.username, "password": PASSWORD}
    ).encode()
    browser.open(urllib.request.Request(first + "/accounts/login/", data=form, headers={"Referer": first}))

    with browser.open(second + "/api/v1/me") as response:
        assert json.loads(response.read())["username"] == member.username


def test_rate_limits_are_counted_across_processes_through_redis(two_servers: tuple[str, str]) -> None:
    statuses = []
    for attempt in range(6):
        url = two_servers[attempt % 2] + "/api/v1/applications"
        body = {
            "name": "Chris Taylor",
            "email": f"chris{attempt}@example.gov.uk",
            "organisation": "Eastgate County Council",
            "sector": "social_care",
            "reason": "I support care homes adopting online tools.",
        }
        request = urllib.request.Request(
            url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
    # Five per hour per address in all (communities.services.APPLICATION_LIMIT), not five per process.
    assert statuses == [201, 201, 201, 201, 201, 429]
