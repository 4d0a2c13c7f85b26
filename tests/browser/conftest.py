"""Browser tests: a real Chromium, driven by Playwright, against Django's live server.

How to write one:

    @pytest.mark.browser
    def test_a_member_sees_the_masterclass(page: Page, site: str, log_in: LogIn, axe_check: AxeCheck,
                                           member: User, members_space: Space) -> None:
        log_in(page, member)
        page.goto(site + "/")
        expect(page.get_by_role("link", name="Masterclass")).to_be_visible()
        axe_check(page)

What the fixtures guarantee:
- `page` belongs to a fresh browser context whose every request is checked: requests to
  the live server (127.0.0.1, localhost, [::1]) go through; any other host is aborted and
  recorded, and the test then fails at teardown. Content-Security-Policy violations and
  uncaught JavaScript errors fail it too. `browser_log` holds what was recorded.
- `axe_check(page)` runs axe-core with the WCAG 2.0, 2.1 and 2.2 A and AA rules on the
  page as it is now and fails with a readable list of violations.
- `log_in(page, user)` signs the page's context in as `user` without the log-in form.

The type aliases for annotations: `from tests.browser.conftest import AxeCheck, BrowserLog, LogIn`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client, override_settings
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Route, sync_playwright
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from coproduce.accounts.models import User

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

type AxeCheck = Callable[..., None]
type LogIn = Callable[[Page, User], None]


@dataclass
class BrowserLog:
    """What a page did that fails the test: off-site requests, CSP violations, script errors."""

    offsite: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"off-site request: {url}" for url in self.offsite]
            + [f"CSP violation: {text}" for text in self.csp_violations]
            + [f"JavaScript error: {text}" for text in self.page_errors]
        )

    def clear(self) -> None:
        self.offsite.clear()
        self.csp_violations.clear()
        self.page_errors.clear()


def is_on_site(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOOPBACK_HOSTS


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"The browser tests need Debian's chromium at {CHROMIUM}: apt-get install chromium")
    # Playwright's sync API keeps an asyncio event loop running in this thread for as long as it
    # is started, which makes Django refuse ORM calls from the (synchronous) test code with
    # SynchronousOnlyOperation. Allow them while the browser is up.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# What a browser talking plain HTTP to the live server needs, set for each browser test.
BROWSER_TEST_SETTINGS: dict[str, Any] = {
    "SECURE_SSL_REDIRECT": False,
    "SESSION_COOKIE_SECURE": False,  # a Secure cookie would not come back over http://
    "CSRF_COOKIE_SECURE": False,
    # The live server serves static files from the finders under their own names: no manifest.
    "STORAGES": {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
}


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """pytest-django's live server, without the HTTPS redirect.

    SecurityMiddleware reads SECURE_SSL_REDIRECT once, when the server builds its handler,
    so it must be off while the server starts; after that the override is not needed.
    """
    address = request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
    with override_settings(SECURE_SSL_REDIRECT=False):
        server = LiveServer(address or "localhost")
    yield server
    server.stop()


@pytest.fixture
def site(live_server: LiveServer, transactional_db: None, settings: Settings) -> str:
    """The live server's base URL, without a trailing slash."""
    for name, value in BROWSER_TEST_SETTINGS.items():
        setattr(settings, name, value)
    return live_server.url.rstrip("/")


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


@pytest.fixture
def page(browser: Browser, site: str, browser_log: BrowserLog) -> Iterator[Page]:
    context = browser.new_context(base_url=site, locale="en-GB", viewport={"width": 1280, "height": 900})

    def guard(route: Route) -> None:
        if is_on_site(route.request.url):
            route.continue_()
        else:
            browser_log.offsite.append(route.request.url)
            route.abort("blockedbyclient")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            browser_log.csp_violations.append(message.text)

    def on_page_error(error: Error) -> None:
        browser_log.page_errors.append(f"{error.name}: {error.message}")

    context.route("**/*", guard)
    page = context.new_page()
    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    yield page
    context.close()
    problems = browser_log.problems()
    if problems:
        pytest.fail("The page did what it must not:\n" + "\n".join(problems), pytrace=False)


def _axe_source() -> str:
    if not AXE_PATH.exists():
        pytest.fail(f"axe-core is missing at {AXE_PATH}: run scripts/setup.sh (npm ci)")
    return AXE_PATH.read_text(encoding="utf-8")


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation['help']}")
        for node in violation["nodes"][:10]:
            target = " ".join(str(part) for part in node["target"])
            summary = " ".join(str(node.get("failureSummary", "")).split())
            lines.append(f"    at {target}\n      {summary}\n      {node['html'][:200]}")
        if len(violation["nodes"]) > 10:
            lines.append(f"    … and {len(violation['nodes']) - 10} more")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def axe_check() -> AxeCheck:
    """`axe_check(page, disable=("rule-id",))`: no WCAG 2.x A/AA violations on the page as it is now."""
    source = _axe_source()

    def check(page: Page, *, disable: tuple[str, ...] = ()) -> None:
        page.wait_for_load_state("load")
        if page.evaluate("() => typeof window.axe") != "object":
            # Evaluated through the DevTools protocol, not as a <script>: the page's CSP stays intact.
            page.evaluate("() => {\n" + source + "\n}")
        options: dict[str, Any] = {
            "runOnly": {"type": "tag", "values": WCAG_TAGS},
            "rules": {rule: {"enabled": False} for rule in disable},
            "resultTypes": ["violations"],
        }
        violations: list[dict[str, Any]] = page.evaluate(
            "async (options) => (await window.axe.run(document, options)).violations", options
        )
        assert not violations, (
            f"axe found {len(violations)} accessibility problem(s) on {page.url}:\n"
            + format_violations(violations)
        )

    return check


@pytest.fixture
def log_in(site: str) -> LogIn:
    """`log_in(page, user)`: the page's browser context is signed in as `user`."""

    def sign_in(page: Page, user: User) -> None:
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": site}])

    return sign_in
