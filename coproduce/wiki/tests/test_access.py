"""Who may read and edit wiki pages: every viewer against every kind of space, from both sides."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from conftest import make_person
from coproduce.accounts.models import Role, User
from coproduce.communities.access import Viewer
from coproduce.communities.models import Space, SpaceMembership, SpaceRole
from coproduce.wiki.access import (
    can_edit_space,
    can_read_space,
    get_page_for_editor,
    get_page_for_user,
    get_space_for_editor,
    get_template_for_manager,
)
from coproduce.wiki.models import Page, PageTemplate
from coproduce.wiki.services import page_create, page_save

SPACES = ["public_space", "members_space", "private_space"]
VIEWERS = ["anonymous", "outsider", "member", "space_member", "former_member", "admin"]

# Who reads / edits each kind of space. A space member belongs to the space being tested;
# a former member had a community role once and still has a space membership row.
READS = {
    "public_space": {"anonymous", "outsider", "member", "space_member", "former_member", "admin"},
    "members_space": {"member", "space_member", "admin"},
    "private_space": {"space_member", "admin"},
}
EDITS = {
    "public_space": {"member", "space_member", "admin"},
    "members_space": {"member", "space_member", "admin"},
    "private_space": {"space_member", "admin"},
}
CASES = [(space, viewer) for space in SPACES for viewer in VIEWERS]


def _setup(request: pytest.FixtureRequest, space_name: str, viewer_name: str) -> tuple[Space, Viewer, Page]:
    space: Space = request.getfixturevalue(space_name)
    facilitator: User = request.getfixturevalue("facilitator")
    viewer: Viewer
    if viewer_name == "anonymous":
        viewer = AnonymousUser()
    elif viewer_name == "space_member":
        viewer = make_person("sam", Role.MEMBER)
        SpaceMembership.objects.create(space=space, user=viewer, role=SpaceRole.MEMBER)
    elif viewer_name == "former_member":
        viewer = make_person("fern", Role.NONE)
        SpaceMembership.objects.create(space=space, user=viewer, role=SpaceRole.MEMBER)
    else:
        viewer = request.getfixturevalue(viewer_name)
    page = page_create(space=space, actor=facilitator, title="Agenda", body="Text")
    return space, viewer, page


@pytest.mark.parametrize(("space_name", "viewer_name"), CASES)
def test_who_can_read_a_space_s_pages(
    request: pytest.FixtureRequest, space_name: str, viewer_name: str
) -> None:
    space, viewer, page = _setup(request, space_name, viewer_name)
    expected = viewer_name in READS[space_name]

    assert can_read_space(viewer, space) is expected
    if expected:
        assert get_page_for_user(viewer, space.slug, page.slug) == page
    else:
        with pytest.raises(Http404):
            get_page_for_user(viewer, space.slug, page.slug)


@pytest.mark.parametrize(("space_name", "viewer_name"), CASES)
def test_who_can_edit_a_space_s_pages(
    request: pytest.FixtureRequest, space_name: str, viewer_name: str
) -> None:
    space, viewer, page = _setup(request, space_name, viewer_name)
    expected = viewer_name in EDITS[space_name]

    assert can_edit_space(viewer, space) is expected
    if expected:
        assert get_page_for_editor(viewer, space.slug, page.slug) == page
        assert get_space_for_editor(viewer, space.slug) == space
        assert isinstance(viewer, User)
        page_save(page=page, actor=viewer, body="Edited", base_revision=1)
        assert page.head == 2
    elif viewer_name in READS[space_name]:
        with pytest.raises(PermissionDenied):
            get_page_for_editor(viewer, space.slug, page.slug)
        with pytest.raises(PermissionDenied):
            get_space_for_editor(viewer, space.slug)
    else:
        with pytest.raises(Http404):
            get_page_for_editor(viewer, space.slug, page.slug)
        with pytest.raises(Http404):
            get_space_for_editor(viewer, space.slug)


def test_a_page_in_a_space_the_viewer_cannot_see_is_not_found_rather_than_forbidden(
    private_space: Space, facilitator: User, member: User
) -> None:
    page = page_create(space=private_space, actor=facilitator, title="Budget", body="Text")

    with pytest.raises(Http404):
        get_page_for_editor(member, private_space.slug, page.slug)
    with pytest.raises(Http404):
        get_page_for_user(member, private_space.slug, "no-such-page")


def test_an_unknown_page_or_an_overlong_slug_is_not_found(public_space: Space, member: User) -> None:
    for slug in ("no-such-page", "", "x" * 121):
        with pytest.raises(Http404):
            get_page_for_user(member, public_space.slug, slug)


def test_a_page_is_found_by_a_slug_it_used_to_have(public_space: Space, member: User) -> None:
    page = page_create(space=public_space, actor=member, title="Agenda", body="Text")
    page_save(page=page, actor=member, body="Text", base_revision=1, title="Agenda for May")

    found = get_page_for_user(AnonymousUser(), public_space.slug, "agenda")

    assert found == page
    assert found.slug == "agenda-for-may"


def test_a_page_of_another_space_is_not_found_under_this_space(
    public_space: Space, members_space: Space, member: User
) -> None:
    page = page_create(space=members_space, actor=member, title="Agenda", body="Text")

    with pytest.raises(Http404):
        get_page_for_user(member, public_space.slug, page.slug)


def test_only_facilitators_of_the_space_and_admins_get_its_templates(
    members_space: Space, facilitator: User, member: User, admin: User, outsider: User
) -> None:
    template = PageTemplate.objects.create(space=members_space, name="Notes", body="")

    assert get_template_for_manager(facilitator, members_space.slug, template.pk) == template
    assert get_template_for_manager(admin, members_space.slug, template.pk) == template
    with pytest.raises(PermissionDenied):
        get_template_for_manager(member, members_space.slug, template.pk)
    with pytest.raises(Http404):
        get_template_for_manager(outsider, members_space.slug, template.pk)
    with pytest.raises(Http404):
        get_template_for_manager(facilitator, members_space.slug, template.pk + 1)
