"""The search page that the header's search box sends people to."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.test import Client
from django.utils import timezone

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.search.tests.helpers import make_page

pytestmark = [pytest.mark.django_db, pytest.mark.urls("coproduce.search.tests.urls")]


def test_the_page_offers_a_search_form_before_anything_is_asked(anonymous: Client) -> None:
    response = anonymous.get("/search")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Search</h1>" in html
    assert 'name="q"' in html
    assert "result" not in html.split("<h1>Search</h1>", 1)[1].split("</form>", 1)[1]


def test_results_link_to_pages_with_space_date_and_highlighted_snippet(
    public_space: Space, member: User, facilitator: User
) -> None:
    when = timezone.make_aware(datetime(2008, 5, 15, 10, 0))
    page = make_page(
        public_space, facilitator, "Perils", "Delegates listed the perils of blogs.", updated_at=when
    )

    response = client_for(member).get("/search", {"q": "perils"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "1 page found for “perils”" in html
    assert f'<a href="/spaces/open-notes/wiki/{page.slug}/">Perils</a>' in html
    assert "In Open notes, updated" in html
    assert f'<time datetime="{timezone.localtime(when).isoformat()}">15 May 2008</time>' in html
    assert "Delegates listed the <mark>perils</mark> of blogs" in html


def test_markup_in_titles_and_page_text_shows_as_text(
    public_space: Space, member: User, facilitator: User
) -> None:
    make_page(public_space, facilitator, "<b>Bold</b> title", "Try <script>alert(1)</script> here.")

    html = client_for(member).get("/search", {"q": "script"}).content.decode()

    assert "<script>alert(1)" not in html
    assert "&lt;<mark>script</mark>&gt;alert(1)" in html
    assert "&lt;b&gt;Bold&lt;/b&gt; title" in html


def test_what_was_typed_is_shown_back_escaped(anonymous: Client, public_space: Space) -> None:
    html = anonymous.get("/search", {"q": '"><script>x</script> NEAR('}).content.decode()

    assert "<script>x</script>" not in html
    assert "0 pages found for “&quot;&gt;&lt;script&gt;x&lt;/script&gt; NEAR(”" in html
    assert "Nothing you can read matches" in html


def test_an_outsider_never_sees_a_private_pages_title_or_count(
    private_space: Space, outsider: User, facilitator: User
) -> None:
    make_page(private_space, facilitator, "Secret steering plans", "Budget cuts to the steering group.")

    html = client_for(outsider).get("/search", {"q": "steering"}).content.decode()

    assert "0 pages found" in html
    assert "Secret steering plans" not in html
    assert "Budget" not in html
    assert "Steering group" not in html  # not even offered as a space to filter by


def test_the_space_filter_offers_only_readable_spaces(
    public_space: Space, members_space: Space, private_space: Space, member: User
) -> None:
    html = client_for(member).get("/search", {"q": "x"}).content.decode()

    assert '<option value="open-notes">Open notes</option>' in html
    assert '<option value="masterclass">Masterclass</option>' in html
    assert "steering" not in html


def test_filters_narrow_the_results(
    public_space: Space, members_space: Space, member: User, facilitator: User
) -> None:
    make_page(public_space, facilitator, "Open perils", "perils")
    make_page(members_space, facilitator, "Masterclass perils", "perils", updated_at=timezone.now())
    make_page(
        members_space,
        member,
        "Old perils",
        "perils",
        updated_at=timezone.make_aware(datetime(2008, 5, 15, 9, 0)),
    )
    client = client_for(member)

    by_space = client.get("/search", {"q": "perils", "space": "masterclass"}).content.decode()
    by_author = client.get("/search", {"q": "perils", "author": "meera"}).content.decode()
    by_date = client.get(
        "/search", {"q": "perils", "since": "2008-05-01", "until": "2008-05-31"}
    ).content.decode()

    assert "2 pages found" in by_space
    assert "Open perils" not in by_space
    assert "1 page found" in by_author
    assert "Old perils" in by_author
    assert "1 page found" in by_date
    assert "Old perils" in by_date
    assert '<details class="nhsuk-details" open>' in by_date


def test_bad_filters_are_explained_and_ignored_keeping_what_was_typed(
    public_space: Space, member: User, facilitator: User
) -> None:
    make_page(public_space, facilitator, "Perils", "perils")

    response = client_for(member).get(
        "/search", {"q": "perils", "space": "steering", "since": "yesterday", "until": "2008-13-45"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "Enter the start date as a real date" in html
    assert "Enter the end date as a real date" in html
    assert "Select a valid choice" in html
    assert 'value="yesterday"' in html
    assert "1 page found for “perils”" in html


def test_an_end_date_before_the_start_date_is_refused(public_space: Space, member: User) -> None:
    html = (
        client_for(member)
        .get("/search", {"q": "perils", "since": "2008-05-20", "until": "2008-05-10"})
        .content.decode()
    )

    assert "The end date must be the same as or after the start date." in html


def test_results_are_paginated(public_space: Space, member: User, facilitator: User) -> None:
    for number in range(23):
        make_page(public_space, facilitator, f"Peril {number:02d}", "perils " * (number + 1))
    client = client_for(member)

    first = client.get("/search", {"q": "perils"}).content.decode()
    second = client.get("/search", {"q": "perils", "page": "2"}).content.decode()
    beyond = client.get("/search", {"q": "perils", "page": "99"}).content.decode()
    nonsense = client.get("/search", {"q": "perils", "page": "-1e9"})

    assert "23 pages found" in first
    assert first.count('class="search-result"') == 20
    assert "?q=perils&amp;page=2" in first
    assert second.count('class="search-result"') == 3
    assert "Page 1 of 2" in second
    assert "There are no more results" in beyond
    assert nonsense.status_code == 200
    assert nonsense.content.decode().count('class="search-result"') == 20


def test_a_very_long_query_with_control_characters_is_answered(
    anonymous: Client, public_space: Space
) -> None:
    response = anonymous.get("/search", {"q": "perils\x1b\x7f " + "NEAR(" * 3000})

    html = response.content.decode()
    assert response.status_code == 200
    assert "0 pages found for “perils NEAR(NEAR(" in html
    assert "\x1b" not in html.split("<h2", 1)[1]


def test_a_query_with_a_null_character_is_refused_clearly(anonymous: Client, public_space: Space) -> None:
    response = anonymous.get("/search", {"q": "perils\x00"})

    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()


def test_searching_for_nothing_asks_for_words(anonymous: Client, public_space: Space) -> None:
    response = anonymous.get("/search", {"q": "  "})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter the words to search for." in html
    assert "found for" not in html


def test_spaces_whose_name_matches_are_listed_too_if_readable(
    public_space: Space, private_space: Space, outsider: User, admin: User
) -> None:
    outsider_html = client_for(outsider).get("/search", {"q": "notes"}).content.decode()
    admin_html = client_for(admin).get("/search", {"q": "steering"}).content.decode()
    hidden = client_for(outsider).get("/search", {"q": "steering"}).content.decode()

    assert '<a href="/spaces/open-notes/">Open notes</a>' in outsider_html
    assert '<a href="/spaces/steering/">Steering group</a>' in admin_html
    assert "Steering group" not in hidden
    assert "Spaces matching" not in hidden
