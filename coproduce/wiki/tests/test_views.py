"""The wiki's pages in the browser: who may see and change what, creating, editing, conflicts, watching."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from conftest import client_for, make_person
from coproduce.accounts.models import Role, User
from coproduce.communities.models import Space, SpaceMembership, SpaceRole
from coproduce.governance.models import AuditEntry
from coproduce.wiki import services
from coproduce.wiki.models import Page, PageTemplate, Revision, Watch

pytestmark = pytest.mark.django_db

TEST_NHS_NUMBER = "999 000 0018"
BODY = "# Emerging issues\n\nDigital exclusion in care homes.\n\nStaff turnover.\n\nFunding cliffs.\n"


@pytest.fixture
def space_member(db: None, private_space: Space) -> User:
    """A community member who belongs to the private space."""
    person = make_person("sasha", Role.MEMBER, name="Sasha Spacemember")
    SpaceMembership.objects.create(space=private_space, user=person, role=SpaceRole.MEMBER)
    return person


def make_page(space: Space, author: User, title: str = "Emerging issues", body: str = BODY) -> Page:
    return services.page_create(space=space, actor=author, title=title, body=body)


def save(page: Page, author: User, body: str, *, base: int | None = None, title: str | None = None) -> None:
    page.refresh_from_db()
    services.page_save(
        page=page, actor=author, body=body, base_revision=page.head if base is None else base, title=title
    )


def url(page: Page, view: str = "") -> str:
    return f"/spaces/{page.space.slug}/wiki/{page.slug}/{view}"


def as_persona(persona: str, request: pytest.FixtureRequest) -> Client:
    return Client() if persona == "anonymous" else client_for(request.getfixturevalue(persona))


def textarea(content: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', content, re.DOTALL)
    assert match, f"no textarea {name}"
    return html.unescape(match[1]).removeprefix("\n")


def input_value(content: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', content)
    assert match, f"no input {name}"
    value = re.search(r'value="([^"]*)"', match[0])
    return html.unescape(value[1]) if value else ""


# --- who may do what -----------------------------------------------------------------------

PERMISSIONS = [
    # persona, space, may read, may edit
    ("anonymous", "public_space", True, False),
    ("outsider", "public_space", True, False),
    ("member", "public_space", True, True),
    ("admin", "public_space", True, True),
    ("anonymous", "members_space", False, False),
    ("outsider", "members_space", False, False),
    ("member", "members_space", True, True),
    ("facilitator", "members_space", True, True),
    ("anonymous", "private_space", False, False),
    ("outsider", "private_space", False, False),
    ("member", "private_space", False, False),
    ("space_member", "private_space", True, True),
]


@pytest.mark.parametrize(("persona", "space_name", "may_read", "may_edit"), PERMISSIONS)
def test_each_person_reads_and_edits_the_wiki_pages_their_space_allows(
    persona: str,
    space_name: str,
    may_read: bool,
    may_edit: bool,
    facilitator: User,
    request: pytest.FixtureRequest,
) -> None:
    space: Space = request.getfixturevalue(space_name)
    page = make_page(space, facilitator)
    client = as_persona(persona, request)
    reading = [
        f"/spaces/{space.slug}/wiki/",
        url(page),
        url(page, "history/"),
        url(page, "revisions/1/"),
        url(page, "diff/?from=1&to=1"),
        url(page, "links-here/"),
    ]
    for address in reading:
        assert client.get(address).status_code == (200 if may_read else 404), (persona, address)
    editing = [f"/spaces/{space.slug}/wiki/new/", url(page, "edit/"), url(page, "revisions/1/revert/")]
    for address in editing:
        expected = 200 if may_edit else 403 if may_read else 404
        assert client.get(address).status_code == expected, (persona, address)
    posted = client.post(url(page, "edit/"), {"title": "Taken over", "body": "Gone", "base_revision": "1"})
    assert posted.status_code == (302 if may_edit else 403 if may_read else 404)
    assert Page.objects.get(pk=page.pk).head == (2 if may_edit else 1)


def test_an_admin_can_read_a_private_spaces_wiki(
    admin: User, facilitator: User, private_space: Space
) -> None:
    page = make_page(private_space, facilitator)
    assert client_for(admin).get(url(page)).status_code == 200


def test_someone_who_cannot_edit_sees_no_edit_links(
    outsider: User, facilitator: User, public_space: Space
) -> None:
    page = make_page(public_space, facilitator)
    content = client_for(outsider).get(url(page)).content.decode()
    assert url(page, "edit/") not in content
    assert "Create a page under this one" not in content
    assert (
        "Create a page" not in client_for(outsider).get(f"/spaces/{public_space.slug}/wiki/").content.decode()
    )


def test_a_page_that_does_not_exist_is_not_found(member: User, members_space: Space) -> None:
    assert client_for(member).get(f"/spaces/{members_space.slug}/wiki/nothing-here/").status_code == 404


# --- the space's wiki ------------------------------------------------------------------------


def test_the_index_lists_pages_as_a_tree_by_parent(member: User, members_space: Space) -> None:
    parent = make_page(members_space, member, "Workstreams")
    services.page_create(
        space=members_space, actor=member, title="Digital inclusion", body="x", parent=parent
    )
    make_page(members_space, member, "About this space")
    content = client_for(member).get(f"/spaces/{members_space.slug}/wiki/").content.decode()
    nested = re.search(r'class="nhsuk-list wiki-tree__children">(.*?)</ul>', content, re.DOTALL)
    assert nested
    assert "Digital inclusion" in nested[1]
    assert "Workstreams" not in nested[1]
    assert "About this space" not in nested[1]
    assert "Create a page" in content


def test_an_empty_wiki_says_so(member: User, members_space: Space) -> None:
    content = client_for(member).get(f"/spaces/{members_space.slug}/wiki/").content.decode()
    assert "no pages yet" in content


# --- reading a page ----------------------------------------------------------------------------


def test_a_page_shows_its_rendered_text_and_who_changed_it_last(member: User, members_space: Space) -> None:
    page = make_page(members_space, member, body="Some **bold** words.\n\n<script>alert(1)</script>\n")
    response = client_for(member).get(url(page))
    content = response.content.decode()
    assert response.status_code == 200
    article = re.search(r'<article class="wiki-content">(.*?)</article>', content, re.DOTALL)
    assert article
    assert "<strong>bold</strong>" in article[1]
    assert "<script>alert" not in content
    assert "Meera Member" in content
    for view in ("edit/", "history/", "links-here/"):
        assert url(page, view) in content


def test_an_old_slug_redirects_permanently_to_the_current_one(member: User, members_space: Space) -> None:
    page = make_page(members_space, member, "Draft agenda")
    old = url(page)
    save(page, member, BODY, title="Agenda")
    page.refresh_from_db()
    response = client_for(member).get(old)
    assert response.status_code == 301
    assert response["Location"] == url(page)
    assert client_for(member).get(old + "history/").status_code == 301
    moved = client_for(member).get(old + "diff/?from=1&to=2")
    assert moved.status_code == 301
    assert moved["Location"] == url(page, "diff/?from=1&to=2")


def test_a_page_with_a_unicode_slug_opens(member: User, members_space: Space) -> None:
    page = make_page(members_space, member, "Café culture 日本語")
    assert not page.slug.isascii()
    assert client_for(member).get(url(page)).status_code == 200


def test_a_red_link_goes_to_the_form_that_creates_the_missing_page(
    member: User, members_space: Space
) -> None:
    page = make_page(members_space, member, body="See the [[Action plan]] soon.\n")
    client = client_for(member)
    content = client.get(url(page)).content.decode()
    link = re.search(r'<a[^>]*class="wiki-link wiki-link--new"[^>]*>', content) or re.search(
        r'<a[^>]*href="([^"]*/wiki/new/\?title=[^"]*)"', content
    )
    assert link, content
    href = html.unescape(re.search(r'href="([^"]*)"', link[0])[1])  # type: ignore[index]
    assert href.startswith(f"/spaces/{members_space.slug}/wiki/new/?title=")
    form = client.get(href).content.decode()
    assert input_value(form, "title") == "Action plan"


def test_child_pages_are_listed_on_their_parent(member: User, members_space: Space) -> None:
    parent = make_page(members_space, member, "Workstreams")
    services.page_create(
        space=members_space, actor=member, title="Digital inclusion", body="x", parent=parent
    )
    content = client_for(member).get(url(parent)).content.decode()
    assert "Pages under this one" in content
    assert "Digital inclusion" in content


# --- creating ---------------------------------------------------------------------------------


def test_a_member_creates_a_page(member: User, members_space: Space) -> None:
    response = client_for(member).post(
        f"/spaces/{members_space.slug}/wiki/new/",
        {"title": "Action plan", "body": "1. Survey care homes\n", "summary": "First go", "parent": ""},
    )
    page = Page.objects.get(space=members_space, title="Action plan")
    assert response.status_code == 302
    assert response["Location"] == url(page)
    revision = Revision.objects.get(page=page)
    assert (revision.number, revision.summary, revision.author) == (1, "First go", member)
    assert AuditEntry.objects.filter(action="page.create").count() == 1


def test_the_create_form_takes_its_title_and_parent_from_the_address(
    member: User, members_space: Space
) -> None:
    parent = make_page(members_space, member, "Workstreams")
    content = (
        client_for(member)
        .get(f"/spaces/{members_space.slug}/wiki/new/?title=Digital%20inclusion&parent={parent.pk}")
        .content.decode()
    )
    assert input_value(content, "title") == "Digital inclusion"
    assert re.search(rf'<option value="{parent.pk}" selected>Workstreams</option>', content)


def test_a_page_made_under_a_parent_belongs_to_it(member: User, members_space: Space) -> None:
    parent = make_page(members_space, member, "Workstreams")
    client_for(member).post(
        f"/spaces/{members_space.slug}/wiki/new/",
        {"title": "Digital inclusion", "body": "x", "summary": "", "parent": str(parent.pk)},
    )
    assert Page.objects.get(title="Digital inclusion").parent == parent


def test_a_parent_from_another_space_is_refused(
    member: User, members_space: Space, public_space: Space
) -> None:
    elsewhere = make_page(public_space, member, "Elsewhere")
    response = client_for(member).post(
        f"/spaces/{members_space.slug}/wiki/new/",
        {"title": "Digital inclusion", "body": "My words", "summary": "", "parent": str(elsewhere.pk)},
    )
    assert response.status_code == 200
    assert "Choose a parent page from the list." in response.content.decode()
    assert textarea(response.content.decode(), "body") == "My words"
    assert not Page.objects.filter(title="Digital inclusion").exists()


def test_a_template_fills_the_text_of_a_new_page(
    facilitator: User, member: User, members_space: Space
) -> None:
    template = services.page_template_create(
        space=members_space, actor=facilitator, name="Meeting notes", body="## Attendees\n\n## Actions\n"
    )
    client = client_for(member)
    content = client.get(
        f"/spaces/{members_space.slug}/wiki/new/?template={template.pk}&title=May"
    ).content.decode()
    assert textarea(content, "body") == "## Attendees\n\n## Actions\n"
    assert input_value(content, "title") == "May"
    unknown = client.get(f"/spaces/{members_space.slug}/wiki/new/?template=99999").content.decode()
    assert textarea(unknown, "body") == ""
    assert client.get(f"/spaces/{members_space.slug}/wiki/new/?template=abc").status_code == 200


def test_a_template_of_another_space_is_not_used(
    facilitator: User, member: User, members_space: Space, private_space: Space
) -> None:
    secret = services.page_template_create(
        space=private_space, actor=facilitator, name="Secret", body="Hidden plan"
    )
    content = (
        client_for(member)
        .get(f"/spaces/{members_space.slug}/wiki/new/?template={secret.pk}")
        .content.decode()
    )
    assert "Hidden plan" not in content


@pytest.mark.parametrize(
    ("title", "body", "error"),
    [
        ("", "My careful words", "Enter a title for the page."),
        ("Action plan", "", "Enter the text of the page."),
        ("Patient 999 000 0018", "My careful words", "NHS number"),
        ("Action plan", f"My careful words about {TEST_NHS_NUMBER}", "NHS number"),
    ],
)
def test_a_refused_new_page_keeps_everything_typed(
    title: str, body: str, error: str, member: User, members_space: Space
) -> None:
    response = client_for(member).post(
        f"/spaces/{members_space.slug}/wiki/new/", {"title": title, "body": body, "summary": "My summary"}
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in content
    assert error in content
    assert input_value(content, "title") == title
    assert textarea(content, "body") == body
    assert input_value(content, "summary") == "My summary"
    assert not Page.objects.exists()


def test_an_oversize_body_is_refused_and_kept(member: User, members_space: Space, settings: Settings) -> None:
    settings.WIKI_MAX_BODY_CHARS = 1000
    body = "word " * 300
    response = client_for(member).post(
        f"/spaces/{members_space.slug}/wiki/new/", {"title": "Long", "body": body, "summary": ""}
    )
    content = response.content.decode()
    assert "too long" in content
    assert textarea(content, "body") == body
    assert not Page.objects.exists()


# --- editing ----------------------------------------------------------------------------------


def test_the_editor_starts_from_the_current_text_and_revision(member: User, members_space: Space) -> None:
    page = make_page(members_space, member)
    save(page, member, BODY + "\nMore.\n")
    content = client_for(member).get(url(page, "edit/")).content.decode()
    assert textarea(content, "body") == BODY + "\nMore.\n"
    assert input_value(content, "base_revision") == "2"
    assert input_value(content, "title") == "Emerging issues"


def test_a_member_saves_an_edit(member: User, members_space: Space) -> None:
    page = make_page(members_space, member)
    client = client_for(member)
    response = client.post(
        url(page, "edit/"),
        {
            "title": "Emerging issues",
            "body": BODY + "\nWorkforce.\n",
            "summary": "Added workforce",
            "base_revision": "1",
        },
        follow=True,
    )
    page.refresh_from_db()
    assert page.head == 2
    assert page.current is not None
    assert page.current.summary == "Added workforce"
    assert "Your changes were saved (revision 2)." in response.content.decode()
    assert AuditEntry.objects.filter(action="page.save").count() == 1


def test_a_new_title_moves_the_page_to_a_new_address(member: User, members_space: Space) -> None:
    page = make_page(members_space, member, "Draft agenda")
    response = client_for(member).post(
        url(page, "edit/"), {"title": "Agenda", "body": BODY, "summary": "", "base_revision": "1"}
    )
    page.refresh_from_db()
    assert page.slug == "agenda"
    assert response["Location"] == url(page)


def test_disjoint_edits_made_meanwhile_are_merged_and_the_editor_is_told(
    member: User, facilitator: User, members_space: Space
) -> None:
    page = make_page(members_space, member)
    save(page, facilitator, BODY.replace("Funding cliffs.", "Funding cliffs in 2027."))
    mine = BODY.replace("Digital exclusion", "Digital exclusion (and skills)")
    response = client_for(member).post(
        url(page, "edit/"),
        {"title": "Emerging issues", "body": mine, "summary": "Skills", "base_revision": "1"},
        follow=True,
    )
    content = response.content.decode()
    assert "Your changes were merged with edits made meanwhile (revision 3)" in content
    page.refresh_from_db()
    assert page.current is not None
    assert "(and skills)" in page.current.body
    assert "in 2027" in page.current.body
    assert page.current.merged


def post_conflicting_edit(client: Client, page: Page, base: int = 1) -> str:
    mine = BODY.replace("Staff turnover.", "Staff turnover is the biggest risk.")
    response = client.post(
        url(page, "edit/"),
        {
            "title": "Emerging issues (mine)",
            "body": mine,
            "summary": "My reasons",
            "base_revision": str(base),
        },
    )
    assert response.status_code == 200
    return response.content.decode()


def test_overlapping_edits_show_the_conflict_and_keep_the_users_text(
    member: User, facilitator: User, members_space: Space
) -> None:
    page = make_page(members_space, member)
    save(page, facilitator, BODY.replace("Staff turnover.", "Staff turnover <b>and</b> sickness."))
    content = post_conflicting_edit(client_for(member), page)
    page.refresh_from_db()
    assert page.head == 2, "nothing is saved on a conflict"
    assert "Someone else changed this page" in content
    assert "There is a problem" in content
    body = textarea(content, "body")
    assert "<<<<<<<" in body
    assert ">>>>>>>" in body
    assert "Staff turnover is the biggest risk." in body
    assert "Staff turnover <b>and</b> sickness." in body
    assert input_value(content, "base_revision") == "2"
    assert input_value(content, "title") == "Emerging issues (mine)"
    assert input_value(content, "summary") == "My reasons"
    assert "Their version" in content
    assert "Your version" in content
    assert "<b>and</b>" not in content.replace("&lt;b&gt;", ""), "their text is shown escaped"


def test_saving_the_resolved_text_after_a_conflict_works(
    member: User, facilitator: User, members_space: Space
) -> None:
    page = make_page(members_space, member)
    save(page, facilitator, BODY.replace("Staff turnover.", "Staff turnover and sickness."))
    client = client_for(member)
    content = post_conflicting_edit(client, page)
    resolved = BODY.replace("Staff turnover.", "Staff turnover and sickness: the biggest risk.")
    response = client.post(
        url(page, "edit/"),
        {
            "title": input_value(content, "title"),
            "body": resolved,
            "summary": input_value(content, "summary"),
            "base_revision": input_value(content, "base_revision"),
        },
    )
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.head == 3
    assert page.current is not None
    assert page.current.body == resolved
    assert not page.current.merged


@pytest.mark.parametrize(
    ("title", "body", "error"),
    [
        ("", "My careful edit", "Enter a title for the page."),
        ("Emerging issues", "", "Enter the text of the page."),
        ("Emerging issues", f"Seen {TEST_NHS_NUMBER} today", "NHS number"),
    ],
)
def test_a_refused_edit_keeps_everything_typed(
    title: str, body: str, error: str, member: User, members_space: Space
) -> None:
    page = make_page(members_space, member)
    response = client_for(member).post(
        url(page, "edit/"), {"title": title, "body": body, "summary": "Mine", "base_revision": "1"}
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert error in content
    assert textarea(content, "body") == body
    assert input_value(content, "title") == title
    assert input_value(content, "summary") == "Mine"
    page.refresh_from_db()
    assert page.head == 1


def test_a_base_revision_that_does_not_exist_is_a_bad_request(member: User, members_space: Space) -> None:
    page = make_page(members_space, member)
    response = client_for(member).post(
        url(page, "edit/"),
        {"title": "Emerging issues", "body": "My words", "summary": "", "base_revision": "7"},
    )
    assert response.status_code == 400
    assert textarea(response.content.decode(), "body") == "My words"
    page.refresh_from_db()
    assert page.head == 1


def test_a_missing_base_revision_keeps_the_text(member: User, members_space: Space) -> None:
    page = make_page(members_space, member)
    response = client_for(member).post(
        url(page, "edit/"), {"title": "Emerging issues", "body": "My words", "summary": ""}
    )
    content = response.content.decode()
    assert "which revision you started from" in content
    assert textarea(content, "body") == "My words"


# --- watching ---------------------------------------------------------------------------------


def test_a_member_watches_and_stops_watching_a_page(member: User, members_space: Space) -> None:
    page = make_page(members_space, member)
    client = client_for(member)
    response = client.post(url(page, "watch/"), {"watching": "on"})
    assert response.status_code == 302
    assert response["Location"] == url(page)
    assert Watch.objects.filter(user=member, page=page).exists()
    assert "Stop watching this page" in client.get(url(page)).content.decode()
    client.post(url(page, "watch/"), {})
    assert not Watch.objects.filter(user=member, page=page).exists()
    assert AuditEntry.objects.filter(action="watch.set").count() == 2


def test_a_member_watches_a_space(member: User, members_space: Space) -> None:
    client = client_for(member)
    response = client.post(f"/spaces/{members_space.slug}/wiki/watch/", {"watching": "on"})
    assert response.status_code == 302
    assert Watch.objects.filter(user=member, space=members_space).exists()
    assert "Stop watching this space" in client.get(f"/spaces/{members_space.slug}/wiki/").content.decode()


def test_watching_needs_a_readable_page_and_a_signed_in_person(
    member: User, facilitator: User, private_space: Space, public_space: Space
) -> None:
    hidden = make_page(private_space, facilitator)
    assert client_for(member).post(url(hidden, "watch/"), {"watching": "on"}).status_code == 404
    visible = make_page(public_space, facilitator)
    assert Client().post(url(visible, "watch/"), {"watching": "on"}).status_code == 403
    assert Client().get(url(visible, "watch/")).status_code == 405
    assert not Watch.objects.exists()


# --- page templates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"), [("facilitator", 200), ("admin", 200), ("member", 403), ("outsider", 404)]
)
def test_only_the_spaces_facilitators_and_admins_manage_its_templates(
    persona: str, status: int, members_space: Space, request: pytest.FixtureRequest
) -> None:
    client = as_persona(persona, request)
    assert client.get(f"/spaces/{members_space.slug}/wiki/templates/").status_code == status
    posted = client.post(f"/spaces/{members_space.slug}/wiki/templates/", {"name": "Notes", "body": "x"})
    assert posted.status_code == (302 if status == 200 else status)
    assert PageTemplate.objects.filter(name="Notes").exists() == (status == 200)


def test_a_facilitator_adds_changes_and_deletes_a_template(facilitator: User, members_space: Space) -> None:
    client = client_for(facilitator)
    base = f"/spaces/{members_space.slug}/wiki/templates/"
    client.post(base, {"name": "Meeting notes", "body": "## Attendees\n"})
    template = PageTemplate.objects.get(space=members_space)
    assert "Meeting notes" in client.get(base).content.decode()
    assert (
        client.post(f"{base}{template.pk}/", {"name": "Minutes", "body": "## Present\n"}).status_code == 302
    )
    template.refresh_from_db()
    assert (template.name, template.body) == ("Minutes", "## Present\n")
    assert client.get(f"{base}{template.pk}/delete/").status_code == 405
    assert client.post(f"{base}{template.pk}/delete/").status_code == 302
    assert not PageTemplate.objects.exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"page_template.create", "page_template.update", "page_template.delete"} <= actions


def test_a_template_with_patient_data_is_refused_and_kept(facilitator: User, members_space: Space) -> None:
    response = client_for(facilitator).post(
        f"/spaces/{members_space.slug}/wiki/templates/", {"name": "Notes", "body": f"NHS {TEST_NHS_NUMBER}"}
    )
    content = response.content.decode()
    assert "NHS number" in content
    assert textarea(content, "body") == f"NHS {TEST_NHS_NUMBER}"
    assert not PageTemplate.objects.exists()


def test_a_template_of_another_space_cannot_be_changed_through_this_one(
    facilitator: User, members_space: Space, public_space: Space
) -> None:
    template = services.page_template_create(space=public_space, actor=facilitator, name="Notes", body="x")
    client = client_for(facilitator)
    assert client.get(f"/spaces/{members_space.slug}/wiki/templates/{template.pk}/").status_code == 404
    assert (
        client.post(f"/spaces/{members_space.slug}/wiki/templates/{template.pk}/delete/").status_code == 404
    )
    assert PageTemplate.objects.filter(pk=template.pk).exists()


def test_the_editor_of_an_old_slug_moves_to_the_current_one(member: User, members_space: Space) -> None:
    page = make_page(members_space, member, "Draft agenda")
    old = url(page, "edit/")
    save(page, member, BODY, title="Agenda")
    page.refresh_from_db()
    response = client_for(member).get(old)
    assert response.status_code == 302
    assert response["Location"] == url(page, "edit/")


def test_odd_addresses_for_the_create_form_still_show_it(member: User, members_space: Space) -> None:
    client = client_for(member)
    base = f"/spaces/{members_space.slug}/wiki/new/"
    assert client.get(base + "?parent=abc&template=-1").status_code == 200
    long_title = client.get(base + "?title=" + "x" * 500).content.decode()
    assert input_value(long_title, "title") == "x" * 200


def test_the_contents_never_loop_and_show_every_page_once(member: User, members_space: Space) -> None:
    first = make_page(members_space, member, "First")
    second = services.page_create(space=members_space, actor=member, title="Second", body="x", parent=first)
    Page.objects.filter(pk=first.pk).update(parent=second)  # a loop no service makes, but data can hold
    content = client_for(member).get(f"/spaces/{members_space.slug}/wiki/").content.decode()
    assert content.count(">First</a>") == 1
    assert content.count(">Second</a>") == 1
