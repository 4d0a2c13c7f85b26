"""Hostile input: oversize and malformed JSON, path traversal and polyglot uploads, ReDoS on the guard.

Each attack must fail safely: a stable error code (never a 500), a message for a person, and
nothing already stored lost or changed.
"""

from __future__ import annotations

import gc
import json
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.governance import safety
from coproduce.wiki import services as wiki_services
from coproduce.wiki.models import Attachment, Page

pytestmark = pytest.mark.django_db

# --- JSON ---------------------------------------------------------------------------------------------

MALFORMED: dict[str, bytes] = {
    "not-json": b"title=x&body=y",
    "truncated": b'{"title": "x", "body": ',
    "trailing-garbage": b'{"title": "x", "body": "y"} extra',
    "single-quotes": b"{'title': 'x'}",
    "empty": b"",
    "invalid-utf8": b'{"title": "\xff\xfe", "body": "y"}',
    "nan": b'{"title": NaN, "body": "y"}',
    "deeply-nested": b'{"title": ' + b"[" * 100_000 + b"]" * 100_000 + b', "body": "y"}',
}

WRONG_SHAPE: dict[str, Any] = {
    "array": [{"title": "x", "body": "y"}],
    "string": "title",
    "null": None,
    "number": 7,
    "wrong-types": {"title": 123, "body": ["y"], "summary": {"a": 1}},
    "huge-number": {"title": "x", "body": "y", "base_revision": 10**400},
    "unknown-field": {"title": "x", "body": "y", "author": "ada"},
    "missing-fields": {},
    "overlong-title": {"title": "x" * 10_000, "body": "y"},
}

# Characters a database or an encoder may choke on: must be refused or stored, never a 500.
AWKWARD_TEXT: dict[str, bytes] = {
    "nul-character": b'{"title": "Nul \\u0000 title", "body": "Nul \\u0000 body"}',
    "lone-surrogate": b'{"title": "Half \\ud800 a pair", "body": "Half \\udfff a pair"}',
    "non-characters": b'{"title": "Odd \\uffff \\ufffe", "body": "Odd \\ufdd0"}',
}


def api_targets(space: Space, page: Page) -> list[tuple[str, str]]:
    """Every JSON endpoint a member can write to (method, path)."""
    base = f"/api/v1/spaces/{space.slug}/pages"
    return [
        ("post", base),
        ("put", f"{base}/{page.slug}"),
        ("post", f"{base}/{page.slug}/comments"),
        ("post", f"{base}/{page.slug}/revert"),
        ("post", "/api/v1/safety/scan"),
        ("post", "/api/v1/flags"),
        ("post", "/api/v1/papers"),
        ("post", "/api/v1/spaces"),
        ("put", "/api/v1/me/notification-settings"),
        ("post", "/api/v1/applications"),
    ]


@pytest.fixture
def page(public_space: Space, member: User) -> Page:
    return wiki_services.page_create(space=public_space, actor=member, title="Powers", body="Kept text")


def send(client: Client, method: str, path: str, body: bytes, content_type: str = "application/json") -> Any:
    cache.clear()  # rate limits are not what these tests are about
    return getattr(client, method)(path, body, content_type=content_type)


def assert_page_untouched(page: Page) -> None:
    page.refresh_from_db()
    assert page.title == "Powers"
    assert page.revisions.count() == 1
    assert Page.objects.filter(space=page.space).count() == 1


def test_malformed_json_gets_a_400_with_a_stable_code_everywhere(page: Page, member: User) -> None:
    client, wrong = client_for(member), []
    for method, path in api_targets(page.space, page):
        for name, body in MALFORMED.items():
            response = send(client, method, path, body)
            code = response.json().get("error", {}).get("code") if response.status_code < 500 else None
            if response.status_code != 400 or code not in ("malformed_json", "invalid_input"):
                wrong.append(f"{method} {path} {name}: {response.status_code} {response.content[:160]!r}")
    assert not wrong, "\n".join(wrong)
    assert_page_untouched(page)


def test_json_of_the_wrong_shape_gets_a_400_naming_the_problem(page: Page, member: User) -> None:
    client, wrong = client_for(member), []
    for method, path in api_targets(page.space, page):
        for name, value in WRONG_SHAPE.items():
            response = send(client, method, path, json.dumps(value).encode())
            if response.status_code >= 500 or (response.status_code < 400 and name != "missing-fields"):
                wrong.append(f"{method} {path} {name}: {response.status_code}")
                continue
            error = response.json().get("error", {})
            if response.status_code in (400, 422) and not (error.get("code") and error.get("message")):
                wrong.append(f"{method} {path} {name}: no code or message in {response.content[:160]!r}")
    assert not wrong, "\n".join(wrong)
    assert_page_untouched(page)


