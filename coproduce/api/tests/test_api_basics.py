"""The API's stable surface: authentication, error format, pagination, me and safety."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from conftest import client_for
from coproduce.accounts.models import ApiToken, User
from coproduce.accounts.services import token_create

pytestmark = pytest.mark.django_db


def valid_test_nhs_number() -> str:
    for tail in range(10**6):
        digits = f"999{tail:06d}"
        total = sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check != 10:
            return f"{digits[:3]} {digits[3:6]} {digits[6:]}{check}"
    raise AssertionError("no valid number found")


def bearer(user: User) -> dict[str, str]:
    _, raw = token_create(user=user, name="tests", actor=user)
    return {"Authorization": f"Bearer {raw}"}


def post_json(client: Client, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json", headers=headers)


def test_the_openapi_document_describes_the_api(anonymous: Client) -> None:
    response = anonymous.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/me", "/api/v1/applications", "/api/v1/spaces", "/api/v1/safety/scan"} <= set(paths)


def test_me_answers_with_the_token_owner(member: User, anonymous: Client) -> None:
    response = anonymous.get("/api/v1/me", headers=bearer(member))
    assert response.status_code == 200
    assert response.json() == {"username": "meera", "name": "Meera Member", "roles": ["member"]}


def test_me_works_with_a_browser_session(admin: User) -> None:
    response = client_for(admin).get("/api/v1/me")
    assert response.json()["roles"] == ["admin"]


def test_me_needs_a_caller(anonymous: Client) -> None:
    response = anonymous.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_a_wrong_or_revoked_token_gets_401_not_anonymous_access(member: User, anonymous: Client) -> None:
    assert anonymous.get("/api/v1/spaces", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert anonymous.get("/api/v1/spaces", headers={"Authorization": "Basic abc"}).status_code == 401
    headers = bearer(member)
    ApiToken.objects.filter(user=member).update(revoked_at="2026-01-01T00:00:00Z")
    response = anonymous.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_a_session_write_without_csrf_is_refused(member: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = post_json(client, "/api/v1/safety/scan", {"text": "hello"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


def test_the_safety_scan_reports_kinds_and_positions_without_storing_anything(anonymous: Client) -> None:
    number = valid_test_nhs_number()
    text = f"Patient {number} was seen."
    response = post_json(anonymous, "/api/v1/safety/scan", {"text": text})
    assert response.status_code == 200
    findings = response.json()["findings"]
    assert {"kind": "nhs_number", "start": 8, "end": 8 + len(number)} in findings


def test_unknown_fields_are_rejected_with_a_stable_code(anonymous: Client) -> None:
    response = post_json(anonymous, "/api/v1/safety/scan", {"text": "x", "sneaky": True})
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid_input"
    assert "sneaky" in body["message"]


def test_malformed_json_gets_400_not_500(anonymous: Client) -> None:
    response = anonymous.post("/api/v1/safety/scan", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"malformed_json", "invalid_input"}


def test_a_json_body_that_is_not_an_object_gets_400(anonymous: Client) -> None:
    response = anonymous.post("/api/v1/safety/scan", data="[1, 2]", content_type="application/json")
    assert response.status_code == 400


def test_an_oversize_body_gets_413(anonymous: Client, settings: Any) -> None:
    settings.MAX_REQUEST_BYTES = 10_000
    response = post_json(anonymous, "/api/v1/safety/scan", {"text": "x" * 20_000})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_an_unknown_api_path_gets_a_json_404(anonymous: Client) -> None:
    response = anonymous.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_page_size_above_100_is_refused(anonymous: Client) -> None:
    response = anonymous.get("/api/v1/spaces?page_size=101")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_control_characters_in_text_get_400_not_a_database_error(anonymous: Client) -> None:
    response = post_json(anonymous, "/api/v1/safety/scan", {"text": "before\x00after"})
    assert response.status_code == 400
    assert "control characters" in response.json()["error"]["message"]


def test_a_space_slug_with_odd_characters_is_simply_not_found(anonymous: Client) -> None:
    for slug in ("%00", "a%00b", "x" * 300, "%E2%80%AE"):
        response = anonymous.get(f"/api/v1/spaces/{slug}")
        assert response.status_code == 404, slug
        assert response.json()["error"]["code"] == "not_found"


def test_an_absurd_page_number_gets_400_not_a_database_error(anonymous: Client) -> None:
    response = anonymous.get("/api/v1/spaces?page=9223372036854775807")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_too_many_query_parameters_get_400(anonymous: Client) -> None:
    query = "&".join(f"p{i}=1" for i in range(1200))
    response = anonymous.get(f"/api/v1/spaces?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_a_non_object_json_body_gets_invalid_input(anonymous: Client) -> None:
    response = anonymous.post("/api/v1/safety/scan", data="[1, 2]", content_type="application/json")
    assert response.json()["error"]["code"] == "invalid_input"
