"""Wiki pages and the space's guard policy: warnings to confirm, blocks that stay blocks."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.governance.models import AuditEntry
from coproduce.governance.policy import NeedsConfirmation, space_guard_policy_set
from coproduce.governance.safety import UnsafeContent
from coproduce.wiki import services
from coproduce.wiki.models import Page, Revision

pytestmark = pytest.mark.django_db

POSTCODE = "LS1 4AP"
POSTCODE_BODY = f"The workshop is at the library, {POSTCODE}, on Tuesday.\n"
CONFIRM_LABEL = "I have checked: this is not about an identifiable person"


def _guard_entries() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="guard.confirmed"))


def _no_found_text(entry: AuditEntry) -> None:
    assert POSTCODE not in repr(entry.after)
    assert POSTCODE not in repr(entry.before)
    assert POSTCODE not in entry.target_label


# --- services ----------------------------------------------------------------------------------


def test_a_postcode_in_a_new_page_needs_confirmation_and_nothing_is_saved(
    members_space: Space, member: User
) -> None:
    with pytest.raises(NeedsConfirmation) as raised:
        services.page_create(space=members_space, actor=member, title="Venue", body=POSTCODE_BODY)
    assert {f.kind for f in raised.value.findings["body"]} == {"postcode"}
    assert not Page.objects.exists()
    assert not _guard_entries()


def test_a_confirmed_postcode_saves_and_the_audit_names_the_kind_but_not_the_text(
    members_space: Space, member: User
) -> None:
    page = services.page_create(
        space=members_space, actor=member, title="Venue", body=POSTCODE_BODY, confirmed=True
    )
    assert page.current is not None
    assert POSTCODE in page.current.body
    [entry] = _guard_entries()
    assert entry.actor == member
    assert entry.space == members_space
    assert entry.target_id == str(page.pk)
    assert entry.after["kinds"] == ["postcode"]
    assert entry.after["fields"] == {"body": ["postcode"]}
    assert entry.after["during"] == "page.create"
    _no_found_text(entry)


def test_a_confirmed_postcode_in_the_title_stays_out_of_the_guard_entry(
    members_space: Space, member: User
) -> None:
    title = f"Meeting at {POSTCODE}"
    page = services.page_create(space=members_space, actor=member, title=title, body="Notes.", confirmed=True)
    [entry] = _guard_entries()
    assert entry.after["fields"] == {"title": ["postcode"]}
    assert entry.target_label == f"page {page.pk}"
    _no_found_text(entry)


def test_a_page_without_findings_writes_no_guard_entry(members_space: Space, member: User) -> None:
    services.page_create(
        space=members_space, actor=member, title="Notes", body="Staff turnover.", confirmed=True
    )
    assert not _guard_entries()


def test_a_postcode_in_the_title_or_summary_also_needs_confirmation(
    members_space: Space, member: User
) -> None:
    with pytest.raises(NeedsConfirmation) as raised:
        services.page_create(
            space=members_space, actor=member, title=f"Meeting at {POSTCODE}", body="Notes.", summary=POSTCODE
        )
    assert set(raised.value.findings) == {"title", "summary"}


def test_saving_a_page_with_a_postcode_needs_confirmation_then_records_it(
    members_space: Space, member: User
) -> None:
    page = services.page_create(space=members_space, actor=member, title="Venue", body="To be decided.")
    with pytest.raises(NeedsConfirmation):
        services.page_save(page=page, actor=member, body=POSTCODE_BODY, base_revision=1)
    assert Revision.objects.filter(page=page).count() == 1
    result = services.page_save(page=page, actor=member, body=POSTCODE_BODY, base_revision=1, confirmed=True)
    [entry] = _guard_entries()
    assert entry.after["during"] == "page.save"
    assert entry.after["revision"] == result.revision.number == 2
    _no_found_text(entry)


def test_a_postcode_confirmed_once_is_not_asked_about_again_at_later_edits(
    members_space: Space, member: User, facilitator: User
) -> None:
    page = services.page_create(
        space=members_space, actor=member, title="Venue", body=POSTCODE_BODY, confirmed=True
    )
    services.page_save(page=page, actor=facilitator, body=POSTCODE_BODY + "\nBring lunch.\n", base_revision=1)
    with pytest.raises(NeedsConfirmation) as raised:
        services.page_save(
            page=page, actor=facilitator, body=POSTCODE_BODY + "\nOr at LS2 9JT.\n", base_revision=2
        )
    assert [(f.kind, f.start) for f in raised.value.findings["body"]] == [("postcode", 60)]
    assert AuditEntry.objects.filter(action="guard.confirmed").count() == 1


def test_a_space_that_blocks_postcodes_refuses_them_even_when_confirmed(
    members_space: Space, member: User, facilitator: User
) -> None:
    space_guard_policy_set(space=members_space, actor=facilitator, policy={"postcode": "block"})
    members_space.refresh_from_db()
    with pytest.raises(UnsafeContent) as raised:
        services.page_create(
            space=members_space, actor=member, title="Venue", body=POSTCODE_BODY, confirmed=True
        )
    assert not isinstance(raised.value, NeedsConfirmation)
    assert not Page.objects.exists()
    assert not _guard_entries()


def test_an_nhs_number_is_refused_even_when_confirmed(members_space: Space, member: User) -> None:
    with pytest.raises(UnsafeContent) as raised:
        services.page_create(
            space=members_space, actor=member, title="Case", body="Patient 999 000 0018.", confirmed=True
        )
    assert not isinstance(raised.value, NeedsConfirmation)
    assert not Page.objects.exists()


def test_a_merge_does_not_ask_to_confirm_someone_elses_confirmed_postcode(
    members_space: Space, member: User, facilitator: User
) -> None:
    body = "Line one.\n\nLine two.\n\nLine three.\n"
    page = services.page_create(space=members_space, actor=member, title="Venue", body=body)
    services.page_save(
        page=page,
        actor=member,
        body=body.replace("one.", f"one, {POSTCODE}."),
        base_revision=1,
        confirmed=True,
    )
    result = services.page_save(
        page=page, actor=facilitator, body=body.replace("three.", "three, updated."), base_revision=1
    )
    assert result.merged
    assert result.revision.body == f"Line one, {POSTCODE}.\n\nLine two.\n\nLine three, updated.\n"


# --- the forms -----------------------------------------------------------------------------------


def _textarea(content: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', content, re.DOTALL)
    assert match, f"no textarea {name}"
    return html.unescape(match[1]).removeprefix("\n")


def test_the_create_form_hides_the_confirmation_box_until_something_is_found(
    members_space: Space, member: User
) -> None:
    content = client_for(member).get("/spaces/masterclass/wiki/new/").content.decode()
    assert CONFIRM_LABEL not in content
    assert 'type="checkbox" name="confirm"' not in content


def test_the_create_form_warns_keeps_what_was_typed_and_saves_once_confirmed(
    members_space: Space, member: User
) -> None:
    client = client_for(member)
    typed = {"title": "Venue for May", "body": POSTCODE_BODY, "summary": "Where we meet"}
    response = client.post("/spaces/masterclass/wiki/new/", typed)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Check before saving: this may identify a person" in content
    assert "Text: a postcode at characters 33\u201339" in content
    assert CONFIRM_LABEL in content
    assert _textarea(content, "body") == POSTCODE_BODY
    assert 'value="Venue for May"' in content
    assert 'value="Where we meet"' in content
    assert "There is a problem" in content
    assert not Page.objects.exists()

    response = client.post("/spaces/masterclass/wiki/new/", {**typed, "confirm": "on"})
    assert response.status_code == 302
    page = Page.objects.get()
    assert page.title == "Venue for May"
    [entry] = _guard_entries()
    assert entry.after["kinds"] == ["postcode"]
    _no_found_text(entry)


def test_the_form_refuses_a_blocked_postcode_even_with_the_box_ticked(
    members_space: Space, member: User, facilitator: User
) -> None:
    space_guard_policy_set(space=members_space, actor=facilitator, policy={"postcode": "block"})
    client = client_for(member)
    typed = {"title": "Venue", "body": POSTCODE_BODY, "confirm": "on"}
    content = client.post("/spaces/masterclass/wiki/new/", typed).content.decode()
    assert "Remove a postcode at characters 33\u201339" in content
    assert _textarea(content, "body") == POSTCODE_BODY
    assert not Page.objects.exists()


def test_the_edit_form_warns_then_saves_with_confirmation(members_space: Space, member: User) -> None:
    page = services.page_create(space=members_space, actor=member, title="Venue", body="To be decided.")
    client = client_for(member)
    edit_url = f"/spaces/masterclass/wiki/{page.slug}/edit/"
    typed = {"title": "Venue", "body": POSTCODE_BODY, "summary": "", "base_revision": "1"}
    content = client.post(edit_url, typed).content.decode()
    assert "Check before saving" in content
    assert _textarea(content, "body") == POSTCODE_BODY
    page.refresh_from_db()
    assert page.head == 1
    assert client.post(edit_url, {**typed, "confirm": "on"}).status_code == 302
    page.refresh_from_db()
    assert page.head == 2
    assert _guard_entries()[0].after["during"] == "page.save"


def test_a_confirmation_given_with_a_form_refused_for_another_reason_is_not_kept(
    members_space: Space, member: User
) -> None:
    client = client_for(member)
    url = reverse("wiki:create", args=[members_space.slug])

    refused = client.post(url, {"title": "", "body": POSTCODE_BODY, "confirm": "on"})

    form = refused.context["form"]
    assert refused.status_code in (200, 400)
    assert "title" in form.errors
    assert not form["confirm"].value()
