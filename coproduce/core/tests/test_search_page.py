"""The header's search box finds the spaces a visitor may read, and nothing else."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.communities.models import Space

pytestmark = pytest.mark.django_db


def test_an_anonymous_search_finds_public_spaces_only(
    anonymous: Client, public_space: Space, members_space: Space
) -> None:
    members_space.description = "Open notes from the masterclass"
    members_space.save()
    response = anonymous.get("/search", {"q": "open notes"})
    assert response.status_code == 200
    assert list(response.context["spaces"]) == [public_space]


def test_a_member_search_finds_members_spaces_but_not_private_ones(
    member: User, members_space: Space, private_space: Space
) -> None:
    private_space.name = "Masterclass steering"
    private_space.save()
    response = client_for(member).get("/search", {"q": "masterclass"})
    assert list(response.context["spaces"]) == [members_space]


@pytest.mark.parametrize("query", ['"unbalanced', "NEAR(a b)", "*", "-x", "((", "%_", "\x00", "a" * 5000])
def test_any_search_input_is_treated_as_plain_words(
    anonymous: Client, public_space: Space, query: str
) -> None:
    response = anonymous.get("/search", {"q": query})
    assert response.status_code == 200
    assert response.context["spaces"].count() == 0
