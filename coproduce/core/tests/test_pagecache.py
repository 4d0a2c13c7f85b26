"""The anonymous page cache in front of Django: served from memory only while nothing changed."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connections

from coproduce.accounts.models import User
from coproduce.communities import services as community_services
from coproduce.communities.models import Space, Visibility
from coproduce.core.pagecache import ContentVersion, PageCache, bump_after_commit
from coproduce.discussions.services import comment_create
from coproduce.governance import audit
from coproduce.wiki.services import page_create

pytestmark = pytest.mark.django_db(transaction=True)

type Headers = dict[bytes, bytes]


class Counting:
    """The site's own application behind the cache (as in coproduce/asgi.py), counting requests."""

    def __init__(self) -> None:
        self.app = WSGIMiddleware(get_wsgi_application(), workers=2)  # type: ignore[arg-type]
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        await self.app(scope, receive, send)


def fetch(
    app: PageCache, path: str, *, method: str = "GET", headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[int, Headers, str]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 80),
    }
    sent: list[Any] = []
    requests = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if requests:
            return requests.pop()
        await asyncio.Event().wait()  # the client stays connected until the response is sent
        raise AssertionError("unreachable")

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], {n.lower(): v for n, v in start["headers"]}, body.decode()


@pytest.fixture
def version(tmp_path: Path) -> ContentVersion:
    return ContentVersion(redis_url=None, path=tmp_path / "content-version")


@pytest.fixture
def django_app(monkeypatch: pytest.MonkeyPatch) -> Counting:
    # The pool's threads outlive the test: they must not keep connections to the test database.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    return Counting()


@pytest.fixture
def cached(django_app: Counting, version: ContentVersion, monkeypatch: pytest.MonkeyPatch) -> PageCache:
    # Audit entries move this test's version on, as the site's own listener does for the site's.
    monkeypatch.setattr("coproduce.core.pagecache._version", version)
    return PageCache(django_app, entries=10, version=lambda: version)


def nonce_of(headers: Headers) -> str:
    match = re.search(r"'nonce-([^']+)'", headers[b"content-security-policy"].decode())
    assert match is not None
    return match.group(1)


def test_a_public_space_is_answered_from_memory_the_second_time(
    cached: PageCache, django_app: Counting, public_space: Space
) -> None:
    first = fetch(cached, "/spaces/open-notes/")
    second = fetch(cached, "/spaces/open-notes/")

    assert first[0] == second[0] == 200
    assert django_app.calls == 1
    assert "Open notes" in second[2]
    assert b"x-coproduce-anonymous-cache" not in first[1]
    assert b"x-coproduce-anonymous-cache" not in second[1]


def test_every_copy_served_gets_its_own_csp_nonce_in_header_and_body(
    cached: PageCache, public_space: Space
) -> None:
    first = fetch(cached, "/spaces/open-notes/")
    second = fetch(cached, "/spaces/open-notes/")

    assert nonce_of(first[1]) != nonce_of(second[1])
    assert f'nonce="{nonce_of(second[1])}"' in second[2]
    assert nonce_of(first[1]) not in second[2]
    assert int(second[1][b"content-length"]) == len(second[2].encode())


def test_a_committed_change_is_seen_by_the_next_anonymous_reader(
    cached: PageCache, django_app: Counting, public_space: Space, facilitator: User
) -> None:
    fetch(cached, "/spaces/open-notes/")

    community_services.space_update(
        space=public_space, actor=facilitator, name="Open notes, renamed", description="", visibility="public"
    )
    status, _, body = fetch(cached, "/spaces/open-notes/")

    assert status == 200
    assert "Open notes, renamed" in body
    assert django_app.calls == 2


def test_any_audit_entry_moves_the_content_version_on(version: ContentVersion, public_space: Space) -> None:
    # The site registers the listener itself (CoreConfig.ready); the test relies on that.
    assert bump_after_commit in audit._listeners
    before = version.current()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("coproduce.core.pagecache._version", version)
        audit.record(actor=None, action="test.change", target=public_space, space=public_space)

    assert version.current() != before


