"""The space's guard policy on briefing papers: warnings are confirmed as the text is written,
blocks refuse, and publishing refuses whatever the space blocks now."""

from __future__ import annotations

import json

import pytest

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.api.tests.test_api_basics import bearer
from coproduce.communities.models import Space
from coproduce.governance.models import AuditEntry
from coproduce.governance.policy import NeedsConfirmation, space_guard_policy_set
from coproduce.governance.safety import UnsafeContent
from coproduce.reports import services
from coproduce.reports.models import Section
from coproduce.reports.tests.test_views import draft, url

pytestmark = pytest.mark.django_db

POSTCODE_TEXT = "We met delegates at the British Library, London NW1 2DB, and heard their worries."


def test_section_text_with_a_postcode_asks_for_confirmation_keeps_the_text_and_then_saves(
    members_space: Space, facilitator: User
) -> None:
    paper = draft(members_space, facilitator, text="Saved before.")
    section = paper.sections.get(kind=Section.Kind.TEXT)
    client = client_for(facilitator)
    typed = {"action": "write", "section": section.pk, "heading": "Introduction", "body": POSTCODE_TEXT}

    asked = client.post(url("board", paper), typed)
    section.refresh_from_db()
    body = asked.content.decode()

    assert asked.status_code == 400
    assert "Check before saving: this may identify a person" in body
    assert POSTCODE_TEXT in body
    assert "I have checked" in body
    assert section.body == "Saved before."

    saved = client.post(url("board", paper), {**typed, "confirm": "on"})
    section.refresh_from_db()
    entry = AuditEntry.objects.get(action="guard.confirmed")

    assert saved.status_code == 302
    assert section.body == POSTCODE_TEXT
    assert entry.after["kinds"] == ["postcode"]
    assert entry.after["during"] == "paper.section_write"
    assert "NW1" not in json.dumps(entry.after) + json.dumps(entry.before) + entry.target_label
    write = AuditEntry.objects.filter(action="paper.section_write").latest("pk")
    assert "NW1" not in json.dumps(write.after) + json.dumps(write.before)


def test_a_postcode_confirmed_once_is_not_asked_about_again_when_the_text_is_edited(
    members_space: Space, facilitator: User
) -> None:
    paper = draft(members_space, facilitator)
    section = paper.sections.get(kind=Section.Kind.TEXT)
    services.section_write(
        actor=facilitator, section=section, heading="Intro", body=POSTCODE_TEXT, confirmed=True
    )

    services.section_write(actor=facilitator, section=section, heading="Intro", body=POSTCODE_TEXT + " More.")

    section.refresh_from_db()
    assert section.body.endswith("More.")


def test_the_api_answers_confirmation_required_until_the_caller_confirms(
    members_space: Space, facilitator: User
) -> None:
    paper = draft(members_space, facilitator)
    section = paper.sections.get(kind=Section.Kind.TEXT)
    client = client_for(facilitator)
    body = {"sections": [{"id": section.pk, "heading": "Introduction", "body": POSTCODE_TEXT}]}

    refused = client.put(
        f"/api/v1/papers/{paper.pk}", json.dumps(body), "application/json", headers=bearer(facilitator)
    )
    accepted = client.put(
        f"/api/v1/papers/{paper.pk}",
        json.dumps({**body, "confirm": True}),
        "application/json",
        headers=bearer(facilitator),
    )

    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "confirmation_required"
    assert accepted.status_code == 200, accepted.content
    section.refresh_from_db()
    assert section.body == POSTCODE_TEXT


def test_a_space_that_blocks_postcodes_refuses_them_even_confirmed_and_refuses_to_publish_them(
    members_space: Space, facilitator: User
) -> None:
    paper = draft(members_space, facilitator)
    section = paper.sections.get(kind=Section.Kind.TEXT)
    services.section_write(
        actor=facilitator, section=section, heading="Intro", body=POSTCODE_TEXT, confirmed=True
    )
    space_guard_policy_set(space=members_space, actor=facilitator, policy={"postcode": "block"})
    members_space.refresh_from_db()
    paper.refresh_from_db()

    with pytest.raises(UnsafeContent) as refused:
        services.section_write(
            actor=facilitator, section=section, heading="Intro", body="At SE1 7PB.", confirmed=True
        )
    assert not isinstance(refused.value, NeedsConfirmation)
    with pytest.raises(UnsafeContent):
        services.paper_publish(actor=facilitator, paper=paper)
    assert not paper.editions.exists()


def test_the_licence_passes_the_guard_too(members_space: Space, facilitator: User) -> None:
    paper = draft(members_space, facilitator)

    with pytest.raises(UnsafeContent) as refused:
        services.paper_update(actor=facilitator, paper=paper, licence="CC BY, ask NHS 999 000 0018")

    assert list(refused.value.findings) == ["licence"]
    paper.refresh_from_db()
    assert "999" not in paper.licence
