"""Pages a signed-in member was shown, shown again from memory only while nothing changed."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.sessions.models import Session
from django.core.wsgi import get_wsgi_application
from django.db import connections
from django.test import Client

from conftest import client_for
from coproduce.accounts.models import ApiToken, User
from coproduce.accounts.services import token_create, token_revoke
from coproduce.communities.models import Space, SpaceMembership, SpaceRole
from coproduce.core.pagecache import ContentVersion
from coproduce.core.viewercache import PER_SESSION, ViewerCache
from coproduce.discussions.services import comment_create
from coproduce.notifications.models import Notification
from coproduce.notifications.services import notifications_read_all
from coproduce.wiki.models import Page
from coproduce.wiki.services import page_create, page_save, watch_set

pytestmark = pytest.mark.django_db(transaction=True)

CSRF = "a" * 32


class Counting:
    """The site's own WSGI application behind the cache (as in coproduce/asgi.py), counting requests."""

    def __init__(self) -> None:
        self.app = get_wsgi_application()
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.calls += 1
        return self.app(environ, start_response)


class Answer:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = int(status.split()[0])
        self.headers = {name.lower(): value for name, value in headers}
        self.cookies = [value for name, value in headers if name.lower() == "set-cookie"]
        self.text = body.decode()


def fetch(app: ViewerCache, path: str, *, cookie: str = "", method: str = "GET", **extra: str) -> Answer:
    address, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": address,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        **({"HTTP_COOKIE": cookie} if cookie else {}),
        **extra,
    }
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.update(status=status, headers=headers)
        return lambda data: None

    iterable = app(environ, start_response)
    try:
        body = b"".join(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    return Answer(started["status"], started["headers"], body)


def cookie_of(user: User) -> str:
    """What the member's browser sends: the session it logged in with and its CSRF cookie."""
    client = client_for(user)
    return f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}"


def session_key_of(cookie: str) -> str:
    found = re.search(r"sessionid=([^;]+)", cookie)
    assert found is not None
    return found.group(1)


@pytest.fixture
def version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ContentVersion:
    version = ContentVersion(redis_url=None, path=tmp_path / "content-version")
    # Audit entries and the other listeners move this test's version on, as they do the site's.
    monkeypatch.setattr("coproduce.core.pagecache._version", version)
    return version


@pytest.fixture
def django_app(monkeypatch: pytest.MonkeyPatch) -> Counting:
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    return Counting()


@pytest.fixture
def cached(django_app: Counting, version: ContentVersion) -> ViewerCache:
    return ViewerCache(django_app, entries=10, version=lambda: version)


@pytest.fixture
def notes(members_space: Space, facilitator: User, member: User) -> Page:
    SpaceMembership.objects.create(space=members_space, user=member, role=SpaceRole.MEMBER)
    return page_create(space=members_space, actor=facilitator, title="Ward notes", body="Handover matters.")


def address_of(page: Page) -> str:
    return f"/spaces/{page.space.slug}/wiki/{page.slug}/"


def test_a_members_page_is_answered_from_memory_the_second_time(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User
) -> None:
    cookie = cookie_of(member)

    first = fetch(cached, address_of(notes), cookie=cookie)
    second = fetch(cached, address_of(notes), cookie=cookie)

    assert first.status == second.status == 200
    assert "Handover matters." in second.text
    assert "Meera Member" in second.text  # the header names the member it was made for
    assert django_app.calls == 1
    assert "x-coproduce-viewer-cache" not in first.headers
    assert "x-coproduce-viewer-cache" not in second.headers


def test_every_copy_gets_its_own_csp_nonce_and_the_same_csrf_cookie_renewal(
    cached: ViewerCache, notes: Page, member: User
) -> None:
    cookie = cookie_of(member)
    first = fetch(cached, address_of(notes), cookie=cookie)
    second = fetch(cached, address_of(notes), cookie=cookie)

    nonce = re.compile(r"'nonce-([^']+)'")
    first_nonce = nonce.search(first.headers["content-security-policy"])
    second_nonce = nonce.search(second.headers["content-security-policy"])
    assert first_nonce is not None
    assert second_nonce is not None
    assert first_nonce.group(1) != second_nonce.group(1)
    assert f'nonce="{second_nonce.group(1)}"' in second.text
    assert first_nonce.group(1) not in second.text
    assert int(second.headers["content-length"]) == len(second.text.encode())
    assert second.cookies == first.cookies
    assert all(value.startswith(f"csrftoken={CSRF};") for value in second.cookies)


