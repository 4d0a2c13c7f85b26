"""Twenty people save the same page at once over HTTP: every accepted save is in the history, none is lost.

Runs on PostgreSQL (CI's second pass), where the live server's threads have their own connections and the
page row lock is what serialises them. On SQLite the same rule is tested at the service level against a
database file (coproduce/wiki/tests/test_concurrency.py).
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.conf import settings
from pytest_django.live_server_helper import LiveServer

from coproduce.accounts.models import User
from coproduce.accounts.services import token_create
from coproduce.communities.models import Space
from coproduce.wiki import services
from coproduce.wiki.models import Page

pytestmark = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="needs PostgreSQL: runs in CI's second pass (DATABASE_URL set)",
)

THREADS = 20
BODY = "".join(f"line {n}\n\n" for n in range(THREADS))


def put_all(url: str, token: str, bodies: list[str]) -> list[tuple[int, dict[str, Any]]]:
    results: list[tuple[int, dict[str, Any]]] = [(0, {})] * len(bodies)
    start = threading.Barrier(len(bodies))

    def put(index: int) -> None:
        request = urllib.request.Request(
            url,
            data=json.dumps({"body": bodies[index], "base_revision": 1}).encode(),
            method="PUT",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                results[index] = (response.status, json.loads(response.read()))
        except urllib.error.HTTPError as error:
            results[index] = (error.code, json.loads(error.read()))

    threads = [threading.Thread(target=put, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def shared_page(transactional_db: None, members_space: Space, member: User) -> Page:
    return services.page_create(space=members_space, actor=member, title="Shared notes", body=BODY)


def test_twenty_disjoint_saves_at_once_are_all_kept(
    live_server: LiveServer, shared_page: Page, member: User
) -> None:
    _, token = token_create(user=member, name="load", actor=member)
    url = f"{live_server.url}/api/v1/spaces/masterclass/pages/shared-notes"
    bodies = [BODY.replace(f"line {n}\n", f"line {n} edited by writer {n}\n") for n in range(THREADS)]

    results = put_all(url, token, bodies)

    assert [status for status, _ in results] == [200] * THREADS
    numbers = sorted(body["revision"] for _, body in results)
    assert numbers == list(range(2, THREADS + 2))  # each accepted save got its own revision
    shared_page.refresh_from_db()
    assert shared_page.revisions.count() == THREADS + 1
    final = shared_page.current.body if shared_page.current else ""
    for n in range(THREADS):
        assert f"line {n} edited by writer {n}" in final


def test_twenty_saves_of_the_same_line_accept_one_and_refuse_the_rest_with_409(
    live_server: LiveServer, shared_page: Page, member: User
) -> None:
    _, token = token_create(user=member, name="load", actor=member)
    url = f"{live_server.url}/api/v1/spaces/masterclass/pages/shared-notes"
    bodies = [BODY.replace("line 0\n", f"line 0 rewritten by writer {n}\n") for n in range(THREADS)]

    results = put_all(url, token, bodies)

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * (THREADS - 1)
    conflicts = [body["error"] for status, body in results if status == 409]
    assert all(error["code"] == "edit_conflict" for error in conflicts)
    assert all(error["details"]["current_revision"] == 2 for error in conflicts)
    shared_page.refresh_from_db()
    assert shared_page.revisions.count() == 2
