"""Cookies and headers in production: __Host- cookies, HttpOnly session, CSP with nonces, HSTS,
frame-ancestors none, a referrer policy, and `coproduce check --deploy` with nothing to report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.wiki import services as wiki

COPRODUCE = str(Path(sys.executable).with_name("coproduce"))

# What an operator sets in production (README): HTTPS on by default when DEBUG is off.
PRODUCTION = {
    "COPRODUCE_SECRET_KEY": "p" * 30 + "-a-real-production-secret-for-this-test",
    "COPRODUCE_SITE_URL": "https://coproduce.example.org",
    "COPRODUCE_ALLOWED_HOSTS": "coproduce.example.org",
    "COPRODUCE_EMAIL_HOST": "smtp.example.org",
}

# Runs inside `coproduce shell` with the production settings: answers a log-in over HTTPS with
# Django's test client and prints the cookies and headers it got, as JSON.
PROBE = """
import json
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from coproduce.accounts.models import User
from django.test import override_settings
call_command("migrate", verbosity=0)
# The manifest of static files is built at set-up (collectstatic), not for this throw-away folder.
override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
    MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}).enable()
from allauth.account.models import EmailAddress
PASSWORD = "a-long-probe-passphrase-1"
user = User.objects.create_user(username="probe", email="probe@example.org", password=PASSWORD)
EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
client = Client(HTTP_HOST="coproduce.example.org")
page = client.get("/accounts/login/", secure=True)
login = client.post("/accounts/login/", {"login": "probe", "password": PASSWORD}, secure=True)
def cookies(response):
    return {name: {key: str(morsel[key]) for key in ("secure", "httponly", "path", "domain", "samesite")}
            for name, morsel in response.cookies.items()}
