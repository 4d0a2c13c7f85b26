"""Wiki pages through the API: create, read, save with merge and conflict, history, diff, revert."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from coproduce.accounts.models import User
from coproduce.api.tests.test_api_basics import bearer, post_json
from coproduce.communities.models import Space
from coproduce.governance.models import AuditEntry
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db

BODY = "# Powers\n\nRapid sharing.\n\n# Perils\n\nPatient data.\n"


def put_json(client: Client, path: str, body: Any, headers: dict[str, str]) -> Any:
    return client.put(path, data=json.dumps(body), content_type="application/json", headers=headers)


@pytest.fixture
def created(members_space: Space, member: User, anonymous: Client) -> dict[str, Any]:
    response = post_json(
        anonymous,
        "/api/v1/spaces/masterclass/pages",
        {"title": "Emerging issues", "body": BODY, "summary": "First draft"},
        headers=bearer(member),
    )
    assert response.status_code == 201, response.content
    result: dict[str, Any] = response.json()
    return result


def test_a_member_creates_a_page_and_gets_its_html_and_url(created: dict[str, Any]) -> None:
    assert created["slug"] == "emerging-issues"
    assert created["revision"] == 1
    assert "<h2>Powers</h2>" in created["html"]  # the page title is the only h1
    assert created["url"].endswith("/spaces/masterclass/wiki/emerging-issues/")
    assert AuditEntry.objects.filter(action="page.create").exists()


def test_reading_a_page_needs_read_access_and_hides_its_existence(
    created: dict[str, Any], member: User, outsider: User, anonymous: Client
) -> None:
    path = "/api/v1/spaces/masterclass/pages/emerging-issues"
    assert anonymous.get(path, headers=bearer(member)).json()["body"] == BODY
    assert anonymous.get(path, headers=bearer(outsider)).status_code == 404
    assert anonymous.get(path).status_code == 404


def test_an_outsider_cannot_create_pages(members_space: Space, outsider: User, anonymous: Client) -> None:
    response = post_json(
        anonymous, "/api/v1/spaces/masterclass/pages", {"title": "X", "body": "y"}, headers=bearer(outsider)
    )
    assert response.status_code == 404
    assert not Page.objects.exists()


def test_disjoint_edits_merge_and_overlapping_edits_conflict(
    created: dict[str, Any], member: User, facilitator: User, anonymous: Client
) -> None:
    path = "/api/v1/spaces/masterclass/pages/emerging-issues"
    first = put_json(
        anonymous,
        path,
        {"body": BODY.replace("Rapid sharing.", "Rapid sharing of news."), "base_revision": 1},
        headers=bearer(member),
    )
    assert first.json() == {"revision": 2, "merged": False}
    merged = put_json(
        anonymous,
        path,
        {"body": BODY.replace("Patient data.", "Patient data leaks."), "base_revision": 1},
        headers=bearer(facilitator),
    )
    assert merged.json() == {"revision": 3, "merged": True}
    body = anonymous.get(path, headers=bearer(member)).json()["body"]
    assert "Rapid sharing of news." in body
    assert "Patient data leaks." in body

    conflict = put_json(
        anonymous,
        path,
        {"body": BODY.replace("Rapid sharing.", "Slow sharing."), "base_revision": 1},
        headers=bearer(member),
    )
    assert conflict.status_code == 409
    error = conflict.json()["error"]
    assert error["code"] == "edit_conflict"
    assert error["details"]["current_revision"] == 3
    assert "Slow sharing." in error["details"]["body_with_conflicts"]
    assert "Rapid sharing of news." in error["details"]["body_with_conflicts"]
    assert Page.objects.get().head == 3


def test_a_base_revision_that_does_not_exist_gets_400(
    created: dict[str, Any], member: User, anonymous: Client
) -> None:
    path = "/api/v1/spaces/masterclass/pages/emerging-issues"
    response = put_json(anonymous, path, {"body": "x", "base_revision": 99}, headers=bearer(member))
    assert response.status_code == 400
    assert "base_revision" in response.json()["error"]["details"]["fields"]


def test_patient_data_in_a_page_gets_422_and_nothing_is_saved(
    created: dict[str, Any], member: User, anonymous: Client
) -> None:
    path = "/api/v1/spaces/masterclass/pages/emerging-issues"
    response = put_json(
        anonymous, path, {"body": BODY + "\nNHS 999 000 0018\n", "base_revision": 1}, headers=bearer(member)
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["findings"][0]["kind"] == "nhs_number"
    assert Page.objects.get().head == 1


def test_history_revision_diff_and_revert(created: dict[str, Any], member: User, anonymous: Client) -> None:
    path = "/api/v1/spaces/masterclass/pages/emerging-issues"
    put_json(
        anonymous,
        path,
        {"body": BODY.replace("Rapid", "Quick"), "base_revision": 1, "summary": "Word"},
        headers=bearer(member),
    )
    history = anonymous.get(path + "/revisions", headers=bearer(member)).json()
    assert history["count"] == 2
    assert [r["number"] for r in history["items"]] == [2, 1]
    assert history["items"][0]["summary"] == "Word"
    assert anonymous.get(path + "/revisions/1", headers=bearer(member)).json()["body"] == BODY
    diff = anonymous.get(path + "/diff?from=1&to=2", headers=bearer(member)).json()
    assert diff["from"] == 1
    assert diff["to"] == 2
    assert "-Rapid sharing." in diff["unified"]
    assert "+Quick sharing." in diff["unified"]
    reverted = post_json(anonymous, path + "/revert", {"revision": 1}, headers=bearer(member))
    assert reverted.json() == {"revision": 3}
    assert anonymous.get(path, headers=bearer(member)).json()["body"] == BODY
    assert anonymous.get(path + "/revisions/99", headers=bearer(member)).status_code == 404
    assert anonymous.get(path + "/diff?from=1&to=99", headers=bearer(member)).status_code == 404
    assert anonymous.get(path + "/diff?from=x&to=2", headers=bearer(member)).status_code == 400


def test_the_page_list_is_paginated(created: dict[str, Any], member: User, anonymous: Client) -> None:
    listed = anonymous.get("/api/v1/spaces/masterclass/pages", headers=bearer(member)).json()
    assert listed["count"] == 1
    assert listed["items"][0]["slug"] == "emerging-issues"


def test_script_in_a_page_never_reaches_the_html(
    members_space: Space, member: User, anonymous: Client
) -> None:
    body = '<script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n<img src=x onerror="alert(1)">'
    response = post_json(
        anonymous,
        "/api/v1/spaces/masterclass/pages",
        {"title": "Tricks", "body": body},
        headers=bearer(member),
    )
    html = response.json()["html"]
    assert "<script" not in html
    assert not re.search(r"""(href|src)\s*=\s*["']?\s*javascript:""", html, re.IGNORECASE)
    assert "onerror" not in html
