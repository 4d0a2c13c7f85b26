"""The code of conduct: admins publish versions, members accept the latest before contributing."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.api.tests.test_api_basics import bearer, post_json
from coproduce.communities import conduct
from coproduce.communities.conduct_views import conduct_url
from coproduce.communities.models import CodeOfConduct, Space
from coproduce.discussions import services as discussions
from coproduce.governance.models import AuditEntry, Flag
from coproduce.governance.moderation import flag_create
from coproduce.governance.safety import UnsafeContent
from coproduce.wiki import access
from coproduce.wiki.models import Page
from coproduce.wiki.services import page_create

pytestmark = pytest.mark.django_db

TEXT = "# Our code\n\nBe kind. Never post patient-identifiable data."


def publish(admin: User, text: str = TEXT, summary: str = "") -> CodeOfConduct:
    return conduct.conduct_publish(actor=admin, text=text, summary_of_changes=summary)


@pytest.fixture
def page(members_space: Space, facilitator: User) -> Page:
    return page_create(space=members_space, actor=facilitator, title="Emerging issues", body="Powers.")


# --- publishing ------------------------------------------------------------------------------------


def test_an_admin_publishes_numbered_versions_with_an_audit_entry(admin: User) -> None:
    first = publish(admin)
    second = publish(admin, TEXT + "\n\nAnd listen.", "Added listening.")
    assert (first.version, second.version) == (1, 2)
    assert conduct.latest_version() == 2
    entries = AuditEntry.objects.filter(action="conduct.publish").order_by("pk")
    assert [e.after["version"] for e in entries] == [1, 2]
    assert entries[1].after["summary_of_changes"] == "Added listening."


def test_only_admins_can_publish_a_code_of_conduct(member: User, moderator: User) -> None:
    for person in (member, moderator):
        with pytest.raises(PermissionDenied):
            publish(person)
    assert not CodeOfConduct.objects.exists()


def test_an_empty_code_is_refused_and_patient_data_is_blocked(admin: User) -> None:
    with pytest.raises(ValidationError) as refused:
        publish(admin, "   ")
    assert "Enter the text" in str(refused.value)
    with pytest.raises(UnsafeContent):
        publish(admin, "Example: 999 000 0018")
    assert not CodeOfConduct.objects.exists()


def test_the_publish_page_is_for_admins_only(admin: User, member: User) -> None:
    assert client_for(member).get("/conduct/publish/").status_code == 403
    response = client_for(admin).post("/conduct/publish/", {"text": TEXT, "summary_of_changes": "First."})
    assert response.status_code == 302
    assert CodeOfConduct.objects.get().published_by == admin


def test_the_publish_page_keeps_what_was_typed_when_it_refuses(admin: User) -> None:
    response = client_for(admin).post(
        "/conduct/publish/", {"text": "Call 999 000 0018", "summary_of_changes": ""}
    )
    assert response.status_code == 200
    assert "Call 999 000 0018" in response.content.decode()
    assert not CodeOfConduct.objects.exists()


# --- accepting -------------------------------------------------------------------------------------


def test_a_member_accepts_the_latest_version_with_an_audit_entry(admin: User, member: User) -> None:
    publish(admin)
    conduct.conduct_accept(actor=member, version=1)
    member.refresh_from_db()
    assert member.conduct_version == 1
    entry = AuditEntry.objects.get(action="conduct.accept", actor=member)
    assert (entry.actor, entry.before, entry.after) == (
        member,
        {"conduct_version": 0},
        {"conduct_version": 1},
    )


def test_accepting_an_older_version_than_the_latest_is_refused(admin: User, member: User) -> None:
    publish(admin)
    publish(admin, TEXT + " More.")
    with pytest.raises(ValidationError) as refused:
        conduct.conduct_accept(actor=member, version=1)
    assert "newer version (2)" in str(refused.value)
    member.refresh_from_db()
    assert member.conduct_version == 0


def test_there_is_nothing_to_accept_before_a_version_is_published(member: User) -> None:
    assert conduct.version_to_accept(member) == 0
    with pytest.raises(ValidationError):
        conduct.conduct_accept(actor=member, version=1)


def test_the_conduct_page_shows_the_text_and_accepts_then_returns_to_next(admin: User, member: User) -> None:
    publish(admin)
    client = client_for(member)
    shown = client.get("/conduct/", {"next": "/spaces/masterclass/wiki/new/"}).content.decode()
    assert "Never post patient-identifiable data" in shown
    assert 'value="/spaces/masterclass/wiki/new/"' in shown
    response = client.post("/conduct/", {"version": "1", "next": "/spaces/masterclass/wiki/new/"})
    assert response.status_code == 302
    assert response["Location"] == "/spaces/masterclass/wiki/new/"
    member.refresh_from_db()
    assert member.conduct_version == 1
    assert "You accepted this version" in client.get("/conduct/").content.decode()


def test_accepting_never_redirects_off_the_site(admin: User, member: User) -> None:
    publish(admin)
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client_for(member).post("/conduct/", {"version": "1", "next": target})
        assert response.status_code == 302
        assert response["Location"] == "/", target


def test_anonymous_visitors_can_read_the_code_but_not_accept_it(admin: User, anonymous: Client) -> None:
    publish(admin)
    assert "Be kind" in anonymous.get("/conduct/").content.decode()
    assert anonymous.post("/conduct/", {"version": "1"}).status_code == 403


# --- before contributing ---------------------------------------------------------------------------


def test_with_no_code_published_members_contribute_without_accepting(
    members_space: Space, member: User
) -> None:
    assert member.conduct_version == 0
    assert access.can_edit_space(member, members_space)
    page_create(space=members_space, actor=member, title="Notes", body="Fine.")


def test_a_member_who_has_not_accepted_cannot_create_edit_or_comment(
    admin: User, members_space: Space, member: User, page: Page
) -> None:
    publish(admin)
    assert not access.can_edit_space(member, members_space)
    with pytest.raises(conduct.ConductNotAccepted):
        access.get_page_for_editor(member, "masterclass", page.slug)
    with pytest.raises(conduct.ConductNotAccepted):
        access.get_space_for_editor(member, "masterclass")
    with pytest.raises(PermissionDenied):
        page_create(space=members_space, actor=member, title="Notes", body="Not yet.")
    with pytest.raises(PermissionDenied):
        discussions.comment_create(page=page, actor=member, body="Not yet.")
    assert not Page.objects.filter(title="Notes").exists()


def test_after_accepting_the_member_contributes_again(
    admin: User, members_space: Space, member: User, page: Page
) -> None:
    publish(admin)
    conduct.conduct_accept(actor=member, version=1)
    assert access.can_edit_space(member, members_space)
    assert access.get_page_for_editor(member, "masterclass", page.slug) == page
    discussions.comment_create(page=page, actor=member, body="Now I can.")


def test_a_new_version_must_be_accepted_again(admin: User, members_space: Space, member: User) -> None:
    publish(admin)
    conduct.conduct_accept(actor=member, version=1)
    publish(admin, TEXT + " Version two.")
    member.refresh_from_db()
    assert conduct.version_to_accept(member) == 2
    assert not access.can_edit_space(member, members_space)


def test_someone_who_cannot_edit_anyway_gets_the_ordinary_refusal(
    admin: User, public_space: Space, outsider: User
) -> None:
    publish(admin)
    with pytest.raises(PermissionDenied) as refused:
        access.get_space_for_editor(outsider, "open-notes")
    assert not isinstance(refused.value, conduct.ConductNotAccepted)


def test_the_edit_form_is_replaced_by_a_link_to_accept_that_comes_back(
    admin: User, member: User, page: Page
) -> None:
    publish(admin)
    edit = f"/spaces/masterclass/wiki/{page.slug}/edit/"
    response = client_for(member).get(edit)
    assert response.status_code == 403
    html = response.content.decode()
    assert "Accept the code of conduct first" in html
    link = html.split('href="/conduct/?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert parse_qs(link)["next"] == [edit]


def test_a_refused_post_sends_back_to_the_form_not_to_the_post(admin: User, member: User, page: Page) -> None:
    publish(admin)
    response = client_for(member).post("/spaces/masterclass/wiki/new/", {"title": "T", "body": "B"})
    assert response.status_code == 403
    assert "next=%2Fspaces%2Fmasterclass%2Fwiki%2Fnew%2F" in response.content.decode()
    assert not Page.objects.filter(title="T").exists()


def test_the_api_answers_403_conduct_not_accepted(admin: User, members_space: Space, member: User) -> None:
    publish(admin)
    response = post_json(
        Client(), "/api/v1/spaces/masterclass/pages", {"title": "Notes", "body": "x"}, headers=bearer(member)
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "conduct_not_accepted"
    assert "code of conduct" in error["message"]


def test_the_api_lets_a_member_who_accepted_create_pages(
    admin: User, members_space: Space, member: User
) -> None:
    publish(admin)
    conduct.conduct_accept(actor=member, version=1)
    response = post_json(
        Client(), "/api/v1/spaces/masterclass/pages", {"title": "Notes", "body": "x"}, headers=bearer(member)
    )
    assert response.status_code == 201, response.content


def test_other_api_refusals_keep_the_code_forbidden(
    admin: User, members_space: Space, outsider: User
) -> None:
    response = post_json(
        Client(), "/api/v1/spaces/masterclass/pages", {"title": "N", "body": "x"}, headers=bearer(outsider)
    )
    assert response.status_code in {403, 404}
    assert response.json()["error"]["code"] in {"forbidden", "not_found"}


def test_the_accept_link_url_is_a_path_on_this_site() -> None:
    url = urlsplit(conduct_url("/a/?b=1"))
    assert url.path == "/conduct/"
    assert parse_qs(url.query)["next"] == ["/a/?b=1"]


def test_the_commenter_lookup_refuses_with_the_conduct_code_and_lets_through_after_accepting(
    admin: User, member: User, page: Page
) -> None:
    from coproduce.discussions.access import get_page_for_commenter

    publish(admin)
    with pytest.raises(conduct.ConductNotAccepted):
        get_page_for_commenter(member, "masterclass", page.slug)
    conduct.conduct_accept(actor=member, version=1)
    member.refresh_from_db()
    assert get_page_for_commenter(member, "masterclass", page.slug) == page


def test_the_demo_publishes_a_code_of_conduct_that_its_people_have_accepted() -> None:
    from coproduce.core.demo import load_demo

    load_demo(password="a-long-demo-passphrase-42")
    code = CodeOfConduct.objects.get()
    assert code.version == 1
    assert "patient" in code.text
    assert "report" in code.text.lower()
    assert set(User.objects.values_list("conduct_version", flat=True)) == {1}
    assert AuditEntry.objects.filter(action="conduct.accept").count() == User.objects.count()


def test_every_template_can_show_the_notice_in_place_of_a_form(admin: User, member: User, rf: Any) -> None:
    from django.template import engines

    template = engines["django"].from_string(
        "{% if conduct_to_accept %}{% include 'communities/conduct_notice.html' with "
        "version=conduct_to_accept accept_url=conduct_accept_url %}{% else %}FORM{% endif %}"
    )
    request = rf.get("/spaces/masterclass/wiki/notes/")
    request.user = member
    assert template.render({}, request).strip() == "FORM"
    publish(admin)
    shown = template.render({}, request)
    assert "version 1" in shown
    assert 'href="/conduct/?next=%2Fspaces%2Fmasterclass%2Fwiki%2Fnotes%2F"' in shown


def test_the_admin_who_publishes_a_version_has_accepted_it(admin: User, members_space: Space) -> None:
    publish(admin)
    admin.refresh_from_db()
    assert admin.conduct_version == 1
    assert AuditEntry.objects.filter(action="conduct.accept", actor=admin).count() == 1
    assert access.can_edit_space(admin, members_space)


def test_a_member_who_has_not_accepted_cannot_flag_until_they_accept(
    admin: User, members_space: Space, member: User, page: Page
) -> None:
    members_space.memberships.create(user=member)
    version = publish(admin)

    with pytest.raises(PermissionDenied):
        flag_create(actor=member, reason="other", note="Looks wrong", page=page)
    assert not Flag.objects.exists()
    conduct.conduct_accept(actor=member, version=version.version)
    assert flag_create(actor=member, reason="other", note="Looks wrong", page=page).pk


def test_a_comment_through_the_api_before_accepting_answers_conduct_not_accepted(
    admin: User, members_space: Space, member: User, page: Page
) -> None:
    members_space.memberships.create(user=member)
    publish(admin)

    response = post_json(
        Client(),
        f"/api/v1/spaces/masterclass/pages/{page.slug}/comments",
        {"body": "Hi"},
        headers=bearer(member),
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "conduct_not_accepted"


def test_the_discussion_shows_the_notice_where_the_comment_form_would_be(
    admin: User, members_space: Space, member: User, page: Page
) -> None:
    members_space.memberships.create(user=member)
    publish(admin)

    shown = client_for(member).get(f"/spaces/masterclass/wiki/{page.slug}/").content.decode()

    assert "Read and accept the code of conduct" in shown
    assert "Post your comment" not in shown


def test_the_page_tools_and_the_wiki_index_point_to_the_code_of_conduct(
    admin: User, members_space: Space, member: User, page: Page
) -> None:
    members_space.memberships.create(user=member)
    publish(admin)
    client = client_for(member)

    tools = client.get(f"/spaces/masterclass/wiki/{page.slug}/").content.decode()
    index = client.get("/spaces/masterclass/wiki/").content.decode()

    assert "Accept the code of conduct to edit" in tools
    assert "Read and accept the code of conduct" in index
    assert "Create a page" not in index
