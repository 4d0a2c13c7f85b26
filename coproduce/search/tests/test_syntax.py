"""Whatever is typed is read as plain words: the engines' own query syntax never runs and never fails."""

from __future__ import annotations

import pytest

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.search.query import search
from coproduce.search.tests.helpers import make_page
from coproduce.search.text import query_words

pytestmark = pytest.mark.django_db

CORPUS = [
    '"',
    '"unbalanced',
    'perils"',
    '"perils" OR "powers"',
    "perils OR powers",
    "perils AND NOT powers",
    "NOT perils",
    "NEAR(perils powers)",
    "NEAR(perils",
    "NEAR(perils powers, 2)",
    "perils NEAR/2 powers",
    "perils*",
    "*perils",
    "*",
    "**",
    "-perils",
    "perils -powers",
    "- -- ---",
    "^perils",
    "+perils",
    "title:perils",
    "body : perils",
    "{title body}: perils",
    "perils:*",
    "perils & powers | !risks",
    "perils <-> powers",
    "!perils",
    "(perils",
    "perils)",
    "((perils) powers",
    "[perils]",
    "perils\\",
    "\\",
    "'perils'",
    "''",
    "per'ils",
    "%",
    "_",
    "perils%",
    "perils; DROP TABLE search_fts; --",
    "perils' OR '1'='1",
    "\x00",
    "perils\x00powers",
    "\x01\x02\x1b[31m",
    "perils\u200bpowers",
    "\u202eslirep",
    "\ue000perils\ue001",
    "\ud7ff\uffff",
    "e\u0301",
    "😀 perils 😀",
    "\uff50\uff45\uff52\uff49\uff4c\uff53",  # full-width letters
    "perils " * 2000,
    "x" * 10_000,
    "é" * 10_000,
    "a b c d e f g h i j k l m n o p q r s t u v w x y z " * 40,
]


@pytest.mark.parametrize("query", CORPUS, ids=lambda q: repr(q[:30]))
def test_engine_syntax_is_searched_as_plain_words(
    query: str, public_space: Space, member: User, facilitator: User
) -> None:
    make_page(public_space, facilitator, "Powers and perils", 'The perils: "NEAR(" * - ^ and (brackets.')

    results = search(member, query)

    assert results.count == len(results.items)
    assert results.count in (0, 1)
    for hit in results.items:
        assert "<mark>" in hit.snippet_html or hit.title == "Powers and perils"


def test_operators_are_words_to_match_not_operators(
    public_space: Space, member: User, facilitator: User
) -> None:
    make_page(public_space, facilitator, "Perils", "Only perils here.")
    make_page(public_space, facilitator, "Powers", "Only powers here.")

    assert search(member, "perils OR powers").count == 0  # "or" is a word the pages do not contain
    assert search(member, "perils -powers").count == 0  # "-" is not "without"
    assert [hit.title for hit in search(member, "NEAR(perils").items] == []  # "near" is a word too
    assert [hit.title for hit in search(member, '"perils"').items] == ["Perils"]
    assert [hit.title for hit in search(member, "(perils)*").items] == ["Perils"]


def test_a_query_is_cut_to_a_bounded_number_of_words() -> None:
    words = query_words("word " * 10_000)

    assert len(words) == 32
    assert query_words("x" * 10_000) == ["x" * 64]
    assert query_words('NEAR(a, "b"*) -c ^d:e') == ["NEAR", "a", "b", "c", "d", "e"]
