"""Answers are cached, but never shown stale or to someone who can read different spaces."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.search.index import index_page
from coproduce.search.models import IndexState
from coproduce.search.query import search
from coproduce.search.tests.helpers import attach, make_page, save_page

pytestmark = pytest.mark.django_db

type CountQueries = Callable[[int], AbstractContextManager[Any]]


def test_a_repeated_search_is_answered_from_the_cache(
    public_space: Space, member: User, facilitator: User, django_assert_num_queries: CountQueries
) -> None:
    make_page(public_space, facilitator, "Perils", "perils")
    first = search(member, "perils")

    with django_assert_num_queries(2):  # the viewer's readable spaces and the index version
        again = search(member, "perils")

    assert again == first


def test_a_page_change_is_seen_by_the_next_search_at_once(
    public_space: Space, member: User, facilitator: User
) -> None:
    page = make_page(public_space, facilitator, "Issues", "blogs")
    assert search(member, "blogs").count == 1

    save_page(page, facilitator, body="podcasts")

    assert search(member, "blogs").count == 0
    assert search(member, "podcasts").count == 1


def test_a_new_attachment_is_seen_by_the_next_search(
    public_space: Space, member: User, facilitator: User
) -> None:
    page = make_page(public_space, facilitator, "Handouts", "files")
    assert search(member, "slides").count == 0

    attach(page, facilitator, "slides.pdf")

    assert search(member, "slides").count == 1


def test_a_cached_answer_is_never_given_to_someone_who_reads_less(
    private_space: Space, space_member: User, outsider: User, facilitator: User
) -> None:
    make_page(private_space, facilitator, "Steering budget", "budget")
    assert search(space_member, "budget").count == 1

    assert search(outsider, "budget").count == 0
    assert search(AnonymousUser(), "budget").count == 0


def test_every_index_change_moves_the_version_on(public_space: Space, facilitator: User) -> None:
    page = make_page(public_space, facilitator, "One", "one")
    before = IndexState.objects.get().version

    save_page(page, facilitator, body="two")
    page_id = page.pk
    page.delete()
    index_page(page_id)

    assert IndexState.objects.get().version == before + 2
