"""The index follows the pages: create, save, rename, attachments, removal and a full rebuild."""

from __future__ import annotations

from io import StringIO
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.search.index import index_page
from coproduce.search.models import SearchDocument
from coproduce.search.query import search
from coproduce.search.tests.helpers import attach, make_page, save_page
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db


def found(viewer: User, query: str) -> list[str]:
    return [hit.title for hit in search(viewer, query).items]


def test_a_new_page_is_found_by_its_title_and_body(
    public_space: Space, member: User, facilitator: User
) -> None:
    make_page(public_space, facilitator, "Emerging issues", "Confidentiality on social networks.")

    assert found(member, "emerging") == ["Emerging issues"]
    assert found(member, "confidentiality") == ["Emerging issues"]
    document = SearchDocument.objects.get()
    assert (document.kind, document.space, list(document.authors.all())) == (
        "page",
        public_space,
        [facilitator],
    )


def test_a_saved_page_is_found_by_its_new_words_only(
    public_space: Space, member: User, facilitator: User
) -> None:
    page = make_page(public_space, facilitator, "Issues", "The old wording about blogs.")

    save_page(page, member, body="The new wording about podcasts.")

    assert found(member, "podcasts") == ["Issues"]
    assert found(member, "blogs") == []
    assert SearchDocument.objects.count() == 1
    assert set(SearchDocument.objects.get().authors.all()) == {facilitator, member}


def test_a_renamed_page_is_found_by_its_new_title_at_its_new_address(
    public_space: Space, member: User, facilitator: User
) -> None:
    page = make_page(public_space, facilitator, "Draft heading", "Body text.")

    save_page(page, facilitator, body="Body text.", title="Final heading")

    assert found(member, "draft") == []
    [hit] = search(member, "final heading").items
    assert hit.url == "/spaces/open-notes/wiki/final-heading/"


def test_attachment_names_are_searchable(public_space: Space, member: User, facilitator: User) -> None:
    page = make_page(public_space, facilitator, "Handouts", "Files from the day.")

    attach(page, facilitator, "Caldicott-principles_2008.pdf")

    assert found(member, "caldicott") == ["Handouts"]
    assert found(member, "principles 2008") == ["Handouts"]


def test_the_body_is_indexed_as_text_without_markup(
    public_space: Space, member: User, facilitator: User
) -> None:
    page = make_page(public_space, facilitator, "Formatted", "placeholder")
    revision = page.current
    assert revision is not None
    revision.html = (
        '<h2>Heading</h2><p>Some <strong>bold</strong> words and a <a href="/x">link label</a>.</p>'
    )
    revision.save()

    index_page(page.pk)

    body = SearchDocument.objects.get().body
    assert body == "Heading\nSome bold words and a link label."
    assert found(member, "href") == []
    assert found(member, "bold label") == ["Formatted"]


def test_a_deleted_page_leaves_the_index(public_space: Space, member: User, facilitator: User) -> None:
    page = make_page(public_space, facilitator, "Temporary", "Soon gone.")
    page_id = page.pk

    page.delete()
    index_page(page_id)

    assert found(member, "temporary") == []
    assert not SearchDocument.objects.exists()


def test_indexing_a_page_that_never_existed_does_nothing(db: None) -> None:
    index_page(987654)

    assert not SearchDocument.objects.exists()


def test_a_deleted_space_takes_its_documents_with_it(
    public_space: Space, member: User, facilitator: User
) -> None:
    make_page(public_space, facilitator, "Gone with the space", "Words.")

    public_space.delete()

    assert not SearchDocument.objects.exists()
    assert found(member, "words") == []


def test_the_reindex_command_rebuilds_everything(
    public_space: Space, members_space: Space, member: User, facilitator: User
) -> None:
    kept = make_page(public_space, facilitator, "Kept", "Alpha words.")
    make_page(members_space, facilitator, "Also kept", "Alpha words too.")
    SearchDocument.objects.all().delete()
    SearchDocument.objects.create(kind="page", object_id=424242, space=public_space, title="Stale", url="/x/")
    Page.objects.filter(pk=kept.pk).update(title="Kept and renamed")
    out = StringIO()

    call_command("reindex", stdout=out)

    assert out.getvalue().strip() == "Indexed 2 documents."
    assert sorted(found(member, "alpha")) == ["Also kept", "Kept and renamed"]
    assert found(member, "stale") == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 triggers exist only on SQLite")
def test_the_fts5_triggers_are_in_place(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'search_searchdocument'"
        )
        names = {row[0] for row in cursor.fetchall()}

    assert names == {"search_fts_after_insert", "search_fts_after_update", "search_fts_after_delete"}


def test_the_wiki_services_keep_the_index_up_to_date_on_commit(
    public_space: Space, member: User, facilitator: User, committed: object
) -> None:
    services = pytest.importorskip("coproduce.wiki.services")
    with committed():  # type: ignore[operator]
        page = services.page_create(
            space=public_space, actor=facilitator, title="Via services", body="Kittens."
        )
    assert found(member, "kittens") == ["Via services"]

    with committed():  # type: ignore[operator]
        services.page_save(
            page=page, actor=facilitator, body="Puppies.", base_revision=page.head, title="Renamed"
        )

    assert found(member, "kittens") == []
    assert found(member, "puppies") == ["Renamed"]


def test_a_page_with_a_long_unicode_slug_links_to_its_address(
    public_space: Space, member: User, facilitator: User
) -> None:
    page = make_page(public_space, facilitator, "会议记录" * 30, "Minutes of the Beijing workshop.")

    [hit] = search(member, "minutes beijing").items

    assert hit.url == f"/spaces/open-notes/wiki/{quote(page.slug)}/"
    assert len(hit.url) > 500


def test_the_stored_address_is_the_wikis_page_route(
    public_space: Space, member: User, facilitator: User
) -> None:
    page = make_page(public_space, facilitator, "Réunion: 会议 notes", "Minutes.")

    [hit] = search(member, "minutes").items

    assert hit.url == reverse("wiki:page", args=[public_space.slug, page.slug])
