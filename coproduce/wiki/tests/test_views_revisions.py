"""A page's history in the browser: revisions, differences, reverting, backlinks and query counts."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.governance.models import AuditEntry
from coproduce.wiki import services
from coproduce.wiki.models import Page, Revision

pytestmark = pytest.mark.django_db

type MaxQueries = Callable[..., AbstractContextManager[Any]]


def make_page(space: Space, author: User, title: str = "Emerging issues", body: str = "First.\n") -> Page:
    return services.page_create(space=space, actor=author, title=title, body=body)


def save(page: Page, author: User, body: str, *, summary: str = "") -> None:
    page.refresh_from_db()
    services.page_save(page=page, actor=author, body=body, base_revision=page.head, summary=summary)


def url(page: Page, view: str = "") -> str:
    return f"/spaces/{page.space.slug}/wiki/{page.slug}/{view}"


@pytest.fixture
def page_with_history(member: User, facilitator: User, members_space: Space) -> Page:
    page = make_page(members_space, member, body="The quick brown fox\njumps over\nthe lazy dog\n")
    save(
        page,
        facilitator,
        "The quick red fox\njumps over\nthe lazy dog\n<script>alert(1)</script>\n",
        summary="Red",
    )
    save(page, member, "The quick red fox\njumps over\nthe sleepy dog\n", summary="Sleepy")
    page.refresh_from_db()
    return page


# --- history ---------------------------------------------------------------------------------


def test_the_history_lists_every_revision_with_its_author_and_summary(
    page_with_history: Page, member: User
) -> None:
    content = client_for(member).get(url(page_with_history, "history/")).content.decode()
    for number in (1, 2, 3):
        assert url(page_with_history, f"revisions/{number}/") in content
        assert f'name="from" type="radio" value="{number}"' in content
        assert f'name="to" type="radio" value="{number}"' in content
    assert "Rowan Facilitator" in content
    assert "Meera Member" in content
    assert "Sleepy" in content
    assert "Who contributed" in content
    assert url(page_with_history, "revisions/1/revert/") in content
    assert url(page_with_history, "revisions/3/revert/") not in content, "no revert to the current revision"


def test_merged_and_reverted_revisions_are_marked_in_the_history(
    member: User, facilitator: User, members_space: Space
) -> None:
    page = make_page(members_space, member, body="one\ntwo\nthree\nfour\nfive\n")
    save(page, facilitator, "one\ntwo\nthree\nfour\nFIVE\n")
    services.page_save(page=page, actor=member, body="ONE\ntwo\nthree\nfour\nfive\n", base_revision=1)
    services.page_revert(page=page, actor=member, revision=1)
    content = client_for(member).get(url(page, "history/")).content.decode()
    assert "Merged" in content
    assert "back to revision 1" in content


def test_a_reader_who_cannot_edit_sees_no_revert_links(
    outsider: User, facilitator: User, public_space: Space
) -> None:
    page = make_page(public_space, facilitator)
    save(page, facilitator, "Second.\n")
    content = client_for(outsider).get(url(page, "history/")).content.decode()
    assert "revert/" not in content


def test_one_revision_shows_its_own_text(page_with_history: Page, member: User) -> None:
    response = client_for(member).get(url(page_with_history, "revisions/1/"))
    content = response.content.decode()
    assert "The quick brown fox" in content
    assert "This is an old revision" in content
    assert client_for(member).get(url(page_with_history, "revisions/9/")).status_code == 404


# --- differences -------------------------------------------------------------------------------


def test_the_diff_shows_word_highlights_side_by_side_and_escapes_html(
    page_with_history: Page, member: User
) -> None:
    response = client_for(member).get(url(page_with_history, "diff/?from=1&to=2"))
    content = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"<del>\s*<span class=\"nhsuk-u-visually-hidden\">\[removed: </span>brown", content)
    assert re.search(r"<ins>\s*<span class=\"nhsuk-u-visually-hidden\">\[added: </span>red", content)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<script>alert" not in content
    assert "<caption" in content
    assert 'scope="col"' in content
    assert "Added line: " in content


def test_the_unified_diff_is_plain_text(page_with_history: Page, member: User) -> None:
    content = (
        client_for(member).get(url(page_with_history, "diff/?from=1&to=2&view=unified")).content.decode()
    )
    assert "-The quick brown fox" in content
    assert "+The quick red fox" in content
    assert "+&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "Show the changes side by side" in content


def test_the_diff_defaults_to_the_latest_change(page_with_history: Page, member: User) -> None:
    content = client_for(member).get(url(page_with_history, "diff/")).content.decode()
    assert "revision 2" in content
    assert "revision 3" in content
    assert "sleepy" in content


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("?from=abc&to=2", 400),
        ("?from=1&to=2.5", 400),
        ("?from=-1&to=2", 400),
        ("?from=1&to=99999999999999999999", 400),
        ("?from=%D9%A1&to=2", 400),  # an Arabic-Indic digit one is not a revision number
        ("?from=0&to=2", 404),
        ("?from=1&to=9", 404),
    ],
)
def test_bad_revision_numbers_in_a_diff_are_refused_clearly(
    query: str, status: int, page_with_history: Page, member: User
) -> None:
    response = client_for(member).get(url(page_with_history, "diff/" + query))
    assert response.status_code == status
    if status == 400:
        assert "whole numbers" in response.content.decode()


def test_the_diff_of_an_unreadable_page_is_not_found(
    member: User, facilitator: User, private_space: Space
) -> None:
    page = make_page(private_space, facilitator)
    assert client_for(member).get(url(page, "diff/?from=1&to=1")).status_code == 404


# --- reverting ---------------------------------------------------------------------------------


def test_reverting_asks_first_and_then_adds_a_new_revision(page_with_history: Page, member: User) -> None:
    client = client_for(member)
    confirm = client.get(url(page_with_history, "revisions/1/revert/")).content.decode()
    assert "Revert Emerging issues to revision 1?" in confirm
    response = client.post(url(page_with_history, "revisions/1/revert/"), {"summary": "Back to basics"})
    assert response.status_code == 302
    assert response["Location"] == url(page_with_history)
    revisions = Revision.objects.filter(page=page_with_history).order_by("number")
    assert [r.number for r in revisions] == [1, 2, 3, 4], "history is kept, never rewritten"
    newest = revisions.last()
    assert newest is not None
    assert newest.body == revisions[0].body
    assert newest.reverted_to == 1
    assert newest.summary == "Back to basics"
    assert AuditEntry.objects.filter(action="page.revert").count() == 1


def test_reverting_needs_a_post(page_with_history: Page, member: User) -> None:
    client_for(member).get(url(page_with_history, "revisions/1/revert/"))
    assert Revision.objects.filter(page=page_with_history).count() == 3


def test_reverting_to_the_current_revision_is_refused_with_a_message(
    page_with_history: Page, member: User
) -> None:
    response = client_for(member).post(url(page_with_history, "revisions/3/revert/"), {"summary": ""})
    assert response.status_code == 200
    assert "already the current revision" in response.content.decode()
    assert Revision.objects.filter(page=page_with_history).count() == 3


def test_a_revert_summary_with_patient_data_is_refused_and_kept(
    page_with_history: Page, member: User
) -> None:
    response = client_for(member).post(
        url(page_with_history, "revisions/1/revert/"), {"summary": "For 999 000 0018"}
    )
    content = response.content.decode()
    assert "NHS number" in content
    assert 'value="For 999 000 0018"' in content
    assert Revision.objects.filter(page=page_with_history).count() == 3


@pytest.mark.parametrize(("persona", "status"), [("outsider", 403), ("anonymous", 403)])
def test_readers_who_cannot_edit_cannot_revert(
    persona: str, status: int, facilitator: User, public_space: Space, request: pytest.FixtureRequest
) -> None:
    page = make_page(public_space, facilitator)
    save(page, facilitator, "Second.\n")
    client = (
        client_for(request.getfixturevalue(persona))
        if persona != "anonymous"
        else request.getfixturevalue("anonymous")
    )
    assert client.post(url(page, "revisions/1/revert/"), {"summary": ""}).status_code == status
    assert Revision.objects.filter(page=page).count() == 2


# --- what links here ---------------------------------------------------------------------------


def test_what_links_here_lists_the_pages_linking_to_this_one(member: User, members_space: Space) -> None:
    target = make_page(members_space, member, "Action plan")
    make_page(members_space, member, "Agenda", body="Read the [[Action plan]].\n")
    make_page(members_space, member, "Unrelated", body="Nothing here.\n")
    content = client_for(member).get(url(target, "links-here/")).content.decode()
    assert "Agenda" in content
    assert "Unrelated" not in content


def test_a_page_nothing_links_to_says_so(member: User, members_space: Space) -> None:
    page = make_page(members_space, member)
    assert "No other page" in client_for(member).get(url(page, "links-here/")).content.decode()


# --- speed -------------------------------------------------------------------------------------


def queries_for(path: str, user: User) -> int:
    client = client_for(user)
    client.get(path)  # warm the session and any caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_page_view_does_not_query_more_for_more_revisions_links_or_children(
    member: User, members_space: Space, django_assert_max_num_queries: MaxQueries
) -> None:
    small = make_page(members_space, member, "Small", body="See [[Missing]].\n")
    baseline = queries_for(url(small), member)

    big = make_page(members_space, member, "Big", body="x\n")
    for n in range(10):
        make_page(members_space, member, f"Linked {n}")
        services.page_create(space=members_space, actor=member, title=f"Child {n}", body="c", parent=big)
    links = "\n".join(f"- [[Linked {n}]] and [[Missing {n}]]" for n in range(10))
    for n in range(15):
        save(big, member, f"{links}\n\nEdit {n}.\n")
    services.page_save(page=big, actor=member, body=links, base_revision=big.head, title="Bigger")
    big.refresh_from_db()

    client = client_for(member)
    client.get(url(big))
    with django_assert_max_num_queries(baseline):
        response = client.get(url(big))
    assert response.status_code == 200
    assert response.content.decode().count("wiki-link--new") == 10


def test_the_history_does_not_query_more_for_more_revisions(
    member: User, members_space: Space, django_assert_max_num_queries: MaxQueries
) -> None:
    small = make_page(members_space, member, "Small")
    baseline = queries_for(url(small, "history/"), member)
    big = make_page(members_space, member, "Big")
    for n in range(30):
        save(big, member, f"Edit {n}.\n")
    client = client_for(member)
    with django_assert_max_num_queries(baseline):
        assert client.get(url(big, "history/")).status_code == 200


def test_diff_marks_written_by_an_author_are_shown_as_text_not_as_changes(
    member: User, members_space: Space
) -> None:
    page = make_page(members_space, member, body="Use <ins> for insertions\n")
    save(page, member, "Use <ins> and <del> for changes\n")
    content = client_for(member).get(url(page, "diff/?from=1&to=2")).content.decode()
    assert "&lt;ins&gt;" in content
    assert "&lt;del&gt;" in content
    table = content[content.index("<table") : content.index("</table>")]
    assert table.count("<ins>") == table.count("[added: ") >= 1
    assert table.count("<del>") == table.count("[removed: ") >= 1