def test_awkward_characters_are_refused_or_stored_never_a_server_error(page: Page, member: User) -> None:
    client, wrong = client_for(member), []
    for method, path in api_targets(page.space, page):
        for name, body in AWKWARD_TEXT.items():
            response = send(client, method, path, body)
            if response.status_code >= 500:
                wrong.append(f"{method} {path} {name}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_a_request_body_over_the_limit_gets_413_and_nothing_is_stored(page: Page, member: User) -> None:
    client = client_for(member)
    oversize = json.dumps(
        {"title": "Big", "body": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)}
    ).encode()
    for method, path in api_targets(page.space, page):
        response = send(client, method, path, oversize)

        assert response.status_code == 413, (method, path, response.status_code)
        assert response.json()["error"]["code"] == "too_large"
        assert response.json()["error"]["message"]
    assert_page_untouched(page)


def test_an_oversize_html_form_is_refused_with_a_clear_page_not_a_server_error(
    page: Page, member: User
) -> None:
    response = client_for(member).post(
        reverse("wiki:create", args=[page.space.slug]),
        {"title": "Big", "body": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)},
    )

    assert response.status_code in (400, 413)
    assert b"<html" in response.content.lower()
    assert_page_untouched(page)


def test_a_body_just_under_the_page_limit_is_refused_with_the_limit_named(page: Page, member: User) -> None:
    body = "word " * (settings.WIKI_MAX_BODY_CHARS // 5 + 10)
    response = client_for(member).post(
        f"/api/v1/spaces/{page.space.slug}/pages",
        {"title": "Long", "body": body},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert_page_untouched(page)


# --- uploads ------------------------------------------------------------------------------------------

TRAVERSAL_NAMES = [
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "/etc/passwd.txt",
    "notes/../../../escape.txt",
    "%2e%2e%2f%2e%2e%2fescape.txt",
    "....//....//escape.txt",
    "nul\x00.txt",
    "notes.txt\u202egpj.exe",
    "CON.txt",
    ".htaccess",
    "a" * 400 + ".txt",
    " ",
    "..",
    "notes\r\nSet-Cookie: planted=1.txt",
    'notes.txt"; filename="evil.html',
    "notes.txt; filename*=UTF-8''evil.html",
]


def upload(client: Client, page: Page, name: str, data: bytes, content_type: str = "text/plain") -> Any:
    cache.clear()
    return client.post(
        reverse("wiki:attachments", args=[page.space.slug, page.slug]),
        {"file": SimpleUploadedFile(name, data, content_type)},
    )


def upload_raw(client: Client, page: Page, name: str, data: bytes) -> Any:
    """A multipart body written by hand, so the file name arrives exactly as an attacker sends it
    (the test client's own files keep only the base name)."""
    cache.clear()
    boundary = "AttackBoundary7MA4YWxkTrZu0gW"
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
            f"Content-Type: text/plain\r\n\r\n"
        ).encode("utf-8", "surrogatepass")
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        reverse("wiki:attachments", args=[page.space.slug, page.slug]),
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_path_traversal_in_an_upload_name_never_writes_outside_the_media_folder(
    page: Page, member: User, tmp_path: Path
) -> None:
    client, wrong = client_for(member), []
    media = Path(settings.MEDIA_ROOT).resolve()
    for name in TRAVERSAL_NAMES:
        before = set(tmp_path.rglob("*"))
        response = upload_raw(client, page, name, b"plain notes\n")
        if response.status_code not in (200, 302):
            wrong.append(f"{name!r}: {response.status_code}")
        outside = [p for p in set(tmp_path.rglob("*")) - before if not p.resolve().is_relative_to(media)]
        if outside:
            wrong.append(f"{name!r} wrote {outside}")
    # Most are accepted under a cleaned name (passwd.txt, win.txt, escape.txt...), which is the point.
    assert Attachment.objects.filter(page=page).count() >= 10
    for attachment in Attachment.objects.filter(page=page):
        stored = Path(attachment.file.path).resolve()
        if not stored.is_relative_to(media):
            wrong.append(f"{attachment.name!r} stored at {stored}")
        if any(bad in attachment.name for bad in ("/", "\\", "\x00", "\u202e")) or attachment.name.startswith(
            ".."
        ):
            wrong.append(f"shown name {attachment.name!r}")
        download = client.get(
            reverse("wiki:attachment", args=[page.space.slug, page.slug, attachment.pk, attachment.name])
        )
        if download.status_code != 200 or not download["Content-Disposition"].startswith("attachment"):
            wrong.append(
                f"{attachment.name!r} served {download.status_code} {download.get('Content-Disposition')}"
            )
    assert not wrong, "\n".join(wrong)
    assert not (tmp_path.parent / "escape.txt").exists()


RASTER_IMAGES = {"image/gif", "image/png", "image/jpeg", "image/webp"}
ACTIVE_TYPES = {
    "text/html",
    "image/svg+xml",
    "application/xhtml+xml",
    "application/javascript",
    "text/javascript",
    "text/xml",
    "application/xml",
}
POLYGLOT_GIF = b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00;*/=1;<script>alert(document.domain)</script>"
SVG_WITH_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>\n'
)
HTML_PAGE = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("picture.gif", POLYGLOT_GIF, "image/gif"),
        ("picture.html", POLYGLOT_GIF, "text/html"),
        ("drawing.svg", SVG_WITH_SCRIPT, "image/svg+xml"),
        ("drawing.png", SVG_WITH_SCRIPT, "image/png"),
        ("page.html", HTML_PAGE, "text/html"),
        ("page.txt", HTML_PAGE, "text/plain"),
        ("page.htm", HTML_PAGE, "text/plain"),
        ("script.js", b"alert(1)", "application/javascript"),
    ],
)
def test_a_hostile_file_is_refused_or_served_only_as_a_download_that_cannot_run(
    name: str, data: bytes, content_type: str, page: Page, member: User, outsider: User
) -> None:
    client = client_for(member)
    response = upload(client, page, name, data, content_type)

    assert response.status_code in (200, 302)
    attachment = Attachment.objects.filter(page=page).first()
    if attachment is None:  # refused: the form says why and keeps the page as it was
        assert response.status_code == 200
        assert b"nhsuk-error-message" in response.content or b"error-summary" in response.content
        return
    for reader in (client, client_for(outsider), Client()):
        served = reader.get(
            reverse("wiki:attachment", args=[page.space.slug, page.slug, attachment.pk, attachment.name])
        )
        assert served.status_code == 200
        assert served["X-Content-Type-Options"] == "nosniff"
        kind = served["Content-Type"].split(";")[0].strip().lower()
        if served["Content-Disposition"].startswith("inline"):  # only plain raster images are shown
            assert kind in RASTER_IMAGES, kind
        else:
            assert served["Content-Disposition"].startswith("attachment")
        assert kind not in ACTIVE_TYPES, kind
        assert "sandbox" in served.get("Content-Security-Policy", "")