def test_another_member_never_gets_the_first_members_copy(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User, facilitator: User
) -> None:
    fetch(cached, address_of(notes), cookie=cookie_of(member))

    theirs = fetch(cached, address_of(notes), cookie=cookie_of(facilitator))

    assert django_app.calls == 2
    assert "Rowan Facilitator" in theirs.text
    assert "Meera Member" not in theirs.text


def test_a_committed_change_is_seen_by_the_member_at_once(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User, facilitator: User
) -> None:
    cookie = cookie_of(member)
    fetch(cached, address_of(notes), cookie=cookie)

    comment_create(page=notes, actor=facilitator, body="Protected learning time helps.")
    after = fetch(cached, address_of(notes), cookie=cookie)

    assert "Protected learning time helps." in after.text
    assert django_app.calls == 2


def test_logging_out_anywhere_ends_the_copies_at_once(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User
) -> None:
    cookie = cookie_of(member)
    fetch(cached, address_of(notes), cookie=cookie)

    Session.objects.filter(session_key=session_key_of(cookie)).delete()  # what logging out does
    after = fetch(cached, address_of(notes), cookie=cookie)

    assert django_app.calls == 2
    assert after.status == 404  # to anyone signed out, the members' space is not there
    assert "Handover matters." not in after.text


def test_a_session_whose_data_changed_goes_to_django(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User
) -> None:
    cookie = cookie_of(member)
    fetch(cached, address_of(notes), cookie=cookie)
    session = Session.objects.get(session_key=session_key_of(cookie))
    store = session.get_decoded()
    store["_messages"] = "[]"  # e.g. a message kept in the session for the next page
    Session.objects.filter(pk=session.pk).update(session_data=Session.objects.encode(store))

    fetch(cached, address_of(notes), cookie=cookie)

    assert django_app.calls == 2


