"""IDOR: what is in a private space, and a paper's draft, is "not found" to everyone who may not read it.

Ids and slugs of real objects are requested directly, through the HTML pages, the API, search,
feeds, attachments and notifications, by an outsider and by a community member who does not belong
to the space. Every answer must be 404 (never 403, which would confirm the thing exists, and never
200), and no title may leak through a list, a search result or a notification.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from conftest import Committed, client_for, make_person
from coproduce.accounts.models import Role, User
from coproduce.accounts.services import token_create
from coproduce.communities.models import Space, SpaceMembership, SpaceRole
from coproduce.communities.services import space_member_remove
from coproduce.discussions.services import comment_create
from coproduce.notifications.models import Notification
from coproduce.reports import services as paper_services
from coproduce.reports.models import Edition, Paper
from coproduce.wiki import services as wiki_services
from coproduce.wiki.attachments import attachment_add
from coproduce.wiki.models import Attachment, Page

pytestmark = pytest.mark.django_db

SECRET = "Zanzibar budget"  # in every title and text of the private space; must never be shown


@dataclass
class Secrets:
    space: Space
    page: Page
    comment_id: int
    attachment: Attachment
    paper: Paper
    edition: Edition
    draft: Paper  # a paper in the members' space that has never been published


@pytest.fixture
def secrets(private_space: Space, members_space: Space, facilitator: User, committed: Committed) -> Secrets:
    with committed():
        page = wiki_services.page_create(
            space=private_space, actor=facilitator, title=f"{SECRET} plan", body=f"The {SECRET} is agreed."
        )
        wiki_services.page_save(page=page, actor=facilitator, body=f"The {SECRET} is final.", base_revision=1)
        comment = comment_create(page=page, actor=facilitator, body=f"{SECRET} comment")
        attachment = attachment_add(
            page=page, actor=facilitator, upload=SimpleUploadedFile(f"{SECRET}.txt", f"{SECRET}\n".encode())
        )
        paper = paper_services.paper_create(
            actor=facilitator, space=private_space, title=f"{SECRET} paper", template="blank"
        )
        for section in paper.sections.filter(kind="text"):
            paper_services.section_write(actor=facilitator, section=section, heading="Plan", body=SECRET)
        edition = paper_services.paper_publish(actor=facilitator, paper=paper)
        draft = paper_services.paper_create(actor=facilitator, space=members_space, title=f"{SECRET} draft")
    edition.refresh_from_db()
    return Secrets(private_space, page, comment.pk, attachment, paper, edition, draft)


@pytest.fixture
def nosy(db: None, members_space: Space) -> User:
    """A community member who reads the members' space but does not belong to the private one."""
    person = make_person("nosy", Role.MEMBER, name="Nora Nosy")
    SpaceMembership.objects.create(space=members_space, user=person, role=SpaceRole.MEMBER)
    return person


def html_urls(s: Secrets) -> list[str]:
    space = f"/spaces/{s.space.slug}/"
    page = f"{space}wiki/{s.page.slug}/"
    paper = f"{space}papers/{s.paper.pk}/"
    draft = f"/spaces/{s.draft.space.slug}/papers/{s.draft.pk}/"
    edition = f"{paper}editions/{s.edition.number}/"
    return [
        space,
        space + "settings/",
        space + "members/",
        space + "wiki/",
        space + "wiki/new/",
        space + "wiki/templates/",
        space + "feed/",
        page,
        page + "edit/",
        page + "history/",
        page + "revisions/1/",
        page + "diff/?from=1&to=2",
        page + "links-here/",
        page + "feed/",
        page + "attachments/",
        f"{page}attachments/{s.attachment.pk}/{s.attachment.name}",
        f"{page}comments/{s.comment_id}/edit/",
        space + "papers/",
        space + "papers/new/",
        paper,
        paper + "edit/",
        paper + "board/",
        paper + "preview/",
        edition,
        edition + "status/",
        edition + "html/",
        edition + "pdf/",
        edition + "docx/",
        draft,
        draft + "edit/",
        draft + "board/",
        draft + "preview/",
    ]


def api_urls(s: Secrets) -> list[str]:
    pages = f"/api/v1/spaces/{s.space.slug}/pages"
    page = f"{pages}/{s.page.slug}"
    return [
        f"/api/v1/spaces/{s.space.slug}",
        pages,
        page,
        page + "/revisions",
        page + "/revisions/1",
        page + "/diff?from=1&to=2",
        page + "/comments",
        page + "/discussion",
        f"/api/v1/papers/{s.paper.pk}",
        f"/api/v1/papers/{s.paper.pk}/editions/{s.edition.number}",
        f"/api/v1/papers?space={s.space.slug}",
        f"/api/v1/papers/{s.draft.pk}",
    ]