# --- ReDoS on the guard -------------------------------------------------------------------------------

MEGABYTE = 1024 * 1024


def _fill(unit: str) -> str:
    return (unit * (MEGABYTE // len(unit) + 1))[:MEGABYTE]


ADVERSARIAL = {
    "digit-run": _fill("9"),
    "digits-with-spaces": _fill("999 "),
    "digits-with-mixed-separators": _fill("9-9 9.9/9 "),
    "almost-nhs-numbers": _fill("999 000 001 "),
    "phone-like": _fill("+44 (0) 20 "),
    "titles": _fill("Mr "),
    "titles-and-names": _fill("Mr John Smith "),
    "at-signs": _fill("a@"),
    "dotted-at-signs": _fill("a.a@a."),
    "dates": _fill("01/02/1980 "),
    "date-words": _fill("born 1 Jan "),
    "postcode-like": _fill("SW1A 1A"),
    "postcode-letters": _fill("AA9A "),
    "hospital-number-like": _fill("RXH0 "),
    "clinical-words": _fill("diagnosed with "),
    "no-spaces-letters": _fill("a"),
    "unicode-digits": _fill("\u0669\u0661 "),
    "mixed": _fill("Mr A Smith DOB 01/02/1980 NHS 999 000 0018 a@b.c SW1A 1AA "),
}


# Timed in CPU seconds of this process, so that a busy shared machine does not fail the tests, with a
# generous bound: this is a safety net against catastrophic backtracking (which takes minutes, not
# seconds); the target of one second per megabyte is measured by the guard's benchmark.
# Measured alone on the CI machine: 0.03-0.69 s per megabyte, the worst being phone-like text; inside
# the test run, with other processes on the two cores, up to about 1 s.
BOUND_SECONDS = 2.0


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_the_guard_scans_a_megabyte_of_adversarial_text_within_the_safety_bound(text: str) -> None:
    gc.collect()
    started = time.process_time()
    safety.scan(text)
    elapsed = time.process_time() - started

    assert elapsed < BOUND_SECONDS, f"{elapsed:.2f} s"


def _timed_scan(text: str) -> float:
    """The best of three runs: the scan's own cost, not a busy machine's noise (one run in CI once
    took three times as long as the others)."""
    times = []
    for _ in range(3):
        started = time.process_time()
        safety.scan(text)
        times.append(time.process_time() - started)
    return min(times)


def test_the_guards_time_grows_linearly_with_adversarial_text() -> None:
    superlinear = {}
    for name, text in ADVERSARIAL.items():
        small, large = _timed_scan(text[: 32 * 1024]), _timed_scan(text[: 256 * 1024])
        # Eight times the text: linear is about 8 times the time, quadratic 64.
        if large > 0.05 and large > 24 * max(small, 0.005):
            superlinear[name] = f"{small:.3f} s -> {large:.3f} s"
    assert not superlinear, superlinear


def test_the_scan_endpoint_answers_a_large_adversarial_text_quickly(member: User) -> None:
    text = _fill("999 ")[: settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2]
    started = time.process_time()
    response = client_for(member).post("/api/v1/safety/scan", {"text": text}, content_type="application/json")
    elapsed = time.process_time() - started

    assert response.status_code in (200, 400, 413)
    assert elapsed < 5.0, f"{elapsed:.2f} s"


# --- numbers out of range -----------------------------------------------------------------------------

BIG = "9" * 30  # more than any database integer; SQLite cannot even bind it


def test_ids_and_numbers_too_large_for_the_database_are_refused_never_a_server_error(
    page: Page, admin: User
) -> None:
    s, client = page.space.slug, client_for(admin)
    wiki = f"/spaces/{s}/wiki/{page.slug}/"
    api = f"/api/v1/spaces/{s}/pages/{page.slug}"
    requests: list[tuple[str, str, Any]] = [
        ("get", f"/spaces/{s}/papers/{BIG}/", None),
        ("post", f"/notifications/{BIG}/read/", {}),
        ("get", f"{wiki}revisions/{BIG}/", None),
        ("get", f"{wiki}diff/?from={BIG}&to=1", None),
        ("get", f"{wiki}history/?page={BIG}", None),
        ("get", f"/applications/{BIG}/", None),
        ("post", f"{wiki}edit/", {"title": "Powers", "body": "x", "base_revision": BIG}),
        ("post", f"{wiki}revisions/{BIG}/revert/", {}),
        ("post", f"{wiki}comments/", {"body": "x", "parent": BIG}),
        ("post", f"/spaces/{s}/wiki/new/", {"title": "T", "body": "x", "parent": BIG}),
        ("get", f"/spaces/{s}/wiki/new/?parent={BIG}&template={BIG}", None),
        ("get", f"/search?q=x&page={BIG}", None),
        ("get", f"/notifications/?page={BIG}", None),
        ("get", f"{wiki}attachments/{BIG}/x.txt", None),
        ("get", f"/api/v1/papers/{BIG}", None),
        ("get", f"{api}/revisions/{BIG}", None),
        ("get", f"{api}/diff?from={BIG}&to=1", None),
        ("put", api, {"body": "x", "base_revision": int(BIG)}),
        ("post", f"{api}/revert", {"revision": int(BIG)}),
        ("post", f"{api}/comments", {"body": "x", "parent": int(BIG)}),
        ("post", "/api/v1/flags", {"comment": int(BIG), "reason": "spam"}),
        ("post", f"/api/v1/me/notifications/{BIG}/read", {}),
        ("get", f"/api/v1/search?q=x&page={BIG}", None),
        ("get", f"/api/v1/spaces?page={BIG}", None),
    ]
    wrong = []
    for method, path, data in requests:
        cache.clear()
        if method == "get":
            response = client.get(path)
        elif path.startswith("/api/"):
            response = getattr(client, method)(path, data, content_type="application/json")
        else:
            response = client.post(path, data)
        if response.status_code >= 500:
            wrong.append(f"{method} {path}: {response.status_code}")
        elif path.startswith("/api/") and response.status_code < 400:
            wrong.append(f"{method} {path}: accepted with {response.status_code}")
        elif path.startswith("/api/") and not response.json()["error"]["code"]:
            wrong.append(f"{method} {path}: no error code")
    assert not wrong, "\n".join(wrong)
    assert_page_untouched(page)


def test_an_application_id_too_large_for_the_database_is_refused_by_the_bulk_form(admin: User) -> None:
    response = client_for(admin).post(
        reverse("communities:applications_bulk"), {"applications": "9" * 30, "decision": "approve"}
    )

    assert response.status_code in (200, 400)
    assert "Select applications from the list." in response.content.decode()


def test_a_reply_to_a_comment_id_too_large_for_the_database_is_a_clear_error(
    member: User, members_space: Space
) -> None:
    members_space.memberships.create(user=member)
    page = wiki_services.page_create(space=members_space, actor=member, title="Replies", body="Text.")

    response = client_for(member).post(
        f"/api/v1/spaces/{members_space.slug}/pages/{page.slug}/comments",
        data=json.dumps({"body": "Hello", "parent": 10**30}),
        content_type="application/json",
    )

    assert response.status_code in (400, 422)
    assert response.json()["error"]["code"]
