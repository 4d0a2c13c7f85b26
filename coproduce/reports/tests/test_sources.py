"""Source kinds: the cards a facilitator sees, and provenance links to the exact revision."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.utils import timezone

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.discussions import services as discussions
from coproduce.discussions.models import Comment
from coproduce.reports import sources
from coproduce.wiki import services as wiki
from coproduce.wiki.models import Page

BODY_1 = "# Powers\nRapid sharing.\n\n# Perils\nConfidentiality.\n"
BODY_2 = BODY_1 + "\n# Tips\nName a facilitator.\n"


def _page(space: Space, author: User, editor: User) -> Page:
    page = wiki.page_create(space=space, actor=author, title="Emerging issues", body=BODY_1)
    wiki.page_save(page=page, actor=editor, body=BODY_2, base_revision=1)
    page.refresh_from_db()
    return page


def _path(url: str) -> str:
    assert url.startswith(settings.SITE_URL)
    return url.removeprefix(settings.SITE_URL)


def test_the_board_lists_pages_their_sections_comments_and_closed_discussions(
    members_space: Space, facilitator: User, member: User
) -> None:
    page = _page(members_space, member, facilitator)
    comment = discussions.comment_create(page=page, actor=member, body="A thought")
    discussions.discussion_close(page=page, actor=facilitator, outcome="We agreed.")

    keys = {card.key for card in sources.board_cards(members_space, facilitator)}

    assert {f"page:{page.pk}", f"page:{page.pk}#1", f"page:{page.pk}#3", f"comment:{comment.pk}"} <= keys
    assert f"outcome:{page.thread.pk}" in keys


def test_a_page_source_links_to_the_exact_revision_it_was_pinned_to(
    members_space: Space, facilitator: User, member: User
) -> None:
    page = _page(members_space, member, facilitator)

    card = sources.resolve(f"page:{page.pk}", members_space, facilitator, revision=1)

    assert card is not None
    assert card.revision == 1
    assert card.author_ids == (member.pk,)
    response = client_for(facilitator).get(_path(card.url))
    assert response.status_code == 200
    assert re.search(r"[Rr]evision 1\b", response.content.decode())
    assert "Name a facilitator" not in response.content.decode()


def test_a_page_section_card_names_its_heading_and_the_authors_up_to_its_revision(
    members_space: Space, facilitator: User, member: User
) -> None:
    page = _page(members_space, member, facilitator)

    card = sources.resolve(f"page:{page.pk}#3", members_space, facilitator)

    assert card is not None
    assert card.title == "Emerging issues: Tips"
    assert card.revision == 2
    assert card.part == "3"
    assert set(card.author_ids) == {member.pk, facilitator.pk}
    assert sources.resolve(f"page:{page.pk}#3", members_space, facilitator, revision=1) is None


def test_a_comment_source_links_to_the_comment_on_its_page(
    members_space: Space, facilitator: User, member: User
) -> None:
    page = _page(members_space, member, facilitator)
    comment = discussions.comment_create(page=page, actor=member, body="A thought")

    card = sources.resolve(f"comment:{comment.pk}", members_space, facilitator)

    assert card is not None
    assert card.url.endswith(f"#comment-{comment.pk}")
    response = client_for(facilitator).get(_path(card.url).split("#")[0])
    assert f'id="comment-{comment.pk}"' in response.content.decode()


def test_hidden_and_deleted_comments_and_open_discussions_are_not_sources(
    members_space: Space, facilitator: User, member: User
) -> None:
    page = _page(members_space, member, facilitator)
    comment = discussions.comment_create(page=page, actor=member, body="A thought")
    Comment.objects.filter(pk=comment.pk).update(state=Comment.State.HIDDEN)

    assert sources.resolve(f"comment:{comment.pk}", members_space, facilitator) is None
    assert sources.resolve(f"outcome:{page.thread.pk}", members_space, facilitator) is None


def test_nothing_resolves_for_someone_who_cannot_read_the_space(
    private_space: Space, facilitator: User, member: User
) -> None:
    page = wiki.page_create(space=private_space, actor=facilitator, title="Secret", body="x")

    assert sources.resolve(f"page:{page.pk}", private_space, member) is None
    assert sources.board_cards(private_space, member) == []


def test_a_hidden_page_is_no_source_for_a_facilitator_who_cannot_moderate(
    members_space: Space, facilitator: User, member: User
) -> None:
    page = _page(members_space, member, facilitator)
    Page.objects.filter(pk=page.pk).update(hidden_at=timezone.now())

    assert sources.resolve(f"page:{page.pk}", members_space, facilitator) is None


@pytest.mark.parametrize("key", ["", "page", "page:x", "nothing:1", "page:1#a", "comment:1#2"])
def test_malformed_keys_resolve_to_nothing(members_space: Space, facilitator: User, key: str) -> None:
    assert sources.resolve(key, members_space, facilitator) is None
