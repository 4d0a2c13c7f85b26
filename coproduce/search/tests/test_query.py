"""Ranking, snippets, filters and accents of `coproduce.search.query.search` (on whichever engine runs)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.search.query import search
from coproduce.search.tests.helpers import attach, make_page, save_page

pytestmark = pytest.mark.django_db


def titles(viewer: User, query: str, **filters: object) -> list[str]:
    return [hit.title for hit in search(viewer, query, **filters).items]  # type: ignore[arg-type]


def test_a_title_match_ranks_above_a_body_match(public_space: Space, member: User, facilitator: User) -> None:
    make_page(public_space, facilitator, "Meeting notes", "We talked about the perils of social networking.")
    make_page(public_space, facilitator, "Perils", "A list of things that could go wrong.")
    make_page(public_space, facilitator, "Unrelated", "Nothing to see here.")

    assert titles(member, "perils") == ["Perils", "Meeting notes"]


def test_an_attachment_name_match_ranks_between_title_and_body(
    public_space: Space, member: User, facilitator: User
) -> None:
    in_body = make_page(public_space, facilitator, "Notes", "The governance checklist is attached somewhere.")
    with_file = make_page(public_space, facilitator, "Handouts", "Files from the day.")
    attach(with_file, facilitator, "governance-slides.pdf")
    make_page(public_space, facilitator, "Governance", "The page about it.")

    assert titles(member, "governance") == ["Governance", "Handouts", in_body.title]


def test_every_word_must_match(public_space: Space, member: User, facilitator: User) -> None:
    make_page(public_space, facilitator, "Powers", "Social networking gives delegates a voice.")
    make_page(public_space, facilitator, "Perils", "Social media can leak patient data.")

    assert titles(member, "social voice") == ["Powers"]
    assert sorted(titles(member, "social")) == ["Perils", "Powers"]


def test_whole_words_match_not_parts_of_words(public_space: Space, member: User, facilitator: User) -> None:
    make_page(public_space, facilitator, "Networking", "Informal networks matter.")

    assert titles(member, "informal netw") == []
    assert titles(member, "informal network") == ["Networking"]


def test_related_forms_of_a_word_match(public_space: Space, member: User, facilitator: User) -> None:
    make_page(public_space, facilitator, "Risks", "The delegates discussed several risks.")

    assert titles(member, "risk discussing") == ["Risks"]


def test_accents_do_not_matter_either_way(public_space: Space, member: User, facilitator: User) -> None:
    make_page(public_space, facilitator, "Café meetings", "Naïve users and their rôles.")
    make_page(public_space, facilitator, "Cafe rules", "Naive users and their roles.")

    assert sorted(titles(member, "cafe")) == ["Cafe rules", "Café meetings"]
    assert sorted(titles(member, "café")) == ["Cafe rules", "Café meetings"]
    assert sorted(titles(member, "NAIVE rôles")) == ["Cafe rules", "Café meetings"]


def test_words_in_other_scripts_are_found(public_space: Space, member: User, facilitator: User) -> None:
    make_page(public_space, facilitator, "Ελληνικά", "Κοινότητα πρακτικής and Обсуждение.")

    assert titles(member, "κοινότητα") == ["Ελληνικά"]
    assert titles(member, "обсуждение") == ["Ελληνικά"]


def test_snippets_highlight_the_matched_words(public_space: Space, member: User, facilitator: User) -> None:
    make_page(
        public_space, facilitator, "Perils", "Delegates listed the perils of using social networking tools."
    )

    [hit] = search(member, "social perils").items

    assert "<mark>perils</mark>" in hit.snippet_html
    assert "<mark>social</mark>" in hit.snippet_html
    assert "Delegates listed" in hit.snippet_html


def test_snippets_show_markup_in_the_page_text_as_text(
    public_space: Space, member: User, facilitator: User
) -> None:
    body = 'Never paste <script>alert("x")</script> or <img src=x onerror=alert(1)> & friends into a page.'
    make_page(public_space, facilitator, "Scripts", body)

    [hit] = search(member, "script paste").items

    html = str(hit.snippet_html)
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;<mark>script</mark>&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; friends" in html
    assert set(html.replace("<mark>", "").replace("</mark>", "")) & {"<", ">"} == set()


def test_a_hit_names_its_page_space_and_time(public_space: Space, member: User, facilitator: User) -> None:
    when = timezone.now() - timedelta(days=3)
    page = make_page(public_space, facilitator, "What should we do?", "Write guidance.", updated_at=when)

    [hit] = search(member, "guidance").items

    assert (hit.type, hit.title, hit.space_name, hit.space_slug) == (
        "page",
        page.title,
        "Open notes",
        "open-notes",
    )
    assert hit.url == f"/spaces/open-notes/wiki/{page.slug}/"
    assert hit.updated_at == when
    assert hit.rank > 0


def test_filtering_by_space(
    public_space: Space, members_space: Space, member: User, facilitator: User
) -> None:
    make_page(public_space, facilitator, "Open perils", "perils")
    make_page(members_space, facilitator, "Masterclass perils", "perils")

    assert titles(member, "perils", space=members_space) == ["Masterclass perils"]
    assert titles(member, "perils", space=public_space) == ["Open perils"]


def test_filtering_by_author_finds_pages_they_edited(
    public_space: Space, member: User, facilitator: User, admin: User
) -> None:
    page = make_page(public_space, facilitator, "Shared perils", "perils")
    make_page(public_space, facilitator, "Facilitator perils", "perils")
    save_page(page, admin, body="perils, edited by Ada")

    assert titles(admin, "perils", author="ada") == ["Shared perils"]
    assert titles(admin, "perils", author="ADA") == ["Shared perils"]
    assert sorted(titles(admin, "perils", author="rowan")) == ["Facilitator perils", "Shared perils"]
    assert titles(admin, "perils", author="nobody") == []


def test_filtering_by_date_includes_both_ends(public_space: Space, member: User, facilitator: User) -> None:
    def at(day: int) -> datetime:
        return timezone.make_aware(datetime(2008, 5, day, 12, 0))

    for day in (14, 15, 16, 17):
        make_page(public_space, facilitator, f"Day {day}", "perils", updated_at=at(day))

    assert sorted(titles(member, "perils", since=date(2008, 5, 15), until=date(2008, 5, 16))) == [
        "Day 15",
        "Day 16",
    ]
    assert sorted(titles(member, "perils", since=date(2008, 5, 17))) == ["Day 17"]
    assert sorted(titles(member, "perils", until=date(2008, 5, 14))) == ["Day 14"]


def test_results_come_in_pages_with_the_full_count(
    public_space: Space, member: User, facilitator: User
) -> None:
    for number in range(25):
        make_page(public_space, facilitator, f"Peril {number:02d}", "perils " * (number + 1))

    first = search(member, "perils", page=1, page_size=10)
    third = search(member, "perils", page=3, page_size=10)
    beyond = search(member, "perils", page=4, page_size=10)
    absurd = search(member, "perils", page=10**18, page_size=10)

    assert (first.count, len(first.items)) == (25, 10)
    assert (third.count, len(third.items)) == (25, 5)
    assert (beyond.count, beyond.items) == (25, [])
    assert (absurd.count, absurd.items) == (25, [])
    every = [hit.title for n in (1, 2, 3) for hit in search(member, "perils", page=n, page_size=10).items]
    assert sorted(every) == [f"Peril {n:02d}" for n in range(25)]


def test_page_size_is_kept_between_1_and_100(public_space: Space, member: User, facilitator: User) -> None:
    for number in range(3):
        make_page(public_space, facilitator, f"Peril {number}", "perils")

    assert len(search(member, "perils", page_size=0).items) == 1
    assert len(search(member, "perils", page_size=10_000).items) == 3


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "...", "- * ^ :", '""', "()"])
def test_a_query_without_words_finds_nothing(
    query: str, public_space: Space, member: User, facilitator: User
) -> None:
    make_page(public_space, facilitator, "Anything", "Some text with punctuation: - * ^ ... ()")

    assert search(member, query).count == 0
    assert search(member, query).items == []