print(json.dumps({
    "settings": {name: getattr(settings, name) for name in (
        "SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY", "REQUIRE_MFA_FOR_STAFF", "LOCKOUT_ATTEMPTS", "LOCKOUT_MINUTES",
        "RATE_LIMIT_ADDRESS_FACTOR", "PAGE_SAVES_PER_HOUR")},
    "page_status": page.status_code,
    "page_headers": dict(page.headers),
    "page_cookies": cookies(page),
    "login_status": login.status_code,
    "login_cookies": cookies(login),
}))
"""


def run_coproduce(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("COPRODUCE_", "DATABASE_URL", "REDIS_URL"))
    }
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    clean.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env = {**clean, **PRODUCTION, "COPRODUCE_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [COPRODUCE, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_check_deploy_reports_nothing_with_the_production_settings(tmp_path: Path) -> None:
    result = run_coproduce("check", "--deploy", "--fail-level", "DEBUG", data_dir=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr + result.stdout


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    result = run_coproduce("shell", "-c", PROBE, data_dir=tmp_path_factory.mktemp("production"))
    assert result.returncode == 0, result.stderr
    probe: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return probe


def test_in_production_the_cookies_carry_the_host_prefix_and_are_secure(
    production: dict[str, object],
) -> None:
    settings = production["settings"]
    assert isinstance(settings, dict)
    assert settings["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert settings["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    page_cookies, login_cookies = production["page_cookies"], production["login_cookies"]
    assert isinstance(page_cookies, dict)
    assert isinstance(login_cookies, dict)
    assert production["login_status"] == 302
    csrf, session = page_cookies["__Host-csrftoken"], login_cookies["__Host-sessionid"]
    for cookie in (csrf, session):  # what browsers demand of a __Host- cookie
        assert cookie["secure"] == "True"
        assert cookie["path"] == "/"
        assert cookie["domain"] == ""
    assert session["httponly"] == "True"
    assert session["samesite"] == "Lax"


def test_in_production_the_headers_protect_every_page(production: dict[str, object]) -> None:
    headers = production["page_headers"]
    assert isinstance(headers, dict)
    assert production["page_status"] == 200
    csp = headers["Content-Security-Policy"]
    assert re.search(r"script-src 'self' 'nonce-[\w-]+'", csp)
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_in_production_the_new_settings_have_their_documented_defaults(production: dict[str, object]) -> None:
    settings = production["settings"]
    assert isinstance(settings, dict)
    assert settings["REQUIRE_MFA_FOR_STAFF"] is True
    assert settings["LOCKOUT_ATTEMPTS"] == 10
    assert settings["LOCKOUT_MINUTES"] == 15
    assert settings["RATE_LIMIT_ADDRESS_FACTOR"] == 20
    assert settings["PAGE_SAVES_PER_HOUR"] == 120


# --- every inline script carries the nonce ---------------------------------------------------


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str | None] = []  # the nonce of each inline <script>
        self.handlers: list[str] = []  # inline event handlers (onclick=...), which no nonce can allow

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and "src" not in found:
            self.inline.append(found.get("nonce"))
        self.handlers += [f"<{tag} {name}>" for name, _ in attrs if name.startswith("on")]


def nonce_problems(response: object) -> list[str]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    match = re.search(r"'nonce-([\w-]+)'", header)
    assert match, header
    parser = _Scripts()
    parser.feed(response.content.decode())  # type: ignore[attr-defined]
    assert parser.inline, "expected the layout's inline scripts"
    problems = [f"inline script with nonce {nonce!r}" for nonce in parser.inline if nonce != match.group(1)]
    return problems + parser.handlers


@pytest.mark.django_db
def test_every_inline_script_on_the_main_pages_carries_the_pages_nonce(
    member: User, facilitator: User, members_space: Space, anonymous: Client
) -> None:
    page = wiki.page_create(space=members_space, actor=facilitator, title="Hints", body="Some **text**.")
    signed_in = client_for(member)
    pages = {
        "home (anonymous)": anonymous.get(reverse("core:home")),
        "log in": anonymous.get(reverse("account_login")),
        "sign up": anonymous.get(reverse("account_signup")),
        "apply": anonymous.get(reverse("communities:apply")),
        "home": signed_in.get(reverse("core:home")),
        "profile": signed_in.get(reverse("accounts:profile")),
        "space": signed_in.get(reverse("communities:space", args=[members_space.slug])),
        "wiki page": signed_in.get(reverse("wiki:page", args=[members_space.slug, page.slug])),
        "wiki edit": signed_in.get(reverse("wiki:edit", args=[members_space.slug, page.slug])),
        "search": signed_in.get("/search?q=hints"),
        "second factor": signed_in.get(reverse("accounts:second_factor_required")),
    }

    for name, response in pages.items():
        assert response.status_code == 200, name
        assert nonce_problems(response) == [], name


@pytest.mark.django_db
def test_each_response_gets_a_fresh_nonce(anonymous: Client) -> None:
    first = anonymous.get(reverse("account_login"))["Content-Security-Policy"]
    second = anonymous.get(reverse("account_login"))["Content-Security-Policy"]

    assert re.search(r"'nonce-([\w-]+)'", first)
    assert first != second


def test_the_anonymous_page_cache_treats_a_host_prefixed_session_cookie_as_personal() -> None:
    from coproduce.core.pagecache import _PERSONAL_COOKIES

    assert _PERSONAL_COOKIES.search(b"__Host-csrftoken=abc; __Host-sessionid=xyz")
    assert _PERSONAL_COOKIES.search(b"sessionid=xyz")
    assert not _PERSONAL_COOKIES.search(b"__Host-csrftoken=abc")


def test_check_deploy_warns_when_abuse_limits_or_the_staff_second_factor_are_switched_off(
    settings: Any,
) -> None:
    from coproduce.core.checks import check_sign_in_protection

    settings.RATE_LIMITS_ENABLED, settings.REQUIRE_MFA_FOR_STAFF = True, True
    assert check_sign_in_protection() == []
    settings.RATE_LIMITS_ENABLED, settings.REQUIRE_MFA_FOR_STAFF = False, False
    assert [message.id for message in check_sign_in_protection()] == ["coproduce.W003", "coproduce.W004"]
