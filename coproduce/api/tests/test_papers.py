"""Briefing papers through the API: create, read, rewrite, publish, and editions for readers.

Drafts are "not found" for anyone who cannot edit the space's papers; editions are found by readers
only once ready. Publishing renders at once here (ImmediateBackend, run on commit by `committed`).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conftest import Committed, client_for
from coproduce.accounts.models import User
from coproduce.api.tests.test_api_basics import bearer, post_json, valid_test_nhs_number
from coproduce.communities.models import Space
from coproduce.governance.models import AuditEntry
from coproduce.reports.models import Edition, Paper, PaperRevision, Source
from coproduce.wiki import services as wiki
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db

BRIEFING = ["Summary", "Key messages", "Findings", "Recommendations", "Method", "Contributors", "Appendix"]


def put_json(client: Client, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    return client.put(path, data=json.dumps(body), content_type="application/json", headers=headers)


def create(client: Client, who: User | None, body: dict[str, Any]) -> Any:
    return post_json(client, "/api/v1/papers", body, headers=bearer(who) if who else None)


@pytest.fixture
def as_facilitator(facilitator: User) -> dict[str, str]:
    return bearer(facilitator)


@pytest.fixture
def paper(members_space: Space, facilitator: User, anonymous: Client) -> dict[str, Any]:
    response = create(anonymous, facilitator, {"space": "masterclass", "title": "Power and perils"})
    assert response.status_code == 201, response.content
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
def blank(members_space: Space, facilitator: User, anonymous: Client) -> dict[str, Any]:
    response = create(anonymous, facilitator, {"space": "masterclass", "title": "Notes", "template": "blank"})
    assert response.status_code == 201, response.content
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
def page(members_space: Space, member: User) -> Page:
    return wiki.page_create(
        space=members_space, actor=member, title="Emerging issues", body="# Powers\n\nRapid sharing.\n"
    )


def ready_to_publish(client: Client, blank: dict[str, Any], headers: dict[str, str]) -> None:
    section = blank["sections"][0]
    response = put_json(
        client,
        f"/api/v1/papers/{blank['id']}",
        {"sections": [{"id": section["id"], "heading": "Introduction", "body": "What members told us."}]},
        headers,
    )
    assert response.status_code == 200, response.content


def publish_rendered(
    client: Client, blank: dict[str, Any], headers: dict[str, str], committed: Committed
) -> None:
    """Give the blank paper its text and publish it; the edition renders on commit."""
    ready_to_publish(client, blank, headers)
    with committed():
        response = post_json(client, f"/api/v1/papers/{blank['id']}/editions", {}, headers)
    assert response.status_code == 202, response.content


# Creating


def test_a_facilitator_creates_a_paper_from_the_briefing_template(
    paper: dict[str, Any], facilitator: User
) -> None:
    assert paper["space"] == "masterclass"
    assert paper["title"] == "Power and perils"
    assert paper["editable"] is True
    assert [s["heading"] for s in paper["sections"]] == BRIEFING
    assert [s["kind"] for s in paper["sections"] if s["heading"] == "Contributors"] == ["contributors"]
    assert paper["editions"] == []
    assert paper["url"].startswith("http://testserver/spaces/masterclass/papers/")
    created = Paper.objects.get(pk=paper["id"])
    assert created.created_by == facilitator
    assert created.sections.count() == len(BRIEFING)


def test_a_paper_from_scratch_starts_with_one_introduction(blank: dict[str, Any]) -> None:
    assert [(s["heading"], s["kind"], s["body"]) for s in blank["sections"]] == [("Introduction", "text", "")]


def test_an_unknown_template_is_refused_with_its_field_name(
    members_space: Space, facilitator: User, anonymous: Client
) -> None:
    response = create(anonymous, facilitator, {"space": "masterclass", "title": "X", "template": "memo"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert [e["field"] for e in error["details"]["errors"]] == ["template"]
    assert not Paper.objects.exists()


def test_unknown_fields_and_an_empty_title_are_refused(
    members_space: Space, facilitator: User, anonymous: Client
) -> None:
    response = create(anonymous, facilitator, {"space": "masterclass", "title": "", "colour": "blue"})
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["error"]["details"]["errors"]}
    assert fields == {"title", "colour"}
    assert not Paper.objects.exists()


def test_only_those_who_can_edit_papers_in_the_space_create_them(
    members_space: Space, member: User, outsider: User, anonymous: Client
) -> None:
    body = {"space": "masterclass", "title": "Mine"}
    assert create(anonymous, member, body).status_code == 403  # reads the space, cannot write papers
    assert create(anonymous, outsider, body).status_code == 404  # cannot even see the space
    unsigned = create(anonymous, None, body)
    assert unsigned.status_code == 401
    assert unsigned.json()["error"]["code"] == "unauthorized"
    assert create(anonymous, member, {**body, "space": "no-such-space"}).status_code == 404
    assert not Paper.objects.exists()


# Reading drafts


def test_a_draft_is_not_found_for_anyone_who_cannot_edit_the_spaces_papers(
    paper: dict[str, Any], as_facilitator: dict[str, str], member: User, outsider: User, anonymous: Client
) -> None:
    path = f"/api/v1/papers/{paper['id']}"
    mine = anonymous.get(path, headers=as_facilitator)
    assert mine.status_code == 200
    assert mine.json() == paper
    for headers in (bearer(member), bearer(outsider), None):
        response = anonymous.get(path, headers=headers)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert anonymous.get("/api/v1/papers/999999", headers=as_facilitator).status_code == 404


def test_the_list_shows_drafts_only_to_those_who_can_edit_them(
    paper: dict[str, Any], as_facilitator: dict[str, str], member: User, outsider: User, anonymous: Client
) -> None:
    path = "/api/v1/papers?space=masterclass"
    listed = anonymous.get(path, headers=as_facilitator).json()
    assert listed["count"] == 1
    assert listed["next"] is None
    assert listed["items"][0]["id"] == paper["id"]
    assert listed["items"][0]["latest_edition"] is None
    assert anonymous.get(path, headers=bearer(member)).json() == {"items": [], "count": 0, "next": None}
    assert anonymous.get(path, headers=bearer(outsider)).status_code == 404
    assert anonymous.get(path).status_code == 404


def test_the_list_needs_a_space(
    members_space: Space, as_facilitator: dict[str, str], anonymous: Client
) -> None:
    response = anonymous.get("/api/v1/papers", headers=as_facilitator)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["error"]["details"]["errors"]] == ["space"]


# Rewriting


def test_a_facilitator_rewrites_the_sections_and_places_a_page_by_its_slug(
    paper: dict[str, Any], page: Page, facilitator: User, as_facilitator: dict[str, str], anonymous: Client
) -> None:
    summary, key_messages = paper["sections"][0], paper["sections"][1]
    response = put_json(
        anonymous,
        f"/api/v1/papers/{paper['id']}",
        {
            "title": "The power and perils",
            "sections": [
                {
                    "id": key_messages["id"],
                    "heading": "Key messages",
                    "body": "Sharing is fast [S1].",
                    "sources": [{"page": "emerging-issues", "revision": 1}],
                },
                {"id": summary["id"], "heading": "In short", "body": "Short."},
                {"heading": "Next steps", "body": "More."},
            ],
        },
        as_facilitator,
    )
    assert response.status_code == 200, response.content
    out = response.json()
    assert out["title"] == "The power and perils"
    assert [s["heading"] for s in out["sections"]] == ["Key messages", "In short", "Next steps"]
    assert out["sections"][0]["id"] == key_messages["id"]
    assert out["sections"][1]["id"] == summary["id"]
    assert out["sections"][0]["html"] == "<p>Sharing is fast [S1].</p>\n"
    [placed] = out["sections"][0]["sources"]
    assert placed == {
        "key": f"page:{page.pk}",
        "label": 1,
        "kind": "page",
        "title": placed["title"],
        "url": placed["url"],
        "revision": 1,
        "used": True,
    }
    assert "Emerging issues" in placed["title"]
    source = Source.objects.get(paper_id=paper["id"])
    assert (source.key, source.section_id, source.used, source.revision) == (
        f"page:{page.pk}",
        key_messages["id"],
        True,
        1,
    )
    assert Paper.objects.get(pk=paper["id"]).sections.count() == 3  # the others were removed
    revision = PaperRevision.objects.filter(paper_id=paper["id"]).order_by("-number").first()
    assert revision is not None
    assert revision.author == facilitator
    assert AuditEntry.objects.filter(action="paper.update").exists()


def test_a_section_keeps_its_body_and_kind_when_the_update_leaves_them_out(
    paper: dict[str, Any], as_facilitator: dict[str, str], anonymous: Client
) -> None:
    path = f"/api/v1/papers/{paper['id']}"
    summary = paper["sections"][0]
    contributors = next(s for s in paper["sections"] if s["kind"] == "contributors")
    first = {"id": summary["id"], "heading": "Summary", "body": "Kept."}
    assert (
        put_json(
            anonymous,
            path,
            {"sections": [first, {"id": contributors["id"], "heading": "People"}]},
            as_facilitator,
        ).status_code
        == 200
    )
    response = put_json(
        anonymous,
        path,
        {
            "sections": [
                {"id": summary["id"], "heading": "Summary"},
                {"id": contributors["id"], "heading": "Who"},
            ]
        },
        as_facilitator,
    )
    sections = response.json()["sections"]
    assert [(s["heading"], s["kind"], s["body"]) for s in sections] == [
        ("Summary", "text", "Kept."),
        ("Who", "contributors", ""),
    ]


def test_a_title_alone_leaves_the_sections_as_they_were(
    paper: dict[str, Any], as_facilitator: dict[str, str], anonymous: Client
) -> None:
    response = put_json(anonymous, f"/api/v1/papers/{paper['id']}", {"title": "Renamed"}, as_facilitator)
    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"
    assert response.json()["sections"] == paper["sections"]


def test_a_source_can_be_placed_by_its_key(
    blank: dict[str, Any], page: Page, as_facilitator: dict[str, str], anonymous: Client
) -> None:
    section = blank["sections"][0]
    response = put_json(
        anonymous,
        f"/api/v1/papers/{blank['id']}",
        {
            "sections": [
                {"id": section["id"], "heading": "Introduction", "sources": [{"key": f"page:{page.pk}#1"}]}
            ]
        },
        as_facilitator,
    )
    assert response.status_code == 200, response.content
    assert [s["key"] for s in response.json()["sections"][0]["sources"]] == [f"page:{page.pk}#1"]


def test_an_unknown_page_is_refused_with_the_path_to_its_field(
    blank: dict[str, Any], page: Page, as_facilitator: dict[str, str], anonymous: Client
) -> None:
    section = blank["sections"][0]
    response = put_json(
        anonymous,
        f"/api/v1/papers/{blank['id']}",
        {
            "sections": [
                {
                    "id": section["id"],
                    "heading": "Introduction",
                    "sources": [{"page": "emerging-issues"}, {"page": "no-such-page"}],
                }
            ]
        },
        as_facilitator,
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert list(error["details"]["fields"]) == ["sections[0].sources[1].page"]
    assert not Source.objects.exists()


def test_a_page_in_another_space_is_unknown_here(
    blank: dict[str, Any],
    public_space: Space,
    member: User,
    as_facilitator: dict[str, str],
    anonymous: Client,
) -> None:
    wiki.page_create(space=public_space, actor=member, title="Elsewhere", body="Text.")
    section = blank["sections"][0]
    body = {
        "sections": [{"id": section["id"], "heading": "Introduction", "sources": [{"page": "elsewhere"}]}]
    }
    response = put_json(anonymous, f"/api/v1/papers/{blank['id']}", body, as_facilitator)
    assert response.status_code == 400
    assert list(response.json()["error"]["details"]["fields"]) == ["sections[0].sources[0].page"]


def test_a_revision_the_page_does_not_have_is_refused(
    blank: dict[str, Any], page: Page, as_facilitator: dict[str, str], anonymous: Client
) -> None:
    section = blank["sections"][0]
    body = {
        "sections": [
            {"id": section["id"], "heading": "Introduction", "sources": [{"page": page.slug, "revision": 7}]}
        ]
    }
    response = put_json(anonymous, f"/api/v1/papers/{blank['id']}", body, as_facilitator)
    assert response.status_code == 400
    assert list(response.json()["error"]["details"]["fields"]) == ["sections[0].sources[0].revision"]


def test_a_source_names_a_page_or_a_key_never_both_or_neither(
    blank: dict[str, Any], page: Page, as_facilitator: dict[str, str], anonymous: Client
) -> None:
    section = blank["sections"][0]
    for source in (
        {"page": page.slug, "key": f"page:{page.pk}"},
        {"revision": 1},
        {"page": page.slug, "x": 1},
    ):
        body = {"sections": [{"id": section["id"], "heading": "Introduction", "sources": [source]}]}
        response = put_json(anonymous, f"/api/v1/papers/{blank['id']}", body, as_facilitator)
        assert response.status_code == 400, source
        assert response.json()["error"]["code"] == "invalid_input"
        assert all(
            e["field"].startswith("sections.0.sources.0")
            for e in response.json()["error"]["details"]["errors"]
        )


def test_an_unknown_source_key_is_refused(
    blank: dict[str, Any], as_facilitator: dict[str, str], anonymous: Client
) -> None:
    section = blank["sections"][0]
    body = {
        "sections": [{"id": section["id"], "heading": "Introduction", "sources": [{"key": "page:999999"}]}]
    }
    response = put_json(anonymous, f"/api/v1/papers/{blank['id']}", body, as_facilitator)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert not Source.objects.exists()


def test_unknown_fields_in_a_section_and_an_unknown_kind_are_refused(
    blank: dict[str, Any], as_facilitator: dict[str, str], anonymous: Client
) -> None:
    body = {"sections": [{"heading": "A", "kind": "poem", "style": "bold"}]}
    response = put_json(anonymous, f"/api/v1/papers/{blank['id']}", body, as_facilitator)
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["error"]["details"]["errors"]}
    assert fields == {"sections.0.kind", "sections.0.style"}


def test_patient_data_in_a_section_is_refused_and_nothing_is_saved(
    blank: dict[str, Any], as_facilitator: dict[str, str], anonymous: Client
) -> None:
    section = blank["sections"][0]
    body = f"Seen in clinic: {valid_test_nhs_number()}."
    response = put_json(
        anonymous,
        f"/api/v1/papers/{blank['id']}",
        {"sections": [{"id": section["id"], "heading": "Introduction", "body": body}]},
        as_facilitator,
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "unsafe_content"
    assert error["details"]["findings"][0]["kind"] == "nhs_number"
    assert Paper.objects.get(pk=blank["id"]).sections.get().body == ""


def test_an_oversize_update_gets_413(
    blank: dict[str, Any], as_facilitator: dict[str, str], anonymous: Client, settings: Any
) -> None:
    settings.MAX_REQUEST_BYTES = 10_000
    body = {"sections": [{"heading": "Introduction", "body": "x" * 20_000}]}
    response = put_json(anonymous, f"/api/v1/papers/{blank['id']}", body, as_facilitator)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_only_editors_may_rewrite_a_paper(
    blank: dict[str, Any], member: User, outsider: User, anonymous: Client
) -> None:
    path = f"/api/v1/papers/{blank['id']}"
    assert put_json(anonymous, path, {"title": "Mine"}, bearer(member)).status_code == 404
    assert put_json(anonymous, path, {"title": "Mine"}, bearer(outsider)).status_code == 404
    assert put_json(anonymous, path, {"title": "Mine"}).status_code == 401
    assert Paper.objects.get(pk=blank["id"]).title == "Notes"


# Publishing and editions


def test_an_unfinished_paper_is_not_published_and_the_answer_says_where(
    paper: dict[str, Any], as_facilitator: dict[str, str], anonymous: Client
) -> None:
    response = post_json(anonymous, f"/api/v1/papers/{paper['id']}/editions", {}, as_facilitator)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "paper_not_ready"
    problems = error["details"]["problems"]
    assert problems
    assert all(set(p) == {"where", "message"} for p in problems)
    assert any("Summary" in p["where"] for p in problems)
    assert not Edition.objects.exists()


def test_publishing_renders_an_edition_whose_files_readers_can_fetch(
    blank: dict[str, Any],
    as_facilitator: dict[str, str],
    member: User,
    outsider: User,
    anonymous: Client,
    committed: Committed,
) -> None:
    ready_to_publish(anonymous, blank, as_facilitator)
    with committed():
        response = post_json(anonymous, f"/api/v1/papers/{blank['id']}/editions", {}, as_facilitator)
        assert response.status_code == 202, response.content
        assert response.json() == {"number": 1, "status": "pending"}
    edition = Edition.objects.get(paper_id=blank["id"])
    assert edition.status == Edition.Status.READY, edition.error
    assert AuditEntry.objects.filter(action="paper.publish").exists()

    path = f"/api/v1/papers/{blank['id']}/editions/1"
    out = anonymous.get(path, headers=bearer(member)).json()
    assert (out["number"], out["status"], out["error"]) == (1, "ready", "")
    assert out["progress"] == 100
    base = f"http://testserver/spaces/masterclass/papers/{blank['id']}/editions/1/"
    assert out["files"] == {fmt: f"{base}{fmt}/" for fmt in ("html", "pdf", "docx")}
    pdf = client_for(member).get(out["files"]["pdf"].removeprefix("http://testserver"))
    assert pdf.status_code == 200
    assert pdf.getvalue().startswith(b"%PDF")
    api = f"http://testserver/api/v1/papers/{blank['id']}/editions/1/files/"
    assert out["downloads"] == {fmt: f"{api}{fmt}" for fmt in ("html", "pdf", "docx")}
    by_token = anonymous.get(
        out["downloads"]["docx"].removeprefix("http://testserver"), headers=bearer(member)
    )
    assert by_token.status_code == 200
    assert by_token.getvalue().startswith(b"PK")
    assert by_token["Content-Disposition"].startswith("attachment;")
    assert anonymous.get(f"{path}/files/pdf", headers=bearer(outsider)).status_code == 404
    assert anonymous.get(f"{path}/files/odt", headers=bearer(member)).status_code in (400, 404, 422)

    # The paper is now visible to the space's readers: its editions, never the draft.
    seen = anonymous.get(f"/api/v1/papers/{blank['id']}", headers=bearer(member)).json()
    assert seen["editable"] is False
    assert (seen["sections"], seen["unsorted"], seen["head"]) == (None, None, None)
    assert [e["number"] for e in seen["editions"]] == [1]
    listed = anonymous.get("/api/v1/papers?space=masterclass", headers=bearer(member)).json()
    assert [item["latest_edition"]["number"] for item in listed["items"]] == [1]

    for headers in (bearer(outsider), None):  # a members-only space
        assert anonymous.get(path, headers=headers).status_code == 404
        assert anonymous.get(f"/api/v1/papers/{blank['id']}", headers=headers).status_code == 404


def test_readers_see_the_published_title_not_the_drafts_new_one(
    blank: dict[str, Any],
    as_facilitator: dict[str, str],
    member: User,
    anonymous: Client,
    committed: Committed,
) -> None:
    publish_rendered(anonymous, blank, as_facilitator, committed)
    put_json(anonymous, f"/api/v1/papers/{blank['id']}", {"title": "Secret new title"}, as_facilitator)
    seen = anonymous.get(f"/api/v1/papers/{blank['id']}", headers=bearer(member)).json()
    assert seen["title"] == "Notes"
    listed = anonymous.get("/api/v1/papers?space=masterclass", headers=bearer(member)).json()
    assert [item["title"] for item in listed["items"]] == ["Notes"]


def test_an_edition_still_rendering_is_found_only_by_editors_and_blocks_another(
    blank: dict[str, Any], as_facilitator: dict[str, str], member: User, anonymous: Client
) -> None:
    ready_to_publish(anonymous, blank, as_facilitator)
    path = f"/api/v1/papers/{blank['id']}/editions"
    assert post_json(anonymous, path, {}, as_facilitator).status_code == 202  # not committed: stays pending
    pending = anonymous.get(f"{path}/1", headers=as_facilitator).json()
    assert pending["status"] == "pending"
    assert pending["files"] == {"html": None, "pdf": None, "docx": None}
    assert pending["downloads"] == {"html": None, "pdf": None, "docx": None}
    assert anonymous.get(f"{path}/1", headers=bearer(member)).status_code == 404
    assert anonymous.get(f"/api/v1/papers/{blank['id']}", headers=bearer(member)).status_code == 404

    again = post_json(anonymous, path, {}, as_facilitator)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "render_in_progress"
    assert Edition.objects.count() == 1


def test_publishing_too_often_is_rate_limited(
    blank: dict[str, Any],
    as_facilitator: dict[str, str],
    anonymous: Client,
    committed: Committed,
    settings: Any,
) -> None:
    settings.PAPER_RENDERS_PER_HOUR = 1
    ready_to_publish(anonymous, blank, as_facilitator)
    path = f"/api/v1/papers/{blank['id']}/editions"
    with committed():
        assert post_json(anonymous, path, {}, as_facilitator).status_code == 202
    response = post_json(anonymous, path, {}, as_facilitator)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert int(response["Retry-After"]) > 0
    assert Edition.objects.count() == 1


def test_only_editors_publish(
    blank: dict[str, Any], as_facilitator: dict[str, str], member: User, outsider: User, anonymous: Client
) -> None:
    ready_to_publish(anonymous, blank, as_facilitator)
    path = f"/api/v1/papers/{blank['id']}/editions"
    assert post_json(anonymous, path, {}, bearer(member)).status_code == 404
    assert post_json(anonymous, path, {}, bearer(outsider)).status_code == 404
    assert post_json(anonymous, path, {}).status_code == 401
    assert not Edition.objects.exists()


def test_an_edition_that_did_not_fail_cannot_be_retried(
    blank: dict[str, Any],
    as_facilitator: dict[str, str],
    member: User,
    anonymous: Client,
    committed: Committed,
) -> None:
    publish_rendered(anonymous, blank, as_facilitator, committed)
    path = f"/api/v1/papers/{blank['id']}/editions/1/retry"
    assert post_json(anonymous, path, {}, bearer(member)).status_code == 404
    response = post_json(anonymous, path, {}, as_facilitator)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "edition_not_failed"


def test_a_failed_edition_is_retried(
    blank: dict[str, Any], as_facilitator: dict[str, str], anonymous: Client, committed: Committed
) -> None:
    ready_to_publish(anonymous, blank, as_facilitator)
    post_json(anonymous, f"/api/v1/papers/{blank['id']}/editions", {}, as_facilitator)  # stays pending
    Edition.objects.filter(paper_id=blank["id"]).update(status=Edition.Status.FAILED, error="The PDF failed.")
    failed = anonymous.get(f"/api/v1/papers/{blank['id']}/editions/1", headers=as_facilitator).json()
    assert (failed["status"], failed["error"]) == ("failed", "The PDF failed.")
    with committed():
        response = post_json(anonymous, f"/api/v1/papers/{blank['id']}/editions/1/retry", {}, as_facilitator)
        assert response.status_code == 202
        assert response.json()["number"] == 1
    assert Edition.objects.get(paper_id=blank["id"]).status == Edition.Status.READY


def test_anyone_reads_a_published_paper_in_a_public_space(
    public_space: Space, facilitator: User, anonymous: Client, committed: Committed
) -> None:
    headers = bearer(facilitator)
    made = create(
        anonymous, facilitator, {"space": "open-notes", "title": "Open", "template": "blank"}
    ).json()
    assert anonymous.get(f"/api/v1/papers/{made['id']}").status_code == 404  # a draft, still
    ready_to_publish(anonymous, made, headers)
    with committed():
        post_json(anonymous, f"/api/v1/papers/{made['id']}/editions", {}, headers)
    assert anonymous.get(f"/api/v1/papers/{made['id']}").json()["editions"][0]["status"] == "ready"
    assert anonymous.get(f"/api/v1/papers/{made['id']}/editions/1").json()["status"] == "ready"
    assert anonymous.get(f"/api/v1/papers/{made['id']}/editions/2").status_code == 404


def test_the_list_is_paginated_and_the_next_link_keeps_the_space(
    paper: dict[str, Any], blank: dict[str, Any], as_facilitator: dict[str, str], anonymous: Client
) -> None:
    first = anonymous.get("/api/v1/papers?space=masterclass&page_size=1", headers=as_facilitator).json()
    assert first["count"] == 2
    assert first["next"] is not None
    assert "space=masterclass" in first["next"]
    second = anonymous.get(first["next"].removeprefix("http://testserver"), headers=as_facilitator).json()
    assert {first["items"][0]["id"], second["items"][0]["id"]} == {paper["id"], blank["id"]}
    assert second["next"] is None


def test_a_community_admin_may_edit_any_spaces_papers_and_a_suspended_facilitator_may_not(
    paper: dict[str, Any], admin: User, facilitator: User, anonymous: Client
) -> None:
    path = f"/api/v1/papers/{paper['id']}"
    assert (
        put_json(anonymous, path, {"title": "By the admin"}, bearer(admin)).json()["title"] == "By the admin"
    )
    headers = bearer(facilitator)
    facilitator.suspended_until = timezone.now() + timedelta(days=7)
    facilitator.save()
    assert anonymous.get(path, headers=headers).status_code == 404


def test_a_paper_address_that_is_not_a_number_is_a_json_404(
    members_space: Space, as_facilitator: dict[str, str], anonymous: Client
) -> None:
    response = anonymous.get("/api/v1/papers/abc", headers=as_facilitator)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_file_lost_from_storage_answers_file_missing_and_is_rebuilt(
    blank: dict[str, Any],
    as_facilitator: dict[str, str],
    member: User,
    anonymous: Client,
    committed: Committed,
) -> None:
    publish_rendered(anonymous, blank, as_facilitator, committed)
    edition = Edition.objects.get(paper_id=blank["id"])
    edition.pdf_file.storage.delete(str(edition.pdf_file.name))

    with committed():
        lost = anonymous.get(f"/api/v1/papers/{blank['id']}/editions/1/files/pdf", headers=bearer(member))

    assert lost.status_code == 503
    assert lost.json()["error"]["code"] == "file_missing"
    again = anonymous.get(f"/api/v1/papers/{blank['id']}/editions/1/files/pdf", headers=bearer(member))
    assert again.status_code == 200
    assert again.getvalue().startswith(b"%PDF")
