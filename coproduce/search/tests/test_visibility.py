"""Search never shows anything the viewer may not read: not in results, not in counts, not in snippets."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from coproduce.accounts.models import User
from coproduce.communities.access import Viewer
from coproduce.communities.models import Space
from coproduce.search.query import search
from coproduce.search.tests.helpers import make_page

pytestmark = pytest.mark.django_db

EVERYONE = ("anonymous", "outsider", "member", "space_member", "admin")
CAN_READ = {
    "public": {"anonymous", "outsider", "member", "space_member", "admin"},
    "members": {"member", "space_member", "admin"},
    "private": {"space_member", "admin"},
}


@pytest.fixture
def pages(
    public_space: Space, members_space: Space, private_space: Space, facilitator: User
) -> dict[str, Space]:
    spaces = {"public": public_space, "members": members_space, "private": private_space}
    for visibility, space in spaces.items():
        make_page(
            space, facilitator, f"{visibility.title()} agenda", f"The {visibility}word plans of the meeting."
        )
    return spaces


@pytest.fixture
def viewers(outsider: User, member: User, space_member: User, admin: User) -> dict[str, Viewer]:
    return {
        "anonymous": AnonymousUser(),
        "outsider": outsider,
        "member": member,
        "space_member": space_member,
        "admin": admin,
    }


@pytest.mark.parametrize("who", EVERYONE)
def test_results_and_counts_hold_only_readable_spaces(
    who: str, pages: dict[str, Space], viewers: dict[str, Viewer]
) -> None:
    results = search(viewers[who], "plans meeting")

    expected = sorted(f"{v.title()} agenda" for v, readers in CAN_READ.items() if who in readers)
    assert sorted(hit.title for hit in results.items) == expected
    assert results.count == len(expected)


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("visibility", ["public", "members", "private"])
def test_a_pages_own_words_find_it_only_for_its_readers(
    who: str, visibility: str, pages: dict[str, Space], viewers: dict[str, Viewer]
) -> None:
    results = search(viewers[who], f"{visibility}word")

    readable = who in CAN_READ[visibility]
    assert results.count == (1 if readable else 0)
    assert [hit.title for hit in results.items] == ([f"{visibility.title()} agenda"] if readable else [])


@pytest.mark.parametrize("who", ["anonymous", "outsider", "member"])
def test_naming_an_unreadable_space_as_the_filter_finds_nothing(
    who: str, pages: dict[str, Space], viewers: dict[str, Viewer]
) -> None:
    results = search(viewers[who], "privateword", space=pages["private"])

    assert (results.count, results.items) == (0, [])


def test_a_deactivated_member_searches_as_anonymous(pages: dict[str, Space], space_member: User) -> None:
    space_member.is_active = False
    space_member.save()

    assert [hit.title for hit in search(space_member, "plans").items] == ["Public agenda"]


def test_leaving_a_private_space_hides_its_pages_at_once(pages: dict[str, Space], space_member: User) -> None:
    assert search(space_member, "privateword").count == 1

    pages["private"].memberships.filter(user=space_member).delete()

    assert search(space_member, "privateword").count == 0


def test_making_a_space_private_hides_its_pages_from_members(pages: dict[str, Space], member: User) -> None:
    members_space = pages["members"]
    members_space.visibility = "private"
    members_space.save()

    assert search(member, "memberword").count == 0
    assert search(member, "plans").count == 1
