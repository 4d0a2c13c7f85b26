"""A role asked several times in one request is read once, and never outlives a change or the request."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test.utils import CaptureQueriesContext

from conftest import client_for
from coproduce.accounts.models import Role, User
from coproduce.communities import services
from coproduce.communities.access import can_read_space, readable_spaces, space_role
from coproduce.communities.memo import RequestMemoMiddleware
from coproduce.communities.models import Space, SpaceMembership, SpaceRole, Visibility
from coproduce.wiki import services as wiki_services
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db


def in_a_request[T](view: Callable[[], T]) -> T:
    """Run `view` as the middleware runs a view, and give back what it returned."""
    answers: list[T] = []

    def get_response(request: HttpRequest) -> HttpResponse:
        answers.append(view())
        return HttpResponse()

    RequestMemoMiddleware(get_response)(HttpRequest())
    return answers[0]


def role_queries(captured: CaptureQueriesContext) -> int:
    return sum('FROM "communities_spacemembership"' in q["sql"] for q in captured.captured_queries)


@pytest.fixture
def steering_page(private_space: Space, facilitator: User) -> Page:
    return wiki_services.page_create(
        space=private_space, actor=facilitator, title="Terms of reference", body="Hi."
    )


def test_a_page_of_a_private_space_asks_for_the_members_role_once(
    steering_page: Page, facilitator: User
) -> None:
    client = client_for(facilitator)
    client.get("/")  # warm up: session, site caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/spaces/steering/wiki/{steering_page.slug}/")
    assert response.status_code == 200
    assert "Close this discussion" in response.content.decode()  # the facilitator's role was used
    assert role_queries(captured) == 1


def test_a_page_of_a_private_space_is_still_not_found_for_members_who_do_not_belong(
    steering_page: Page, member: User
) -> None:
    response = client_for(member).get(f"/spaces/steering/wiki/{steering_page.slug}/")
    assert response.status_code == 404


def test_a_page_of_a_members_space_is_not_found_for_an_outsider(
    members_space: Space, facilitator: User, outsider: User
) -> None:
    page = wiki_services.page_create(space=members_space, actor=facilitator, title="Agenda", body="Hi.")
    response = client_for(outsider).get(f"/spaces/{members_space.slug}/wiki/{page.slug}/")
    assert response.status_code == 404


def test_a_role_asked_twice_in_a_request_is_read_once(private_space: Space, facilitator: User) -> None:
    with CaptureQueriesContext(connection) as captured:
        roles = in_a_request(lambda: [space_role(facilitator, private_space) for _ in range(3)])
    assert roles == [SpaceRole.FACILITATOR] * 3
    assert role_queries(captured) == 1


def test_outside_a_request_every_question_goes_to_the_database(private_space: Space, member: User) -> None:
    with CaptureQueriesContext(connection) as captured:
        before = space_role(member, private_space)
        SpaceMembership.objects.create(space=private_space, user=member, role=SpaceRole.MODERATOR)
        after = space_role(member, private_space)
    assert (before, after) == (None, SpaceRole.MODERATOR)
    assert role_queries(captured) == 2


def test_a_membership_added_during_a_request_is_seen_at_once(
    private_space: Space, member: User, facilitator: User
) -> None:
    def view() -> tuple[bool, bool]:
        before = can_read_space(member, private_space)
        services.space_member_add(space=private_space, user=member, role=SpaceRole.MEMBER, actor=facilitator)
        return before, can_read_space(member, private_space)

    assert in_a_request(view) == (False, True)


def test_a_membership_removed_during_a_request_is_seen_at_once(
    private_space: Space, member: User, facilitator: User
) -> None:
    SpaceMembership.objects.create(space=private_space, user=member, role=SpaceRole.MODERATOR)

    def view() -> tuple[str | None, str | None]:
        before = space_role(member, private_space)
        SpaceMembership.objects.filter(space=private_space, user=member).delete()  # not even a service
        return before, space_role(member, private_space)

    assert in_a_request(view) == (SpaceRole.MODERATOR, None)


def test_a_role_changed_by_a_bulk_update_during_a_request_is_seen_at_once(
    private_space: Space, member: User
) -> None:
    SpaceMembership.objects.create(space=private_space, user=member, role=SpaceRole.MEMBER)

    def view() -> tuple[str | None, str | None]:
        before = space_role(member, private_space)
        SpaceMembership.objects.filter(space=private_space).update(role=SpaceRole.MODERATOR)
        return before, space_role(member, private_space)

    assert in_a_request(view) == (SpaceRole.MEMBER, SpaceRole.MODERATOR)


def test_nothing_read_inside_a_transaction_the_request_opened_outlives_its_rollback(
    private_space: Space, member: User
) -> None:
    class Undo(Exception):
        pass

    def view() -> tuple[str | None, str | None]:
        try:
            with transaction.atomic():
                SpaceMembership.objects.create(space=private_space, user=member, role=SpaceRole.MODERATOR)
                inside = space_role(member, private_space)
                raise Undo
        except Undo:
            pass
        return inside, space_role(member, private_space)

    assert in_a_request(view) == (SpaceRole.MODERATOR, None)


def test_each_request_starts_with_nothing_remembered(private_space: Space, member: User) -> None:
    assert in_a_request(lambda: space_role(member, private_space)) is None
    SpaceMembership.objects.create(space=private_space, user=member, role=SpaceRole.MEMBER)
    assert in_a_request(lambda: space_role(member, private_space)) == SpaceRole.MEMBER


def test_the_memo_ends_with_the_request_even_when_the_view_fails(private_space: Space, member: User) -> None:
    def get_response(request: HttpRequest) -> HttpResponse:
        space_role(member, private_space)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        RequestMemoMiddleware(get_response)(HttpRequest())
    with CaptureQueriesContext(connection) as captured:
        space_role(member, private_space)
        space_role(member, private_space)
    assert role_queries(captured) == 2


def test_the_spaces_one_may_read_are_remembered_per_person_and_per_standing(
    public_space: Space, members_space: Space, private_space: Space, member: User, admin: User
) -> None:
    def view() -> tuple[list[str], list[str], list[str], list[str]]:
        mine = [s.slug for s in readable_spaces(member)]
        admins = [s.slug for s in readable_spaces(admin)]
        member.role = Role.NONE  # the same object, no longer a member of the community
        ended = [s.slug for s in readable_spaces(member)]
        return mine, admins, ended, [s.slug for s in readable_spaces(User())]

    mine, admins, ended, anonymous = in_a_request(view)
    assert mine == ["masterclass", "open-notes"]
    assert admins == ["masterclass", "open-notes", "steering"]
    assert ended == anonymous == ["open-notes"]


def test_the_search_page_reads_the_spaces_one_may_read_once(public_space: Space, member: User) -> None:
    client = client_for(member)
    client.get("/")
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/search?q=notes")
    assert response.status_code == 200
    spaces = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith('SELECT DISTINCT "communities_space"')
    ]
    assert len(spaces) == 2  # the readable spaces, once, and the spaces whose name matches
    assert "Open notes" in response.content.decode()


def test_visibility_decides_which_spaces_are_open_without_a_membership(
    public_space: Space, private_space: Space, member: User
) -> None:
    assert in_a_request(lambda: can_read_space(member, private_space)) is False
    private_space.visibility = Visibility.MEMBERS
    private_space.save()
    assert in_a_request(lambda: can_read_space(member, private_space)) is True


def test_a_role_changed_by_raw_sql_during_a_request_is_seen_at_once(
    private_space: Space, member: User
) -> None:
    SpaceMembership.objects.create(space=private_space, user=member, role=SpaceRole.MEMBER)

    def view() -> tuple[str | None, str | None]:
        before = space_role(member, private_space)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE communities_spacemembership SET role = %s WHERE user_id = %s",
                [SpaceRole.FACILITATOR, member.pk],
            )
        return before, space_role(member, private_space)

    assert in_a_request(view) == (SpaceRole.MEMBER, SpaceRole.FACILITATOR)
