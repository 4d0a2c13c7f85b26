"""No lost updates: twenty people saving the same page at the same moment, from the same revision.

These run against the real database with real transactions and one connection per thread
(SQLite file or PostgreSQL when DATABASE_URL is set). Every accepted save must be in the
history, and every save that was not accepted must have been told so with EditConflict.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.wiki.models import Page, Revision
from coproduce.wiki.services import EditConflict, page_create, page_save

THREADS = 20
BASE_LINES = [f"Line {n} as first written.\n" for n in range(2 * THREADS + 1)]

# The default test database is in-memory SQLite with a shared cache, where concurrent writers
# fail at once with "database table is locked" instead of waiting as they do on a file. There the
# tests below are skipped and `test_the_concurrency_tests_pass_on_a_sqlite_file` runs this module
# again in a subprocess with COPRODUCE_TEST_SQLITE_PATH pointing at a file.
IN_MEMORY = connection.vendor == "sqlite" and connection.settings_dict["TEST"]["NAME"] is None
real_database = pytest.mark.skipif(IN_MEMORY, reason="needs a file or server database (see above)")
pytestmark = pytest.mark.django_db(transaction=True)


def _run_concurrently(page: Page, actor: User, edit: Callable[[int], str]) -> dict[int, str]:
    """Each thread saves `edit(i)` based on revision 1, all starting together; returns i -> outcome."""
    barrier = threading.Barrier(THREADS)

    def save(i: int) -> str:
        try:
            own = Page.objects.select_related("space").get(pk=page.pk)
            barrier.wait(timeout=30)
            result = page_save(page=own, actor=actor, body=edit(i), base_revision=1, summary=f"Thread {i}")
            return "merged" if result.merged else "saved"
        except EditConflict:
            return "conflict"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return dict(zip(range(THREADS), pool.map(save, range(THREADS)), strict=True))


def _own_line(i: int) -> str:
    return f"Line {2 * i + 1} rewritten by thread {i}.\n"


@pytest.fixture
def page(members_space: Space, member: User) -> Page:
    return page_create(space=members_space, actor=member, title="Shared notes", body="".join(BASE_LINES))


@real_database
def test_twenty_simultaneous_disjoint_edits_are_all_kept(page: Page, member: User) -> None:
    def edit(i: int) -> str:
        lines = list(BASE_LINES)
        lines[2 * i + 1] = _own_line(i)  # untouched lines between the threads' lines
        return "".join(lines)

    outcomes = _run_concurrently(page, member, edit)

    accepted = [i for i, outcome in outcomes.items() if outcome != "conflict"]
    revisions = Revision.objects.filter(page=page)
    page.refresh_from_db()
    assert revisions.count() == 1 + len(accepted)
    assert page.head == 1 + len(accepted)
    assert sorted(revisions.exclude(number=1).values_list("summary", flat=True)) == sorted(
        f"Thread {i}" for i in accepted
    )
    final = Revision.objects.get(page=page, number=page.head).body
    assert all(_own_line(i) in final for i in accepted)
    assert all(outcome == "conflict" for i, outcome in outcomes.items() if i not in accepted)
    # Disjoint edits never conflict: all twenty are in, one saved directly and the rest merged.
    assert len(accepted) == THREADS
    assert sorted(outcomes.values()).count("saved") == 1


@real_database
def test_twenty_simultaneous_edits_of_the_same_line_keep_one_and_refuse_the_rest(
    page: Page, member: User
) -> None:
    def edit(i: int) -> str:
        lines = list(BASE_LINES)
        lines[0] = f"Line 0 rewritten by thread {i}.\n"
        return "".join(lines)

    outcomes = _run_concurrently(page, member, edit)

    accepted = [i for i, outcome in outcomes.items() if outcome != "conflict"]
    assert len(accepted) == 1
    assert Revision.objects.filter(page=page).count() == 2
    [winner] = accepted
    assert Revision.objects.get(page=page, number=2).body == edit(winner)
    assert list(outcomes.values()).count("conflict") == THREADS - 1


@pytest.mark.skipif(not IN_MEMORY, reason="the tests above already ran against this database")
def test_the_concurrency_tests_pass_on_a_sqlite_file(tmp_path: Path) -> None:
    env = os.environ | {"COPRODUCE_TEST_SQLITE_PATH": str(tmp_path / "concurrency.sqlite3")}
    env.pop("DATABASE_URL", None)

    run = subprocess.run(
        [sys.executable, "-m", "pytest", __file__, "-q", "-p", "no:randomly", "-p", "no:xdist"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed, 1 skipped" in run.stdout
