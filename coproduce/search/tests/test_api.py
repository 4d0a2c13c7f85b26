"""GET /api/v1/search (mounted by the test URLs the way the lead mounts it in coproduce/api/api.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.accounts.services import token_create
from coproduce.communities.models import Space
from coproduce.search.tests.helpers import make_page

pytestmark = [pytest.mark.django_db, pytest.mark.urls("coproduce.search.tests.urls")]


def get(client: Client, *, headers: dict[str, str] | None = None, **params: str | int) -> tuple[int, Any]:
    response = client.get("/api/v1/search", params, headers=headers)
    return response.status_code, response.json()


def bearer(user: User) -> dict[str, str]:
    _, raw = token_create(user=user, name="tests", actor=user)
    return {"Authorization": f"Bearer {raw}"}


def test_a_search_answers_with_ranked_items_count_and_next(
    public_space: Space, anonymous: Client, facilitator: User
) -> None:
    when = timezone.make_aware(datetime(2008, 5, 15, 10, 0))
    page = make_page(public_space, facilitator, "Perils", "The <b>perils</b> of blogs.", updated_at=when)
    make_page(public_space, facilitator, "Notes", "More perils.")

    status, body = get(anonymous, q="perils", page_size=1)

    assert status == 200
    assert body["count"] == 2
    assert body["next"] == "http://testserver/api/v1/search?q=perils&page_size=1&page=2"
    assert body["items"] == [
        {
            "type": "page",
            "title": "Perils",
            "url": f"http://testserver/spaces/open-notes/wiki/{page.slug}/",
            "snippet": body["items"][0]["snippet"],
            "space": "open-notes",
            "space_name": "Open notes",
            "updated_at": body["items"][0]["updated_at"],
        }
    ]
    assert datetime.fromisoformat(body["items"][0]["updated_at"]) == when
    assert body["items"][0]["snippet"].startswith("The &lt;b&gt;<mark>perils</mark>&lt;/b&gt; of blogs")
    last = Client().get(body["next"]).json()
    assert ([item["title"] for item in last["items"]], last["next"]) == (["Notes"], None)


def test_anonymous_callers_find_only_public_pages(
    public_space: Space, members_space: Space, private_space: Space, anonymous: Client, facilitator: User
) -> None:
    for space in (public_space, members_space, private_space):
        make_page(space, facilitator, f"{space.name} agenda", "agenda")

    status, body = get(anonymous, q="agenda")

    assert (status, body["count"], [i["title"] for i in body["items"]]) == (200, 1, ["Open notes agenda"])


def test_a_token_caller_finds_what_they_may_read(
    public_space: Space, members_space: Space, private_space: Space, member: User, facilitator: User
) -> None:
    for space in (public_space, members_space, private_space):
        make_page(space, facilitator, f"{space.name} agenda", "agenda")

    status, body = get(Client(), headers=bearer(member), q="agenda")

    assert status == 200
    assert sorted(i["title"] for i in body["items"]) == ["Masterclass agenda", "Open notes agenda"]
    assert body["count"] == 2


def test_filters_by_space_author_and_dates(members_space: Space, member: User, facilitator: User) -> None:
    make_page(members_space, facilitator, "New", "agenda")
    make_page(
        members_space, member, "Old", "agenda", updated_at=timezone.make_aware(datetime(2008, 5, 15, 9))
    )
    client = client_for(member)

    by_space = get(client, q="agenda", space="masterclass")[1]
    by_author = get(client, q="agenda", author="meera")[1]
    by_date = get(client, q="agenda", since="2008-05-15", until="2008-05-15")[1]

    assert by_space["count"] == 2
    assert [i["title"] for i in by_author["items"]] == ["Old"]
    assert [i["title"] for i in by_date["items"]] == ["Old"]


@pytest.mark.parametrize("slug", ["steering", "no-such-space", "../etc", "x" * 61])
def test_a_space_the_caller_cannot_see_is_not_found(
    slug: str, private_space: Space, outsider: User, facilitator: User
) -> None:
    make_page(private_space, facilitator, "Secret", "agenda")

    status, body = get(client_for(outsider), q="agenda", space=slug)

    assert status in (400, 404)
    assert body["error"]["code"] in ("not_found", "invalid_input")
    assert "Secret" not in str(body)


def test_an_unreadable_space_gives_404_not_403(private_space: Space, outsider: User) -> None:
    status, body = get(client_for(outsider), q="agenda", space="steering")

    assert (status, body["error"]["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "x", "page_size": "101"}, "page_size"),
        ({"q": "x", "page_size": "0"}, "page_size"),
        ({"q": "x", "page": "0"}, "page"),
        ({"q": "x", "page": "two"}, "page"),
        ({"q": "x", "since": "yesterday"}, "since"),
        ({"q": "x", "until": "2008-13-45"}, "until"),
        ({"q": "x" * 10_001}, "q"),
        ({"q": "perils\x00"}, "q"),
        ({"q": "x", "page": str(10**6 + 1)}, "page"),
    ],
)
def test_bad_parameters_get_400_naming_the_field(
    params: dict[str, str], field: str, anonymous: Client
) -> None:
    response = anonymous.get("/api/v1/search", params)
    body = response.json()

    assert response.status_code == 400
    assert body["error"]["code"] == "invalid_input"
    assert field in {error["field"] for error in body["error"]["details"]["errors"]}


def test_an_end_date_before_the_start_date_is_invalid(anonymous: Client) -> None:
    status, body = get(anonymous, q="x", since="2008-05-20", until="2008-05-10")

    assert (status, body["error"]["code"]) == (400, "invalid_input")
    assert "until must be the same day as since or after it" in body["error"]["message"]


@pytest.mark.parametrize("query", ["", "   ", 'NEAR("', "*", "-", "((", "title:^x", "perils " * 1000])
def test_engine_syntax_and_empty_queries_never_fail(
    query: str, public_space: Space, anonymous: Client
) -> None:
    status, body = get(anonymous, q=query)

    assert status == 200
    assert body["count"] == len(body["items"])


def test_a_page_far_past_the_end_is_empty_with_the_count(
    public_space: Space, anonymous: Client, facilitator: User
) -> None:
    make_page(public_space, facilitator, "Only", "agenda")

    status, body = get(anonymous, q="agenda", page=str(10**6))

    assert (status, body["items"], body["count"], body["next"]) == (200, [], 1, None)
