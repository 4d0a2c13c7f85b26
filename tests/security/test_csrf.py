"""CSRF: every state-changing request from a signed-in browser needs the CSRF token.

The routes are enumerated from the URL configuration, so a new view is attacked the day it is added.
A POST without the token must be refused with 403 before the view runs; the only routes allowed to
skip Django's check are listed in EXEMPT with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.core.pagecache import MARKER
from coproduce.governance.models import AuditEntry
from coproduce.wiki import services as wiki_services

pytestmark = pytest.mark.django_db

# Routes allowed to skip Django's CSRF middleware, and why.
EXEMPT = {
    # The link in a notification e-mail is followed from a mail client, with no session: the signed,
    # expiring token in the address is the authorisation, and it only turns e-mails off.
    "notifications:unsubscribe": "signed one-purpose token instead of a session",
}
# The JSON API is exempt from the middleware as a whole (token callers send no cookie); it runs the
# same check itself for callers who come with a session cookie (coproduce/api/auth.py).
API_PREFIX = "api/v1/"
# API operations that never use the caller's session, so there is nothing to forge.
API_WITHOUT_SESSION = {("POST", "/api/v1/applications"): "anyone may apply; the caller's session is not used"}


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    exempt: bool


def _routes(
    patterns: list[URLPattern | URLResolver], namespace: str = "", prefix: str = ""
) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = (
                f"{namespace}:{entry.namespace}"
                if namespace and entry.namespace
                else entry.namespace or namespace
            )
            yield from _routes(entry.url_patterns, inner or "", prefix + str(entry.pattern))
            continue
        route = prefix + str(entry.pattern)
        if route.startswith("django-admin/") or not entry.name:
            continue
        name = f"{namespace}:{entry.name}" if namespace else entry.name
        pattern = entry.pattern
        names = list(getattr(pattern, "converters", {})) or list(pattern.regex.groupindex)
        converters = getattr(pattern, "converters", {})
        kwargs = {key: 1 if type(converters.get(key)).__name__ == "IntConverter" else "abc1" for key in names}
        try:
            path = reverse(name, kwargs=kwargs)
        except Exception:  # noqa: BLE001  (a route whose arguments we cannot guess is reported below)
            path = ""
        yield Route(name=name, path=path, exempt=bool(getattr(entry.callback, "csrf_exempt", False)))


def all_routes() -> list[Route]:
    return list(_routes(get_resolver().url_patterns))


HTML_ROUTES = [r for r in all_routes() if not r.path.startswith("/" + API_PREFIX)]
API_PATHS = sorted({r.path for r in all_routes() if r.path.startswith("/" + API_PREFIX) and r.exempt})


def test_every_html_route_can_be_addressed_for_the_attack() -> None:
    unaddressable = [r.name for r in HTML_ROUTES if not r.path]
    assert not unaddressable, f"add argument values for: {unaddressable}"
    assert len(HTML_ROUTES) > 50


def test_only_the_listed_html_routes_skip_the_csrf_check() -> None:
    exempt = {r.name for r in HTML_ROUTES if r.exempt}
    assert exempt == set(EXEMPT)


def forging_client(person: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(person)
    return client


def test_a_forged_post_to_any_html_route_is_refused_before_the_view_runs(member: User, admin: User) -> None:
    before = AuditEntry.objects.count()
    accepted: list[str] = []
    for person in (member, admin):
        client = forging_client(person)
        for route in HTML_ROUTES:
            if route.exempt:
                continue
            response = client.post(route.path, {"name": "Forged", "title": "Forged", "body": "Forged"})
            if response.status_code != 403 or "csrf" not in response.content.decode().lower():
                accepted.append(f"{route.name} {route.path} as {person.username}: {response.status_code}")

    assert not accepted, "\n".join(accepted)
    assert AuditEntry.objects.count() == before


def test_a_post_with_the_token_gets_through_so_the_refusals_above_are_about_csrf(member: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    form = client.get(reverse("accounts:profile"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode())
    assert token is not None

    response = client.post(
        reverse("accounts:profile"),
        {"csrfmiddlewaretoken": token.group(1), "name": "Meera Patel", "organisation": "Northshire"},
    )

    assert response.status_code in (200, 302)
    member.refresh_from_db()
    assert member.name == "Meera Patel"


def test_a_forged_api_call_with_a_session_cookie_is_refused(member: User) -> None:
    client = forging_client(member)
    before = AuditEntry.objects.count()
    accepted: list[str] = []
    for path in API_PATHS:
        concrete = re.sub(r"<(?:int:)?(\w+)>", "1", path)
        for method in ("post", "put", "delete"):
            if (method.upper(), concrete) in API_WITHOUT_SESSION:
                continue
            response = getattr(client, method)(concrete, {"title": "Forged"}, content_type="application/json")
            if response.status_code == 405:
                continue  # no such operation on this path
            if response.status_code != 403 or response.json()["error"]["code"] != "csrf_failed":
                accepted.append(
                    f"{method.upper()} {concrete}: {response.status_code} {response.content[:200]!r}"
                )

    assert not accepted, "\n".join(accepted)
    assert AuditEntry.objects.count() == before
    assert len(API_PATHS) > 20


def test_pages_kept_for_anonymous_readers_carry_no_csrf_token_and_no_cookie(
    public_space: Space, facilitator: User, member: User
) -> None:
    """The anonymous page cache (core/pagecache.py) serves one copy to everyone: a token in it
    would be handed to every reader, and a signed-in reader's page must never be kept."""
    page = wiki_services.page_create(space=public_space, actor=facilitator, title="Open", body="Text")
    addresses = ["/", f"/spaces/{public_space.slug}/", f"/spaces/{public_space.slug}/wiki/"]
    addresses.append(f"/spaces/{public_space.slug}/wiki/{page.slug}/")
    visitor = Client()
    visitor.get(reverse("account_login"))  # now holds a CSRF cookie, as most visitors do
    for url in addresses:
        kept = visitor.get(url)
        assert kept.status_code == 200
        assert kept.get(MARKER) is not None, url
        assert b"csrfmiddlewaretoken" not in kept.content, url
        assert not kept.cookies, url
        assert client_for(member).get(url).get(MARKER) is None, url