def test_a_copy_made_while_the_member_changed_is_not_kept(
    django_app: Counting, version: ContentVersion, notes: Page, member: User
) -> None:
    """The member's row changes while Django renders (here: renamed meanwhile, without an
    audit entry): the page was made from the row before, so it is not kept for the row after."""
    django = django_app
    changed: list[bool] = []

    def changing_meanwhile(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        answer = django(environ, start_response)
        if not changed:
            User.objects.filter(pk=member.pk).update(name="Meena Member")
            changed.append(True)
        return answer

    cached = ViewerCache(changing_meanwhile, entries=10, version=lambda: version)
    cookie = cookie_of(member)

    fetch(cached, address_of(notes), cookie=cookie)
    second = fetch(cached, address_of(notes), cookie=cookie)
    third = fetch(cached, address_of(notes), cookie=cookie)

    assert django.calls == 2  # the first answer was not kept; the second was, and served the third
    assert "Meena Member" in second.text
    assert third.text.count("Meena Member") == second.text.count("Meena Member")


def test_a_new_notification_shows_in_the_header_of_the_next_page(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User, facilitator: User
) -> None:
    cookie = cookie_of(member)
    mine = page_create(space=notes.space, actor=member, title="My notes", body="Discharge planning.")
    watch_set(user=member, watching=True, page=mine)
    before = fetch(cached, address_of(notes), cookie=cookie)

    page_save(page=mine, actor=facilitator, body="Discharge planning, revised.", base_revision=mine.head)
    assert Notification.objects.filter(recipient=member, read_at__isnull=True).exists()
    after = fetch(cached, address_of(notes), cookie=cookie)
    notifications_read_all(user=member)
    read = fetch(cached, address_of(notes), cookie=cookie)

    assert django_app.calls == 3
    assert after.text != before.text
    assert read.text.count("unread") < after.text.count("unread")


def test_a_search_sees_a_page_changed_since(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User, facilitator: User
) -> None:
    cookie = cookie_of(member)
    assert "Ward notes" not in fetch(cached, "/search?q=discharge", cookie=cookie).text

    page_save(page=notes, actor=facilitator, body="Discharge letters.", base_revision=notes.head)
    after = fetch(cached, "/search?q=discharge", cookie=cookie)

    assert "Ward notes" in after.text
    assert django_app.calls == 2


@pytest.mark.parametrize(
    ("method", "extra"),
    [
        ("POST", {}),
        ("GET", {"HTTP_AUTHORIZATION": "Bearer nothing"}),
    ],
)
def test_only_plain_get_requests_are_answered_from_memory(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User, method: str, extra: dict[str, str]
) -> None:
    cookie = cookie_of(member)
    fetch(cached, address_of(notes), cookie=cookie)

    fetch(cached, address_of(notes), cookie=cookie, method=method, **extra)

    assert django_app.calls == 2


def test_a_request_carrying_messages_goes_to_django(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User
) -> None:
    cookie = cookie_of(member)
    fetch(cached, address_of(notes), cookie=cookie)

    fetch(cached, address_of(notes), cookie=cookie + "; messages=anything")

    assert django_app.calls == 2


def test_a_browser_without_its_csrf_cookie_is_not_given_a_copy_setting_a_new_one(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User
) -> None:
    cookie = f"sessionid={session_key_of(cookie_of(member))}"

    first = fetch(cached, address_of(notes), cookie=cookie)
    fetch(cached, address_of(notes), cookie=cookie)

    assert any(value.startswith("csrftoken=") for value in first.cookies)
    assert django_app.calls == 2


def test_pages_that_did_not_opt_in_are_never_kept(
    cached: ViewerCache, django_app: Counting, member: User
) -> None:
    cookie = cookie_of(member)

    first = fetch(cached, "/accounts/email/", cookie=cookie)
    fetch(cached, "/accounts/email/", cookie=cookie)

    assert first.status == 200
    assert django_app.calls == 2


def test_the_cache_keeps_at_most_its_number_of_entries(
    django_app: Counting, version: ContentVersion, notes: Page, member: User
) -> None:
    cache = ViewerCache(django_app, entries=1, version=lambda: version)
    cookie = cookie_of(member)
    fetch(cache, address_of(notes), cookie=cookie)
    fetch(cache, f"/spaces/{notes.space.slug}/wiki/", cookie=cookie)

    fetch(cache, address_of(notes), cookie=cookie)

    assert len(cache.entries) == 1
    assert django_app.calls == 3


def test_no_entries_or_another_session_engine_passes_everything_through(
    django_app: Counting, version: ContentVersion, notes: Page, member: User, settings: Any
) -> None:
    cookie = cookie_of(member)
    off = ViewerCache(django_app, entries=0, version=lambda: version)
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    other_engine = ViewerCache(django_app, entries=10, version=lambda: version)
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"

    for cache in (off, off, other_engine, other_engine):
        answer = fetch(cache, address_of(notes), cookie=cookie)
        assert "x-coproduce-viewer-cache" not in answer.headers

    assert django_app.calls == 4


def test_an_unknown_session_cookie_is_answered_by_django_as_anyone_else(
    cached: ViewerCache, django_app: Counting, public_space: Space, anonymous: Client
) -> None:
    cookie = f"sessionid=not-a-session; csrftoken={CSRF}"

    first = fetch(cached, "/spaces/open-notes/", cookie=cookie)
    fetch(cached, "/spaces/open-notes/", cookie=cookie)

    assert first.status == 200
    assert django_app.calls == 2


def test_a_change_saved_in_djangos_admin_is_seen_by_the_member_at_once(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User, admin: User
) -> None:
    cookie = cookie_of(member)
    fetch(cached, address_of(notes), cookie=cookie)

    Space.objects.filter(pk=notes.space_id).update(name="Masterclass, renamed")
    LogEntry.objects.log_actions(admin.pk, [notes.space], CHANGE, "Changed name.", single_object=True)
    after = fetch(cached, address_of(notes), cookie=cookie)

    assert "Masterclass, renamed" in after.text
    assert django_app.calls == 2


def test_a_password_set_outside_the_site_ends_the_copies_at_once(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User
) -> None:
    cookie = cookie_of(member)
    fetch(cached, address_of(notes), cookie=cookie)

    member.set_password("a-brand-new-password-9")  # e.g. `manage.py changepassword`
    member.save()
    after = fetch(cached, address_of(notes), cookie=cookie)

    assert django_app.calls == 2
    assert after.status == 404  # Django ended the session: the members' space is not there


def test_a_member_deactivated_in_the_database_gets_no_more_copies(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User
) -> None:
    cookie = cookie_of(member)
    fetch(cached, address_of(notes), cookie=cookie)

    User.objects.filter(pk=member.pk).update(is_active=False)
    after = fetch(cached, address_of(notes), cookie=cookie)

    assert django_app.calls == 2
    assert "Handover matters." not in after.text


def test_memberships_deleted_in_bulk_end_the_copies(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User
) -> None:
    cookie = cookie_of(member)
    fetch(cached, address_of(notes), cookie=cookie)

    SpaceMembership.objects.filter(user=member).delete()  # as the admin's "delete selected" does
    fetch(cached, address_of(notes), cookie=cookie)

    assert django_app.calls == 2


def test_a_second_factor_deleted_in_bulk_sends_staff_to_set_one_up_again(
    cached: ViewerCache, notes: Page, moderator: User, admin: User, settings: Any
) -> None:
    settings.REQUIRE_MFA_FOR_STAFF = True
    kinds = Authenticator.Type
    Authenticator.objects.create(user=moderator, type=kinds.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    Authenticator.objects.create(user=moderator, type=kinds.RECOVERY_CODES, data={"seed": "00" * 20})
    cookie = cookie_of(moderator)
    assert fetch(cached, address_of(notes), cookie=cookie).status == 200
    rows = Authenticator.objects.filter(user=moderator)

    LogEntry.objects.log_actions(admin.pk, rows, DELETION)  # what the admin's bulk deletion logs
    rows.delete()
    again = fetch(cached, address_of(notes), cookie=cookie)

    assert again.status == 302


def test_one_member_cannot_push_everyone_elses_copies_out(
    django_app: Counting, version: ContentVersion, notes: Page, member: User, facilitator: User
) -> None:
    cache = ViewerCache(django_app, entries=PER_SESSION + 5, version=lambda: version)
    theirs = cookie_of(facilitator)
    fetch(cache, address_of(notes), cookie=theirs)
    mine = cookie_of(member)

    for n in range(PER_SESSION + 10):
        fetch(cache, address_of(notes) + f"?n={n}", cookie=mine)
    calls = django_app.calls
    fetch(cache, address_of(notes), cookie=theirs)

    assert django_app.calls == calls
    assert sum(key[0] == "session:" + session_key_of(mine) for key in cache.entries) == PER_SESSION


def test_an_answer_too_big_to_keep_is_passed_on_whole_and_not_kept(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("coproduce.core.viewercache.MAX_BODY_BYTES", 1000)
    cookie = cookie_of(member)

    first = fetch(cached, address_of(notes), cookie=cookie)
    fetch(cached, address_of(notes), cookie=cookie)

    assert "Handover matters." in first.text
    assert int(first.headers["content-length"]) == len(first.text.encode())
    assert django_app.calls == 2
    assert not cached.entries


# --- scripts with an API token ------------------------------------------------------------------


def bearer(user: User) -> dict[str, str]:
    _, raw = token_create(user=user, name="script", actor=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_a_scripts_search_is_answered_from_memory_the_second_time(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User
) -> None:
    token = bearer(member)

    first = fetch(cached, "/api/v1/search?q=handover", **token)
    second = fetch(cached, "/api/v1/search?q=handover", **token)

    assert first.status == second.status == 200
    assert second.headers["content-type"].startswith("application/json")
    assert second.text == first.text
    assert "Ward notes" in second.text  # in the members' space: the token's owner may read it
    assert django_app.calls == 1


def test_another_token_never_gets_the_first_tokens_answer(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User, outsider: User
) -> None:
    fetch(cached, "/api/v1/search?q=handover", **bearer(member))

    theirs = fetch(cached, "/api/v1/search?q=handover", **bearer(outsider))

    assert django_app.calls == 2
    assert "Ward notes" not in theirs.text


def test_a_token_revoked_anywhere_gets_no_more_answers_from_memory(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User
) -> None:
    token = bearer(member)
    fetch(cached, "/api/v1/search?q=handover", **token)

    ApiToken.objects.filter(user=member).update(revoked_at=notes.created_at)  # no audit entry
    after = fetch(cached, "/api/v1/search?q=handover", **token)

    assert django_app.calls == 2
    assert after.status == 401
    assert "Ward notes" not in after.text


def test_a_token_revoked_by_its_owner_is_refused_at_once(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User
) -> None:
    token = bearer(member)
    fetch(cached, "/api/v1/search?q=handover", **token)

    token_revoke(token=ApiToken.objects.get(user=member), actor=member)

    assert fetch(cached, "/api/v1/search?q=handover", **token).status == 401


def test_a_scripts_search_sees_a_page_changed_since(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User, facilitator: User
) -> None:
    token = bearer(member)
    assert "Ward notes" not in fetch(cached, "/api/v1/search?q=discharge", **token).text

    page_save(page=notes, actor=facilitator, body="Discharge letters.", base_revision=notes.head)

    assert "Ward notes" in fetch(cached, "/api/v1/search?q=discharge", **token).text
    assert django_app.calls == 2


def test_a_request_with_both_a_session_and_a_token_always_goes_to_django(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User
) -> None:
    token, cookie = bearer(member), cookie_of(member)

    fetch(cached, "/api/v1/search?q=handover", cookie=cookie, **token)
    fetch(cached, "/api/v1/search?q=handover", cookie=cookie, **token)

    assert django_app.calls == 2


def test_api_answers_that_did_not_opt_in_are_never_kept(
    cached: ViewerCache, django_app: Counting, notes: Page, member: User
) -> None:
    token = bearer(member)

    fetch(cached, "/api/v1/me", **token)
    fetch(cached, "/api/v1/me", **token)

    assert django_app.calls == 2