def test_signed_in_readers_always_reach_django(
    cached: PageCache, django_app: Counting, public_space: Space
) -> None:
    cookie = [(b"cookie", b"csrftoken=abc; sessionid=xyz")]
    fetch(cached, "/spaces/open-notes/")
    fetch(cached, "/spaces/open-notes/", headers=cookie)
    fetch(cached, "/spaces/open-notes/", headers=[(b"authorization", b"Bearer nope")])

    assert django_app.calls == 3


def test_a_reader_with_only_a_csrf_cookie_gets_the_shared_copy(
    cached: PageCache, django_app: Counting, public_space: Space
) -> None:
    fetch(cached, "/spaces/open-notes/")
    status, _, _ = fetch(cached, "/spaces/open-notes/", headers=[(b"cookie", b"csrftoken=abc")])

    assert status == 200
    assert django_app.calls == 1


def test_pages_that_did_not_opt_in_and_errors_are_never_cached(
    cached: PageCache, django_app: Counting, members_space: Space
) -> None:
    for _ in range(2):
        assert fetch(cached, "/spaces/masterclass/")[0] == 404  # members only: not found for anonymous
        assert fetch(cached, "/apply/")[0] == 200  # a form page: not opted in (and sets a CSRF cookie)
        assert fetch(cached, "/health")[0] == 200

    assert django_app.calls == 6


def test_only_get_requests_are_answered_from_memory(
    cached: PageCache, django_app: Counting, public_space: Space
) -> None:
    fetch(cached, "/spaces/open-notes/")
    fetch(cached, "/spaces/open-notes/", method="HEAD")

    assert django_app.calls == 2


def test_the_cache_keeps_at_most_its_number_of_entries(
    django_app: Counting, version: ContentVersion, db: None, facilitator: User
) -> None:
    cache = PageCache(django_app, entries=2, version=lambda: version)
    for slug in ("one", "two", "three"):
        Space.objects.create(slug=slug, name=slug.title(), visibility=Visibility.PUBLIC)
        fetch(cache, f"/spaces/{slug}/")

    assert len(cache.entries) == 2
    fetch(cache, "/spaces/one/")
    assert django_app.calls == 4  # the oldest had been dropped


def test_a_cache_of_no_entries_passes_everything_through(
    django_app: Counting, version: ContentVersion, public_space: Space
) -> None:
    cache = PageCache(django_app, entries=0, version=lambda: version)
    fetch(cache, "/spaces/open-notes/")
    fetch(cache, "/spaces/open-notes/")

    assert django_app.calls == 2


def test_the_file_version_changes_at_every_bump(version: ContentVersion) -> None:
    seen = {version.current()}
    for _ in range(5):
        version.bump()
        seen.add(version.current())

    assert len(seen - {None}) == 6  # the first value and five new ones


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (the PostgreSQL + Redis CI pass sets it)")
def test_with_redis_every_process_shares_one_version(tmp_path: Path) -> None:
    one = ContentVersion(redis_url=settings.REDIS_URL, path=tmp_path / "a")
    other = ContentVersion(redis_url=settings.REDIS_URL, path=tmp_path / "b")
    before = other.current()

    one.bump()

    assert other.current() != before
    assert other.current() == one.current()


def test_an_unreachable_redis_bypasses_the_cache_instead_of_failing(
    django_app: Counting, tmp_path: Path, public_space: Space
) -> None:
    broken = ContentVersion(redis_url="redis://127.0.0.1:1/0", path=tmp_path / "v")
    cache = PageCache(django_app, entries=10, version=lambda: broken)

    assert fetch(cache, "/spaces/open-notes/")[0] == 200
    assert fetch(cache, "/spaces/open-notes/")[0] == 200
    assert django_app.calls == 2


def test_an_anonymous_wiki_page_is_shared_until_someone_comments(
    cached: PageCache, django_app: Counting, public_space: Space, facilitator: User
) -> None:
    page = page_create(space=public_space, actor=facilitator, title="Workforce", body="Training matters.")
    address = f"/spaces/open-notes/wiki/{page.slug}/"
    fetch(cached, address)
    fetch(cached, address)
    assert django_app.calls == 1

    comment_create(page=page, actor=facilitator, body="Protected learning time helps.")
    status, _, body = fetch(cached, address)

    assert status == 200
    assert "Protected learning time helps." in body
    assert django_app.calls == 2
