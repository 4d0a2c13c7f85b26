"""The wiki's services: pages, revisions, merges, conflicts, reverts, slugs, links, templates, watches."""

from __future__ import annotations

import unicodedata

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from conftest import Committed
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.governance.models import AuditEntry
from coproduce.governance.safety import UnsafeContent
from coproduce.wiki import selectors, services
from coproduce.wiki.access import get_page_for_user
from coproduce.wiki.models import Page, PageAlias, PageLink, PageTemplate, Revision, Watch
from coproduce.wiki.services import EditConflict, page_create, page_revert, page_save

TEST_NHS_NUMBER = "999 000 0018"
BODY = "\n".join(f"Line {n} of the care plan." for n in range(1, 11)) + "\n"


@pytest.fixture
def index_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records the page ids given to the search index (the real one is the search work's)."""
    calls: list[int] = []
    monkeypatch.setattr("coproduce.search.index.index_page", calls.append)
    return calls


@pytest.fixture
def page(members_space: Space, member: User) -> Page:
    return page_create(space=members_space, actor=member, title="Care plan", body=BODY)


def _replace_line(body: str, number: int, text: str) -> str:
    lines = body.splitlines(keepends=True)
    lines[number - 1] = text + "\n"
    return "".join(lines)


def _audit(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


# --- creating -----------------------------------------------------------------------------------


def test_creating_a_page_stores_its_first_revision_and_one_audit_entry(
    members_space: Space, member: User
) -> None:
    page = page_create(
        space=members_space, actor=member, title="Care plan", body="# Hello\n", summary="Start"
    )

    revision = Revision.objects.get(page=page)
    assert (page.slug, page.head, page.current) == ("care-plan", 1, revision)
    assert (revision.number, revision.title, revision.body, revision.summary) == (
        1,
        "Care plan",
        "# Hello\n",
        "Start",
    )
    assert revision.html == "<h2>Hello</h2>\n"
    assert (revision.author, revision.chars_added, revision.chars_removed) == (member, 8, 0)
    [entry] = _audit("page.create")
    assert (entry.actor, entry.target_id, entry.space) == (member, str(page.pk), members_space)
    assert entry.after == {"title": "Care plan", "slug": "care-plan", "revision": 1}


def test_creating_a_page_schedules_search_indexing_only_after_commit(
    members_space: Space, member: User, committed: Committed, index_calls: list[int]
) -> None:
    with committed():
        page = page_create(space=members_space, actor=member, title="Care plan", body=BODY)
        assert index_calls == []

    assert index_calls == [page.pk]


def test_an_outsider_cannot_create_a_page_even_in_a_public_space(public_space: Space, outsider: User) -> None:
    with pytest.raises(PermissionDenied):
        page_create(space=public_space, actor=outsider, title="Notes", body="Text")

    assert not Page.objects.exists()
    assert not AuditEntry.objects.filter(action="page.create").exists()


def test_a_page_needs_a_title_and_some_text(members_space: Space, member: User) -> None:
    with pytest.raises(ValidationError) as error:
        page_create(space=members_space, actor=member, title=" \u200b ", body="  \n ")

    assert set(error.value.message_dict) == {"title", "body"}
    assert not Page.objects.exists()


def test_an_oversize_body_is_refused_before_it_is_rendered(
    members_space: Space, member: User, settings: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.WIKI_MAX_BODY_CHARS = 1000  # type: ignore[attr-defined]

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("rendered an oversize body")

    monkeypatch.setattr(services, "render", never)

    with pytest.raises(ValidationError) as error:
        page_create(space=members_space, actor=member, title="Long", body="x" * 1001)

    assert "1,000 characters or fewer" in error.value.message_dict["body"][0]
    assert not Page.objects.exists()


def test_a_parent_page_must_be_in_the_same_space(
    members_space: Space, public_space: Space, member: User, page: Page
) -> None:
    with pytest.raises(ValidationError) as error:
        page_create(space=public_space, actor=member, title="Child", body="Text", parent=page)

    assert "parent" in error.value.message_dict
    child = page_create(space=members_space, actor=member, title="Child", body="Text", parent=page)
    assert child.parent == page


# --- titles and slugs ---------------------------------------------------------------------------


def test_titles_differing_only_in_case_accents_or_punctuation_get_distinct_working_slugs(
    members_space: Space, member: User
) -> None:
    titles = ["Care plan", "care plan", "CARE PLAN!", "Care-plan?", "Caré plan", "Care plan."]

    pages = [page_create(space=members_space, actor=member, title=t, body="Text") for t in titles]

    slugs = [p.slug for p in pages]
    assert len(set(slugs)) == len(titles)
    assert slugs[:4] == ["care-plan", "care-plan-2", "care-plan-3", "care-plan-4"]
    for page in pages:
        assert get_page_for_user(member, members_space.slug, page.slug) == page


def test_titles_in_chinese_arabic_or_emoji_get_non_empty_distinct_working_slugs(
    members_space: Space, member: User
) -> None:
    titles = ["会议记录", "خطة الرعاية", "🎉🎉", "🎉", "✨ 🚀", "Привет мир"]

    pages = [page_create(space=members_space, actor=member, title=t, body="Text") for t in titles]

    assert [p.slug for p in pages] == ["会议记录", "خطة-الرعاية", "page", "page-2", "page-3", "привет-мир"]
    for page in pages:
        assert get_page_for_user(member, members_space.slug, page.slug) == page


def test_a_title_that_would_take_a_wiki_address_gets_the_next_slug(
    members_space: Space, member: User
) -> None:
    page = page_create(space=members_space, actor=member, title="New", body="Text")

    assert page.slug == "new-2"


def test_control_zero_width_and_bidirectional_characters_are_removed_from_titles(
    members_space: Space, member: User
) -> None:
    page = page_create(
        space=members_space,
        actor=member,
        title="\u202eCare\u200b plan\x07\u2066 for\u00ad\ufeff\tMay\n\u200d",
        body="Text",
    )

    assert page.title == "Care plan for May"
    assert Revision.objects.get(page=page).title == "Care plan for May"
    assert not any(unicodedata.category(ch) in {"Cc", "Cf"} for ch in page.title)


def test_changing_the_title_moves_the_slug_and_the_old_slug_still_finds_the_page(
    page: Page, member: User, members_space: Space
) -> None:
    page_save(page=page, actor=member, body=BODY, base_revision=1, title="Care plan 2026")

    page.refresh_from_db()
    assert (page.title, page.slug) == ("Care plan 2026", "care-plan-2026")
    assert PageAlias.objects.get(space=members_space, slug="care-plan").page == page
    assert get_page_for_user(member, members_space.slug, "care-plan") == page
    other = page_create(space=members_space, actor=member, title="Care plan", body="Text")
    assert other.slug == "care-plan-2"


def test_renaming_a_page_back_gives_it_its_old_slug(page: Page, member: User) -> None:
    page_save(page=page, actor=member, body=BODY, base_revision=1, title="Renamed")
    page_save(page=page, actor=member, body=BODY, base_revision=2, title="Care plan")

    page.refresh_from_db()
    assert page.slug == "care-plan"
    assert list(PageAlias.objects.values_list("slug", flat=True)) == ["renamed"]


# --- saving -------------------------------------------------------------------------------------


def test_saving_on_the_latest_revision_adds_a_revision_with_its_change_size(
    page: Page, member: User, facilitator: User, committed: Committed, index_calls: list[int]
) -> None:
    new_body = _replace_line(BODY, 3, "Line 3 of the care plan, revised.")
    with committed():
        result = page_save(page=page, actor=facilitator, body=new_body, base_revision=1, summary="Tidy")

    revision = result.revision
    assert not result.merged
    assert (revision.number, revision.based_on, revision.merged, revision.author) == (
        2,
        1,
        False,
        facilitator,
    )
    assert (revision.chars_added, revision.chars_removed) == (9, 0)  # ", revised" inserted
    page.refresh_from_db()
    assert (page.head, page.current, page.updated_by) == (2, revision, facilitator)
    [entry] = _audit("page.save")
    assert entry.before == {"revision": 1, "title": "Care plan"}
    assert entry.after["revision"] == 2
    assert index_calls == [page.pk]


def test_saving_edits_made_from_an_older_revision_merges_disjoint_changes(page: Page, member: User) -> None:
    theirs = _replace_line(BODY, 2, "Line 2 changed by someone else.")
    yours = _replace_line(BODY, 8, "Line 8 changed by me.")
    page_save(page=page, actor=member, body=theirs, base_revision=1)

    result = page_save(page=page, actor=member, body=yours, base_revision=1)

    assert result.merged
    assert result.revision.merged
    assert (result.revision.number, result.revision.based_on) == (3, 1)
    assert "Line 2 changed by someone else." in result.revision.body
    assert "Line 8 changed by me." in result.revision.body
    assert _audit("page.save")[-1].after["merged"] is True


def test_overlapping_edits_raise_a_conflict_and_save_nothing(
    page: Page, member: User, facilitator: User
) -> None:
    theirs = _replace_line(BODY, 4, "Line 4 as the facilitator wrote it.")
    yours = _replace_line(BODY, 4, "Line 4 as the member wrote it.")
    page_save(page=page, actor=facilitator, body=theirs, base_revision=1)

    with pytest.raises(EditConflict) as error:
        page_save(page=page, actor=member, body=yours, base_revision=1, title="My title")

    conflict = error.value
    assert conflict.current_revision == 2
    assert (conflict.your_body, conflict.their_body, conflict.your_title) == (yours, theirs, "My title")
    assert "<<<<<<< revision 2 (saved meanwhile)\nLine 4 as the facilitator wrote it.\n=======\n" in (
        conflict.body_with_conflicts
    )
    assert "Line 4 as the member wrote it.\n>>>>>>> your edit (based on revision 1)\n" in (
        conflict.body_with_conflicts
    )
    assert Revision.objects.filter(page=page).count() == 2
    assert len(_audit("page.save")) == 1


def test_two_different_new_titles_from_the_same_revision_conflict(page: Page, member: User) -> None:
    page_save(page=page, actor=member, body=BODY, base_revision=1, title="Their title")

    with pytest.raises(EditConflict):
        page_save(page=page, actor=member, body=BODY, base_revision=1, title="My title")


def test_a_title_changed_meanwhile_is_kept_when_the_editor_left_the_title_alone(
    page: Page, member: User
) -> None:
    page_save(page=page, actor=member, body=BODY, base_revision=1, title="Their title")

    result = page_save(page=page, actor=member, body=BODY + "More.\n", base_revision=1, title="Care plan")

    assert (result.merged, result.revision.title) == (True, "Their title")


@pytest.mark.parametrize("base_revision", [0, -1, 2, 999])
def test_a_base_revision_the_page_does_not_have_is_refused_on_base_revision(
    page: Page, member: User, base_revision: int
) -> None:
    with pytest.raises(ValidationError) as error:
        page_save(page=page, actor=member, body="Changed", base_revision=base_revision)

    assert list(error.value.message_dict) == ["base_revision"]
    assert Revision.objects.filter(page=page).count() == 1


def test_saving_exactly_the_current_text_adds_no_revision(page: Page, member: User) -> None:
    result = page_save(page=page, actor=member, body=BODY, base_revision=1)

    assert (result.revision.number, result.merged) == (1, False)
    assert Revision.objects.filter(page=page).count() == 1
    assert not _audit("page.save")


def test_windows_line_endings_and_control_characters_are_normalised(page: Page, member: User) -> None:
    result = page_save(page=page, actor=member, body="One\r\nTwo\x00\x1b\rThree", base_revision=1)

    assert result.revision.body == "One\nTwo\nThree"


def test_a_reader_who_cannot_edit_cannot_save(public_space: Space, member: User, outsider: User) -> None:
    page = page_create(space=public_space, actor=member, title="Notes", body="Text")

    with pytest.raises(PermissionDenied):
        page_save(page=page, actor=outsider, body="Vandalised", base_revision=1)

    assert Revision.objects.filter(page=page).count() == 1


# --- patient data -------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["title", "body", "summary"])
def test_an_nhs_number_in_a_new_page_is_refused_and_nothing_is_saved(
    members_space: Space, member: User, field: str
) -> None:
    fields = {"title": "Patient notes", "body": "Text", "summary": ""}
    fields[field] = f"{fields[field]} {TEST_NHS_NUMBER}"

    with pytest.raises(UnsafeContent) as error:
        page_create(
            space=members_space,
            actor=member,
            title=fields["title"],
            body=fields["body"],
            summary=fields["summary"],
        )

    assert list(error.value.findings) == [field]
    assert error.value.findings[field][0].kind == "nhs_number"
    assert not Page.objects.exists()
    assert not Revision.objects.exists()


@pytest.mark.parametrize("field", ["title", "body", "summary"])
def test_an_nhs_number_in_an_edit_is_refused_and_nothing_is_saved(
    page: Page, member: User, field: str
) -> None:
    fields = {"title": "Care plan", "body": BODY, "summary": "Edit"}
    fields[field] = f"{fields[field]} NHS {TEST_NHS_NUMBER}"

    with pytest.raises(UnsafeContent) as error:
        page_save(
            page=page,
            actor=member,
            base_revision=1,
            title=fields["title"],
            body=fields["body"],
            summary=fields["summary"],
        )

    assert list(error.value.findings) == [field]
    assert Revision.objects.filter(page=page).count() == 1
    assert not _audit("page.save")


# --- reverting ----------------------------------------------------------------------------------


def test_reverting_adds_a_new_revision_with_the_old_text(
    page: Page, member: User, facilitator: User, committed: Committed, index_calls: list[int]
) -> None:
    page_save(page=page, actor=member, body="Vandalised\n", base_revision=1, title="Rubbish")

    with committed():
        revision = page_revert(page=page, actor=facilitator, revision=1)

    assert (revision.number, revision.reverted_to, revision.based_on) == (3, 1, 2)
    assert (revision.title, revision.body, revision.summary) == ("Care plan", BODY, "Reverted to revision 1")
    assert list(Revision.objects.filter(page=page).values_list("number", flat=True)) == [3, 2, 1]
    assert Revision.objects.get(page=page, number=2).body == "Vandalised\n"
    page.refresh_from_db()
    assert (page.head, page.slug) == (3, "care-plan")
    [entry] = _audit("page.revert")
    assert entry.after == {"revision": 3, "title": "Care plan", "reverted_to": 1}
    assert index_calls == [page.pk]


@pytest.mark.parametrize("number", [1, 5, 0])
def test_reverting_to_the_current_or_a_missing_revision_is_refused(
    page: Page, member: User, number: int
) -> None:
    with pytest.raises(ValidationError) as error:
        page_revert(page=page, actor=member, revision=number)

    assert list(error.value.message_dict) == ["revision"]
    assert Revision.objects.filter(page=page).count() == 1


def test_a_reader_who_cannot_edit_cannot_revert(public_space: Space, member: User, outsider: User) -> None:
    page = page_create(space=public_space, actor=member, title="Notes", body="Text")
    page_save(page=page, actor=member, body="More text", base_revision=1)

    with pytest.raises(PermissionDenied):
        page_revert(page=page, actor=outsider, revision=1)

    assert Revision.objects.filter(page=page).count() == 2


# --- links --------------------------------------------------------------------------------------


def test_links_are_stored_and_creating_the_missing_page_resolves_them(
    members_space: Space, member: User
) -> None:
    source = page_create(
        space=members_space, actor=member, title="Index", body="See [[Discharge plan]] and [x](care-plan)."
    )
    care = page_create(space=members_space, actor=member, title="Care plan", body="Back to [[Index]].")

    links = dict(PageLink.objects.filter(source=source).values_list("target_slug", "target"))
    assert links == {"discharge-plan": None, "care-plan": care.pk}
    html = selectors.page_html(source)
    assert 'href="/spaces/masterclass/wiki/new/?title=Discharge%20plan"' in html
    assert 'class="wiki-link wiki-link--new"' in html

    discharge = page_create(space=members_space, actor=member, title="Discharge plan", body="Text")

    assert PageLink.objects.get(source=source, target_slug="discharge-plan").target == discharge
    assert 'href="/spaces/masterclass/wiki/discharge-plan/" class="wiki-link"' in selectors.page_html(source)
    assert list(selectors.backlinks(discharge)) == [source]
    assert list(selectors.backlinks(source)) == [care]


def test_links_follow_a_renamed_page(members_space: Space, member: User, page: Page) -> None:
    source = page_create(space=members_space, actor=member, title="Index", body="See [[Care plan]].")
    page_save(page=page, actor=member, body=BODY, base_revision=1, title="Support plan")

    assert 'href="/spaces/masterclass/wiki/support-plan/"' in selectors.page_html(source)
    assert list(selectors.backlinks(page)) == [source]


def test_a_link_reaches_the_page_with_exactly_that_title_before_one_with_that_slug(
    members_space: Space, member: User
) -> None:
    first = page_create(space=members_space, actor=member, title="Care plan", body="Text")
    second = page_create(space=members_space, actor=member, title="care plan!", body="Text")
    source = page_create(space=members_space, actor=member, title="Index", body="[[care plan!]]")

    assert (first.slug, second.slug) == ("care-plan", "care-plan-2")
    assert PageLink.objects.get(source=source).target == second
    assert 'href="/spaces/masterclass/wiki/care-plan-2/"' in selectors.page_html(source)


def test_saving_replaces_the_links_of_the_previous_revision(page: Page, member: User) -> None:
    page_save(page=page, actor=member, body="[[One]] [[Two]]", base_revision=1)
    page_save(page=page, actor=member, body="[[Two]] [[Three]]", base_revision=2)

    assert sorted(PageLink.objects.filter(source=page).values_list("target_slug", flat=True)) == [
        "three",
        "two",
    ]


# --- history ------------------------------------------------------------------------------------


def test_contributions_count_revisions_and_characters_per_person(
    page: Page, member: User, facilitator: User
) -> None:
    page_save(page=page, actor=facilitator, body=BODY + "Added.\n", base_revision=1)
    page_save(page=page, actor=facilitator, body=BODY, base_revision=2)

    people = selectors.contributions(page)

    assert [(c.user, c.revisions, c.chars_added, c.chars_removed) for c in people] == [
        (facilitator, 2, 7, 7),
        (member, 1, len(BODY), 0),
    ]


def test_history_lists_revisions_newest_first_and_a_missing_one_is_not_found(
    page: Page, member: User
) -> None:
    page_save(page=page, actor=member, body="Second", base_revision=1)

    assert [r.number for r in selectors.revisions_of(page)] == [2, 1]
    assert selectors.revision_of(page, 1).body == BODY
    with pytest.raises(Http404):
        selectors.revision_of(page, 3)


# --- templates ----------------------------------------------------------------------------------


def test_a_facilitator_manages_page_templates_with_audit_entries(
    members_space: Space, facilitator: User
) -> None:
    template = services.page_template_create(
        space=members_space, actor=facilitator, name="Meeting notes", body="## Actions\n"
    )
    services.page_template_update(template=template, actor=facilitator, name="Meeting", body="## Agenda\n")
    template.refresh_from_db()
    assert (template.name, template.body) == ("Meeting", "## Agenda\n")
    assert list(selectors.templates_of(members_space)) == [template]

    services.page_template_delete(template=template, actor=facilitator)

    assert not PageTemplate.objects.exists()
    assert [
        e.action for e in AuditEntry.objects.filter(action__startswith="page_template.").order_by("pk")
    ] == [
        "page_template.create",
        "page_template.update",
        "page_template.delete",
    ]


def test_a_member_cannot_manage_page_templates(members_space: Space, member: User) -> None:
    with pytest.raises(PermissionDenied):
        services.page_template_create(space=members_space, actor=member, name="Notes", body="")

    assert not PageTemplate.objects.exists()


def test_template_names_are_unique_per_space_and_pass_the_patient_data_guard(
    members_space: Space, facilitator: User
) -> None:
    services.page_template_create(space=members_space, actor=facilitator, name="Notes", body="")

    with pytest.raises(ValidationError) as error:
        services.page_template_create(space=members_space, actor=facilitator, name="Notes", body="x")
    assert list(error.value.message_dict) == ["name"]
    with pytest.raises(UnsafeContent):
        services.page_template_create(
            space=members_space, actor=facilitator, name="Other", body=f"NHS {TEST_NHS_NUMBER}"
        )
    assert PageTemplate.objects.count() == 1


# --- watching -----------------------------------------------------------------------------------


def test_watching_and_unwatching_a_page_and_a_space(page: Page, member: User, members_space: Space) -> None:
    services.watch_set(user=member, watching=True, page=page)
    services.watch_set(user=member, watching=True, page=page)
    services.watch_set(user=member, watching=True, space=members_space)

    assert Watch.objects.filter(user=member).count() == 2
    assert selectors.is_watching(member, page=page)
    assert selectors.is_watching(member, space=members_space)
    assert list(selectors.watchers_of(page)) == [member]

    services.watch_set(user=member, watching=False, page=page)

    assert not selectors.is_watching(member, page=page)
    assert [e.after for e in _audit("watch.set")] == [{"watching": w} for w in (True, True, True, False)]


def test_nobody_can_watch_a_space_they_cannot_read(
    private_space: Space, member: User, outsider: User
) -> None:
    with pytest.raises(PermissionDenied):
        services.watch_set(user=member, watching=True, space=private_space)

    assert not Watch.objects.exists()


def test_a_reader_who_cannot_edit_can_still_watch_a_public_page(
    public_space: Space, member: User, outsider: User
) -> None:
    page = page_create(space=public_space, actor=member, title="Agenda", body="Text")

    services.watch_set(user=outsider, watching=True, page=page)

    assert selectors.is_watching(outsider, page=page)


def test_watching_needs_exactly_one_page_or_space(page: Page, member: User, members_space: Space) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        services.watch_set(user=member, watching=True)
    with pytest.raises(ValueError, match="exactly one"):
        services.watch_set(user=member, watching=True, page=page, space=members_space)

    assert not Watch.objects.exists()


def test_a_link_to_a_title_two_pages_share_reaches_the_older_page(members_space: Space, member: User) -> None:
    older = page_create(space=members_space, actor=member, title="Notes", body="First.")
    newer = page_create(space=members_space, actor=member, title="Notes", body="Second.")
    linking = page_create(space=members_space, actor=member, title="Index", body="See [[Notes]].")

    link = PageLink.objects.get(source=linking)

    assert older.slug != newer.slug
    assert link.target == older
