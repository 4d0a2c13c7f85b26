"""Spaces in the browser: who sees which, who creates and manages them."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from conftest import client_for, make_person
from coproduce.accounts.models import Role, User
from coproduce.communities import services
from coproduce.communities.models import Space, SpaceMembership, SpaceRole
from coproduce.communities.tests.helpers import TEST_NHS_NUMBER, as_user
from coproduce.governance.models import AuditEntry
from coproduce.lib.errors import Conflict

pytestmark = pytest.mark.django_db

ALL = {"open-notes", "masterclass", "steering"}


@pytest.fixture
def spaces(public_space: Space, members_space: Space, private_space: Space) -> dict[str, Space]:
    return {s.slug: s for s in (public_space, members_space, private_space)}


@pytest.fixture
def space_member(db: None, private_space: Space) -> User:
    """A community member who belongs to the private space."""
    person = make_person("sasha", Role.MEMBER, name="Sasha Spacemember")
    SpaceMembership.objects.create(space=private_space, user=person, role=SpaceRole.MEMBER)
    return person


def readable(persona: str, request: pytest.FixtureRequest) -> User | None:
    return None if persona == "anonymous" else request.getfixturevalue(persona)


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("anonymous", {"open-notes"}),
        ("outsider", {"open-notes"}),
        ("member", {"open-notes", "masterclass"}),
        ("space_member", ALL),
        ("facilitator", ALL),  # a member of all three fixtures' spaces
        ("admin", ALL),
    ],
)
def test_each_person_sees_the_spaces_their_visibility_allows(
    persona: str, sees: set[str], spaces: dict[str, Space], request: pytest.FixtureRequest
) -> None:
    client = as_user(readable(persona, request))
    listing = client.get("/spaces/").content.decode()
    for slug, space in spaces.items():
        detail = client.get(f"/spaces/{slug}/")
        if slug in sees:
            assert detail.status_code == 200, (persona, slug)
            assert space.name in listing
            assert space.name in detail.content.decode()
        else:
            assert detail.status_code == 404, (persona, slug)
            assert space.name not in listing


def test_a_space_shows_its_description_visibility_and_members(
    members_space: Space, member: User, facilitator: User
) -> None:
    services.space_update(space=members_space, actor=facilitator, description="Notes from the day.")
    page = client_for(member).get("/spaces/masterclass/").content.decode()
    assert "Notes from the day." in page
    assert "Members: any community member can read" in page
    assert "Rowan Facilitator" in page
    assert "/spaces/masterclass/settings/" not in page


def test_an_unknown_space_is_404(admin: User) -> None:
    assert client_for(admin).get("/spaces/no-such-space/").status_code == 404


# --- creating ---------------------------------------------------------------

NEW_SPACE = {
    "slug": "winter-pressures",
    "name": "Winter pressures",
    "description": "",
    "visibility": "private",
}


@pytest.mark.parametrize("persona", ["facilitator", "admin"])
def test_facilitators_and_admins_create_spaces_and_become_their_facilitator(
    persona: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)
    client = client_for(user)
    assert client.get("/spaces/new/").status_code == 200
    response = client.post("/spaces/new/", NEW_SPACE)
    assert response.status_code == 302
    assert response["Location"] == "/spaces/winter-pressures/"
    space = Space.objects.get(slug="winter-pressures")
    assert (space.name, space.visibility, space.created_by) == ("Winter pressures", "private", user)
    assert SpaceMembership.objects.get(space=space).user == user
    assert SpaceMembership.objects.get(space=space).role == SpaceRole.FACILITATOR
    entry = AuditEntry.objects.get(action="space.create")
    assert (entry.actor, entry.space) == (user, space)
    assert entry.after["visibility"] == "private"


@pytest.mark.parametrize("persona", ["member", "moderator", "outsider"])
def test_other_people_cannot_create_spaces(persona: str, request: pytest.FixtureRequest) -> None:
    user: User = request.getfixturevalue(persona)
    client = client_for(user)
    assert client.get("/spaces/new/").status_code == 403
    assert client.post("/spaces/new/", NEW_SPACE).status_code == 403
    with pytest.raises(PermissionDenied):
        services.space_create(**NEW_SPACE, actor=user)
    assert not Space.objects.filter(slug="winter-pressures").exists()


def test_anonymous_visitors_are_sent_to_log_in_to_create_a_space(anonymous: Client) -> None:
    response = anonymous.post("/spaces/new/", NEW_SPACE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Space.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"slug": "Winter Pressures"}, "Use only lowercase letters, digits and hyphens"),
        ({"slug": "winter_pressures"}, "Use only lowercase letters, digits and hyphens"),
        ({"slug": "-winter"}, "Use only lowercase letters, digits and hyphens"),
        ({"slug": "open-notes"}, "A space with this web address already exists."),
        ({"slug": "new"}, "A space with this web address already exists."),
        ({"slug": ""}, "Enter a web address for the space."),
        ({"name": ""}, "Enter a name for the space."),
        ({"visibility": "secret"}, "Select a valid choice."),
        ({"description": f"Ward list with {TEST_NHS_NUMBER}"}, "an NHS number at characters 16\N{EN DASH}27"),
    ],
)
def test_a_bad_space_is_refused_with_a_field_error_and_the_text_kept(
    facilitator: User, public_space: Space, changes: dict[str, str], message: str
) -> None:
    data = {**NEW_SPACE, "description": "For the winter workshop.", **changes}
    response = client_for(facilitator).post("/spaces/new/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert data["description"] in page
    assert Space.objects.count() == 1


def test_the_service_names_the_slug_field_for_a_bad_slug(facilitator: User) -> None:
    with pytest.raises(ValidationError) as caught:
        services.space_create(**{**NEW_SPACE, "slug": "Bad Slug"}, actor=facilitator)
    assert list(caught.value.message_dict) == ["slug"]


# --- settings ---------------------------------------------------------------


@pytest.mark.parametrize("persona", ["facilitator", "admin"])
def test_the_space_facilitator_or_an_admin_changes_its_settings_and_it_is_audited(
    persona: str, request: pytest.FixtureRequest, members_space: Space
) -> None:
    user: User = request.getfixturevalue(persona)
    client = client_for(user)
    assert client.get("/spaces/masterclass/settings/").status_code == 200
    data = {"name": "The masterclass", "description": "Powers and perils.", "visibility": "public"}
    response = client.post("/spaces/masterclass/settings/", data)
    assert response.status_code == 302
    members_space.refresh_from_db()
    assert (members_space.name, members_space.visibility) == ("The masterclass", "public")
    entry = AuditEntry.objects.get(action="space.update")
    assert entry.actor == user
    assert entry.changes == {
        "name": ("Masterclass", "The masterclass"),
        "description": ("", "Powers and perils."),
        "visibility": ("members", "public"),
    }


def test_saving_unchanged_settings_writes_no_audit_entry(facilitator: User, members_space: Space) -> None:
    data = {"name": "Masterclass", "description": "", "visibility": "members"}
    assert client_for(facilitator).post("/spaces/masterclass/settings/", data).status_code == 302
    assert not AuditEntry.objects.exists()


def test_a_reader_who_does_not_manage_the_space_cannot_change_it(
    members_space: Space, private_space: Space, member: User
) -> None:
    client = client_for(member)
    assert client.get("/spaces/masterclass/settings/").status_code == 403
    data = {"name": "Taken over", "visibility": "public"}
    assert client.post("/spaces/masterclass/settings/", data).status_code == 403
    assert client.post("/spaces/steering/settings/", data).status_code == 404
    with pytest.raises(PermissionDenied):
        services.space_update(space=members_space, actor=member, name="Taken over")
    members_space.refresh_from_db()
    assert members_space.name == "Masterclass"


def test_a_facilitator_of_another_space_cannot_change_this_one(members_space: Space, admin: User) -> None:
    other = make_person("fern", Role.FACILITATOR)
    response = client_for(other).post(
        "/spaces/masterclass/settings/", {"name": "Mine", "visibility": "public"}
    )
    assert response.status_code == 403


def test_bad_settings_are_refused_and_kept(facilitator: User, members_space: Space) -> None:
    data = {"name": "", "description": f"Contact {TEST_NHS_NUMBER}", "visibility": "members"}
    response = client_for(facilitator).post("/spaces/masterclass/settings/", data)
    assert response.status_code == 200
    assert b"Enter a name for the space." in response.content
    data["name"] = "Renamed"
    response = client_for(facilitator).post("/spaces/masterclass/settings/", data)
    assert response.status_code == 200
    assert "NHS number" in response.content.decode()
    assert data["description"] in response.content.decode()
    members_space.refresh_from_db()
    assert members_space.name == "Masterclass"


def test_the_service_refuses_fields_that_cannot_change(facilitator: User, members_space: Space) -> None:
    with pytest.raises(ValidationError) as caught:
        services.space_update(space=members_space, actor=facilitator, slug="elsewhere")
    assert "slug" in caught.value.message_dict


# --- members of a space -------------------------------------------------------


def test_the_space_facilitator_adds_a_member_then_changes_their_role(
    facilitator: User, members_space: Space, member: User
) -> None:
    client = client_for(facilitator)
    assert client.get("/spaces/masterclass/members/").status_code == 200
    response = client.post("/spaces/masterclass/members/", {"username": "Meera", "role": "member"})
    assert response.status_code == 302
    assert SpaceMembership.objects.get(space=members_space, user=member).role == "member"
    client.post("/spaces/masterclass/members/", {"username": "meera", "role": "moderator"})
    assert SpaceMembership.objects.get(space=members_space, user=member).role == "moderator"
    added, changed = AuditEntry.objects.filter(action__startswith="space.member").order_by("id")
    assert (added.action, added.after) == ("space.member_add", {"user": "meera", "role": "member"})
    assert (changed.action, changed.changes) == ("space.member_role", {"role": ("member", "moderator")})
    assert added.space == members_space


def test_someone_who_is_not_a_community_member_cannot_be_added(
    facilitator: User, members_space: Space, outsider: User
) -> None:
    response = client_for(facilitator).post(
        "/spaces/masterclass/members/", {"username": "otto", "role": "member"}
    )
    assert response.status_code == 200
    assert b"otto is not a member of the community yet." in response.content
    assert not SpaceMembership.objects.filter(user=outsider).exists()


def test_an_unknown_username_is_reported_and_kept(facilitator: User, members_space: Space) -> None:
    response = client_for(facilitator).post(
        "/spaces/masterclass/members/", {"username": "nobody", "role": "member"}
    )
    assert response.status_code == 200
    assert b"No one has the username nobody." in response.content
    assert b'value="nobody"' in response.content


def test_the_space_facilitator_removes_a_member(
    facilitator: User, members_space: Space, member: User
) -> None:
    services.space_member_add(space=members_space, user=member, role="member", actor=facilitator)
    response = client_for(facilitator).post(f"/spaces/masterclass/members/{member.pk}/remove/")
    assert response.status_code == 302
    assert not SpaceMembership.objects.filter(user=member).exists()
    entry = AuditEntry.objects.get(action="space.member_remove")
    assert entry.before == {"user": "meera", "role": "member"}
    with pytest.raises(Conflict):
        services.space_member_remove(space=members_space, user=member, actor=facilitator)


def test_a_removed_space_member_loses_sight_of_a_private_space(
    admin: User, private_space: Space, space_member: User
) -> None:
    client = client_for(space_member)
    assert client.get("/spaces/steering/").status_code == 200
    services.space_member_remove(space=private_space, user=space_member, actor=admin)
    assert client.get("/spaces/steering/").status_code == 404


@pytest.mark.parametrize("persona", ["member", "outsider", "space_member"])
def test_people_who_do_not_manage_a_space_cannot_change_its_members(
    persona: str,
    request: pytest.FixtureRequest,
    members_space: Space,
    private_space: Space,
    facilitator: User,
) -> None:
    user: User = request.getfixturevalue(persona)
    client = client_for(user)
    for slug in ("masterclass", "steering"):
        refused = client.post(f"/spaces/{slug}/members/", {"username": user.username, "role": "facilitator"})
        assert refused.status_code in {403, 404}
        removal = client.post(f"/spaces/{slug}/members/{facilitator.pk}/remove/")
        assert removal.status_code in {403, 404}
    assert client.get("/spaces/steering/members/").status_code == (403 if persona == "space_member" else 404)
    assert SpaceMembership.objects.filter(user=facilitator).count() == 2
    assert not SpaceMembership.objects.filter(user=user, role="facilitator").exists()


def test_anonymous_visitors_are_sent_to_log_in_to_manage_members(
    anonymous: Client, public_space: Space
) -> None:
    for path in ("/spaces/open-notes/members/", "/spaces/open-notes/settings/"):
        response = anonymous.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