def writes(s: Secrets) -> list[tuple[str, str, dict[str, object]]]:
    """State-changing requests on the secret objects (method, path, JSON or form body)."""
    space = f"/spaces/{s.space.slug}/"
    page = f"{space}wiki/{s.page.slug}/"
    api_page = f"/api/v1/spaces/{s.space.slug}/pages/{s.page.slug}"
    return [
        ("post", page + "comments/", {"body": "Let me in"}),
        ("post", page + "edit/", {"title": "Mine", "body": "Mine", "base_revision": "2"}),
        ("post", page + "watch/", {"watching": "on"}),
        ("post", space + "wiki/watch/", {"watching": "on"}),
        ("post", f"{page}attachments/{s.attachment.pk}/remove/", {}),
        ("post", f"/governance/comments/{s.comment_id}/flag/", {"reason": "spam"}),
        ("post", f"/governance/spaces/{s.space.slug}/wiki/{s.page.slug}/flag/", {"reason": "spam"}),
        ("post", f"{space}papers/{s.paper.pk}/credit/", {"credit_as": "anonymous"}),
        ("post", f"/spaces/{s.draft.space.slug}/papers/{s.draft.pk}/publish/", {}),
        ("api-post", api_page + "/comments", {"body": "Let me in"}),
        ("api-put", api_page, {"body": "Mine", "base_revision": 2}),
        ("api-post", api_page + "/revert", {"revision": 1}),
        ("api-post", "/api/v1/flags", {"comment": s.comment_id, "reason": "spam"}),
        ("api-post", "/api/v1/flags", {"space": s.space.slug, "page": s.page.slug, "reason": "spam"}),
        ("api-put", f"/api/v1/papers/{s.paper.pk}", {"title": "Mine"}),
        ("api-post", f"/api/v1/papers/{s.draft.pk}/editions", {}),
    ]


@pytest.mark.parametrize("who", ["outsider", "nosy"])
def test_nothing_in_a_private_space_or_a_draft_exists_for_someone_who_may_not_read_it(
    who: str, secrets: Secrets, request: pytest.FixtureRequest
) -> None:
    client = client_for(request.getfixturevalue(who))
    answers = {url: client.get(url) for url in html_urls(secrets) + api_urls(secrets)}

    wrong = {
        url: r.status_code
        for url, r in answers.items()
        if r.status_code != 404 and not (url.startswith("/api/v1/papers?") and r.status_code == 200)
    }
    assert not wrong, wrong
    leaked = [url for url, r in answers.items() if SECRET.encode() in _body(r)]
    assert not leaked, leaked


@pytest.mark.parametrize("who", ["outsider", "nosy"])
def test_no_change_can_be_made_to_a_private_space_by_someone_who_may_not_read_it(
    who: str, secrets: Secrets, request: pytest.FixtureRequest
) -> None:
    client = client_for(request.getfixturevalue(who))
    wrong: dict[str, int] = {}
    for method, path, data in writes(secrets):
        if method.startswith("api-"):
            response = getattr(client, method[4:])(path, data, content_type="application/json")
        else:
            response = client.post(path, data)
        if response.status_code != 404:
            wrong[f"{method} {path}"] = response.status_code

    assert not wrong, wrong
    secrets.page.refresh_from_db()
    assert secrets.page.title == f"{SECRET} plan"
    assert Attachment.objects.filter(pk=secrets.attachment.pk).exists()
    assert not Edition.objects.filter(paper=secrets.draft).exists()


def test_anonymous_readers_are_not_shown_that_private_things_exist(secrets: Secrets) -> None:
    anonymous = Client()
    wrong = {}
    for url in html_urls(secrets) + api_urls(secrets):
        response = anonymous.get(url)
        login = response.status_code == 302 and "/accounts/login/" in response["Location"]
        listing = url.startswith("/api/v1/papers?") and response.status_code == 200
        if not (response.status_code == 404 or login or listing) or SECRET.encode() in _body(response):
            wrong[url] = response.status_code
    assert not wrong, wrong


@pytest.mark.parametrize("who", ["outsider", "nosy", "anonymous"])
def test_search_and_lists_never_show_a_private_title(
    who: str, secrets: Secrets, request: pytest.FixtureRequest
) -> None:
    client = Client() if who == "anonymous" else client_for(request.getfixturevalue(who))
    for url in (
        "/search?q=zanzibar",
        f"/search?q=zanzibar&space={secrets.space.slug}",
        "/search?q=zanzibar+budget+plan+comment+paper+draft",
        "/api/v1/search?q=zanzibar",
        f"/api/v1/search?q=zanzibar&space={secrets.space.slug}",
        "/api/v1/spaces",
        "/api/v1/papers",
        "/spaces/",
        "/",
        f"/spaces/{secrets.draft.space.slug}/papers/",
        f"/spaces/{secrets.draft.space.slug}/",
    ):
        response = client.get(url)
        assert response.status_code in (200, 302, 400, 404), url
        assert SECRET.encode() not in _body(response), url
        assert b"Steering" not in _body(response), url


def test_the_search_shows_the_private_title_to_a_member_of_the_space_so_the_test_above_means_something(
    secrets: Secrets, facilitator: User
) -> None:
    assert SECRET.encode() in client_for(facilitator).get("/search?q=zanzibar").content
    assert SECRET.encode() in client_for(facilitator).get("/api/v1/search?q=zanzibar").content


