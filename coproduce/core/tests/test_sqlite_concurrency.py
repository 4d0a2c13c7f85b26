"""Concurrent writers on SQLite wait for each other instead of failing with "database is locked"."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections, transaction

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3", reason="SQLite-only behaviour"
)


@pytest.fixture
def file_database(tmp_path: Path) -> Iterator[str]:
    """A second database alias: a SQLite file opened with the site's own options."""
    path = tmp_path / "concurrent.sqlite3"
    setup = sqlite3.connect(path)
    # As on the site, where `migrate` opens the database alone first: the switch to WAL is made
    # before anyone else connects (eight connections racing to make it can fail under load).
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER)")
    setup.execute("INSERT INTO counter VALUES (1, 0)")
    setup.commit()
    setup.close()
    config = {**settings.DATABASES["default"], "NAME": str(path)}
    configured = connections.configure_settings(
        {"default": settings.DATABASES["default"], "concurrent": config}
    )
    connections.settings["concurrent"] = configured["concurrent"]
    yield str(path)
    connections["concurrent"].close()
    del connections.settings["concurrent"]


def test_many_concurrent_read_then_write_transactions_all_succeed(
    file_database: str, django_db_blocker: pytest.FixtureRequest
) -> None:
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(25):
                with transaction.atomic(using="concurrent"), connections["concurrent"].cursor() as cursor:
                    cursor.execute("SELECT value FROM counter WHERE id = 1")
                    value = cursor.fetchone()[0]
                    cursor.execute("UPDATE counter SET value = %s WHERE id = 1", [value + 1])
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connections["concurrent"].close()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    check = sqlite3.connect(file_database)
    # Read-then-write in IMMEDIATE transactions never loses an increment.
    assert check.execute("SELECT value FROM counter").fetchone()[0] == 8 * 25
    assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    check.close()
