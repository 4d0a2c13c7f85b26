"""Each space's guard policy: what it blocks, what it asks people to confirm, who may change it."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.governance.models import AuditEntry
from coproduce.governance.policy import (
    NeedsConfirmation,
    check_for_space,
    space_guard_policy_set,
    space_policy,
)
from coproduce.governance.safety import POLICY, UnsafeContent

pytestmark = pytest.mark.django_db

POSTCODE_TEXT = "The workshop is at the library, LS1 4AP, on Tuesday."
NHS_TEXT = "Patient 999 000 0018 was discussed."


def test_a_space_without_choices_follows_the_default_policy(members_space: Space) -> None:
    assert space_policy(members_space) == POLICY


def test_a_space_can_make_postcodes_block_and_e_mail_addresses_warn(members_space: Space) -> None:
    members_space.guard_policy = {"postcode": "block", "email": "warn"}
    policy = space_policy(members_space)
    assert policy["postcode"] == "block"
    assert policy["email"] == "warn"


def test_stored_choices_can_never_relax_nhs_or_hospital_numbers(members_space: Space) -> None:
    members_space.guard_policy = {"nhs_number": "warn", "hospital_number": "allow"}
    policy = space_policy(members_space)
    assert policy["nhs_number"] == "block"
    assert policy["hospital_number"] == "block"


def test_unknown_kinds_and_values_in_the_stored_policy_are_ignored(members_space: Space) -> None:
    members_space.guard_policy = {"shoe_size": "block", "postcode": "allow", "email": 3}
    assert space_policy(members_space) == POLICY


def test_a_warning_kind_needs_confirmation_and_passes_when_confirmed(members_space: Space) -> None:
    with pytest.raises(NeedsConfirmation) as raised:
        check_for_space(space=members_space, fields={"body": POSTCODE_TEXT}, confirmed=False)
    assert [f.kind for f in raised.value.findings["body"]] == ["postcode"]
    confirmation = check_for_space(space=members_space, fields={"body": POSTCODE_TEXT}, confirmed=True)
    assert [f.kind for f in confirmation.findings["body"]] == ["postcode"]


def test_text_with_nothing_found_needs_no_confirmation(members_space: Space) -> None:
    confirmation = check_for_space(space=members_space, fields={"body": "Staff turnover."}, confirmed=False)
    assert not confirmation


def test_a_blocking_kind_refuses_even_when_confirmed(members_space: Space) -> None:
    with pytest.raises(UnsafeContent) as raised:
        check_for_space(space=members_space, fields={"body": NHS_TEXT}, confirmed=True)
    assert not isinstance(raised.value, NeedsConfirmation)


def test_postcodes_set_to_block_refuse_even_when_confirmed(members_space: Space, facilitator: User) -> None:
    space_guard_policy_set(space=members_space, actor=facilitator, policy={"postcode": "block"})
    members_space.refresh_from_db()
    with pytest.raises(UnsafeContent) as raised:
        check_for_space(space=members_space, fields={"body": POSTCODE_TEXT}, confirmed=True)
    assert not isinstance(raised.value, NeedsConfirmation)


def test_a_facilitator_sets_the_policy_and_the_change_is_audited(
    members_space: Space, facilitator: User
) -> None:
    stored = space_guard_policy_set(
        space=members_space, actor=facilitator, policy={"postcode": "block", "email": "warn"}
    )
    assert stored == {"postcode": "block"}  # e-mail addresses warn by default: nothing to store
    members_space.refresh_from_db()
    assert members_space.guard_policy == {"postcode": "block"}
    entry = AuditEntry.objects.get(action="space.guard_policy")
    assert entry.actor == facilitator
    assert entry.after == {"guard_policy": {"postcode": "block"}}


def test_setting_the_same_policy_again_writes_no_audit_entry(members_space: Space, facilitator: User) -> None:
    space_guard_policy_set(space=members_space, actor=facilitator, policy={"postcode": "block"})
    space_guard_policy_set(space=members_space, actor=facilitator, policy={"postcode": "block"})
    assert AuditEntry.objects.filter(action="space.guard_policy").count() == 1


def test_an_admin_may_set_any_spaces_policy(members_space: Space, admin: User) -> None:
    space_guard_policy_set(space=members_space, actor=admin, policy={"phone_number": "block"})
    members_space.refresh_from_db()
    assert members_space.guard_policy == {"phone_number": "block"}


@pytest.mark.parametrize("persona", ["member", "outsider", "moderator"])
def test_only_facilitators_and_admins_may_change_the_policy(
    members_space: Space, persona: str, request: pytest.FixtureRequest
) -> None:
    with pytest.raises(PermissionDenied):
        space_guard_policy_set(
            space=members_space, actor=request.getfixturevalue(persona), policy={"postcode": "block"}
        )
    members_space.refresh_from_db()
    assert members_space.guard_policy == {}
    assert not AuditEntry.objects.filter(action="space.guard_policy").exists()


@pytest.mark.parametrize("kind", ["nhs_number", "hospital_number"])
def test_nhs_and_hospital_numbers_cannot_be_set_to_warn(
    members_space: Space, facilitator: User, kind: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        space_guard_policy_set(space=members_space, actor=facilitator, policy={kind: "warn"})
    assert kind in raised.value.message_dict
    members_space.refresh_from_db()
    assert members_space.guard_policy == {}


def test_unknown_kinds_and_actions_are_refused_when_set(members_space: Space, facilitator: User) -> None:
    with pytest.raises(ValidationError) as raised:
        space_guard_policy_set(
            space=members_space, actor=facilitator, policy={"shoe_size": "block", "postcode": "allow"}
        )
    assert set(raised.value.message_dict) == {"shoe_size", "postcode"}


# --- the settings page -------------------------------------------------------------------------


def test_the_space_settings_page_links_to_the_guard_settings(members_space: Space, facilitator: User) -> None:
    content = client_for(facilitator).get("/spaces/masterclass/settings/").content.decode()
    assert "/governance/spaces/masterclass/guard/" in content


def test_the_guard_page_shows_nhs_numbers_as_fixed_and_saves_a_choice(
    members_space: Space, facilitator: User
) -> None:
    client = client_for(facilitator)
    content = client.get("/governance/spaces/masterclass/guard/").content.decode()
    assert "Always blocked, in every space: NHS number" in content
    assert 'name="nhs_number"' not in content  # shown as fixed, not as a choice
    assert 'name="postcode"' in content
    choices = {
        kind: action for kind, action in POLICY.items() if kind not in ("nhs_number", "hospital_number")
    }
    response = client.post("/governance/spaces/masterclass/guard/", {**choices, "postcode": "block"})
    assert response.status_code == 302
    members_space.refresh_from_db()
    assert members_space.guard_policy == {"postcode": "block"}
    shown = client.get("/governance/spaces/masterclass/guard/").content.decode()
    assert re.search(r'name="postcode" value="block"[^>]*checked', shown)


def test_posting_nhs_numbers_as_warn_to_the_guard_page_changes_nothing(
    members_space: Space, facilitator: User
) -> None:
    choices = {
        kind: action for kind, action in POLICY.items() if kind not in ("nhs_number", "hospital_number")
    }
    client_for(facilitator).post("/governance/spaces/masterclass/guard/", {**choices, "nhs_number": "warn"})
    members_space.refresh_from_db()
    assert "nhs_number" not in members_space.guard_policy
    assert space_policy(members_space)["nhs_number"] == "block"


@pytest.mark.parametrize(("persona", "status"), [("member", 403), ("outsider", 404)])
def test_members_and_outsiders_cannot_open_the_guard_page(
    members_space: Space, persona: str, status: int, request: pytest.FixtureRequest
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get("/governance/spaces/masterclass/guard/").status_code == status
    assert client.post("/governance/spaces/masterclass/guard/", {"postcode": "block"}).status_code == status
    members_space.refresh_from_db()
    assert members_space.guard_policy == {}