def test_a_mention_from_a_private_space_tells_a_non_member_nothing(
    secrets: Secrets, facilitator: User, nosy: User, committed: Committed
) -> None:
    with committed():
        comment_create(page=secrets.page, actor=facilitator, body=f"@{nosy.username} see the {SECRET}")

    assert not Notification.objects.filter(recipient=nosy).exists()
    client = client_for(nosy)
    for url in ("/notifications/", "/api/v1/me/notifications"):
        assert SECRET.encode() not in client.get(url).content


def test_a_person_removed_from_a_private_space_hears_nothing_more_about_it(
    private_space: Space, facilitator: User, nosy: User, committed: Committed
) -> None:
    SpaceMembership.objects.create(space=private_space, user=nosy, role=SpaceRole.MEMBER)
    page = wiki_services.page_create(space=private_space, actor=facilitator, title="Agenda", body="First")
    wiki_services.watch_set(user=nosy, watching=True, space=private_space)
    space_member_remove(space=private_space, actor=facilitator, user=nosy)
    removed_at = timezone.now()

    with committed():
        wiki_services.page_save(
            page=page, actor=facilitator, body=f"The {SECRET}", base_revision=1, title=f"{SECRET} agenda"
        )
        comment_create(page=page, actor=facilitator, body=f"@{nosy.username} {SECRET}")

    assert not Notification.objects.filter(
        recipient=nosy, space=private_space, entry__created_at__gt=removed_at
    ).exists()
    client = client_for(nosy)
    for url in ("/notifications/", "/api/v1/me/notifications", f"/spaces/{private_space.slug}/feed/"):
        assert SECRET.encode() not in client.get(url).content


def _body(response: object) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content  # type: ignore[attr-defined,no-any-return]


def test_a_facilitator_of_the_space_reaches_every_address_above_so_the_404s_mean_something(
    secrets: Secrets, facilitator: User
) -> None:
    client = client_for(facilitator)  # (feeds are for public spaces only, so they are 404 to all here)
    assert secrets.edition.status == "ready"
    addresses = [url for url in html_urls(secrets) + api_urls(secrets) if not url.endswith("/feed/")]
    missing = {url: r.status_code for url in addresses if (r := client.get(url)).status_code >= 400}
    assert not missing, missing


def test_another_persons_notification_and_api_token_are_not_found(
    public_space: Space, facilitator: User, member: User, committed: Committed
) -> None:
    wiki_services.watch_set(user=facilitator, watching=True, space=public_space)
    with committed():
        wiki_services.page_create(space=public_space, actor=member, title="Powers", body="Text")
    notification = Notification.objects.get(recipient=facilitator)
    token, _ = token_create(user=facilitator, name="Laptop", actor=facilitator)
    client = client_for(member)

    answers = [
        client.post(f"/notifications/{notification.pk}/read/"),
        client.post(f"/api/v1/me/notifications/{notification.pk}/read", content_type="application/json"),
        client.post(f"/accounts/profile/tokens/{token.pk}/revoke/"),
    ]

    assert [a.status_code for a in answers] == [404, 404, 404]
    notification.refresh_from_db()
    token.refresh_from_db()
    assert notification.read_at is None
    assert token.revoked_at is None


def test_a_private_object_cannot_be_reached_through_the_address_of_a_public_one(
    secrets: Secrets, public_space: Space, facilitator: User, nosy: User
) -> None:
    """The id of a private attachment, comment or paper put in a public page's or space's address."""
    public = wiki_services.page_create(space=public_space, actor=facilitator, title="Open", body="Text")
    page, paper = f"/spaces/{public_space.slug}/wiki/{public.slug}/", f"/spaces/{public_space.slug}/papers/"
    api_comment = f"/api/v1/spaces/{public_space.slug}/pages/{public.slug}/comments/{secrets.comment_id}"
    a, client = secrets.attachment, client_for(nosy)
    answers = {
        "attachment": client.get(f"{page}attachments/{a.pk}/{a.name}"),
        "remove attachment": client.post(f"{page}attachments/{a.pk}/remove/"),
        "edit comment": client.get(f"{page}comments/{secrets.comment_id}/edit/"),
        "delete comment": client.post(f"{page}comments/{secrets.comment_id}/delete/"),
        "paper": client.get(f"{paper}{secrets.paper.pk}/"),
        "edition": client.get(f"{paper}{secrets.paper.pk}/editions/{secrets.edition.number}/html/"),
        "preview": client.get(f"{paper}{secrets.paper.pk}/preview/"),
        "credit": client.post(f"{paper}{secrets.paper.pk}/credit/", {"credit_as": "anonymous"}),
        "page by slug": client.get(f"/spaces/{public_space.slug}/wiki/{secrets.page.slug}/"),
        "api edit comment": client.put(api_comment, {"body": "x"}, content_type="application/json"),
        "api delete comment": client.delete(api_comment),
    }

    assert {name: r.status_code for name, r in answers.items() if r.status_code != 404} == {}
    assert not [name for name, r in answers.items() if SECRET.encode() in _body(r)]
    assert Attachment.objects.filter(pk=a.pk).exists()
