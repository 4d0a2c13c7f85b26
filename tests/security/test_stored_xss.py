"""XSS: hostile text posted through the real forms and API never reaches a reader as active content.

Each test posts the payloads of `hostile.XSS_PAYLOADS` through one kind of field, then fetches every
page, feed and API answer that shows that field, as the people who would see it, and asserts that
`hostile.active_content` finds nothing (no script without our nonce, no on* attribute, no
javascript:/data: link, no frame/object/base/meta refresh).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse

from conftest import Committed, client_for
from coproduce.accounts.models import User
from coproduce.communities.models import Application, Space, SpaceMembership, SpaceRole
from coproduce.discussions.services import comment_create
from coproduce.governance.models import Flag, WatchedWord
from coproduce.reports import services as paper_services
from coproduce.reports.models import Paper
from coproduce.wiki import services as wiki_services
from coproduce.wiki.models import Page, PageTemplate
from tests.security.hostile import (
    ONE_LINE_PAYLOADS,
    XSS_PAYLOADS,
    active_content,
    active_content_in_html,
    csp_nonce,
)

pytestmark = pytest.mark.django_db


class Inspector:
    """Fetches pages and collects every piece of active content found, to report them all at once."""

    def __init__(self) -> None:
        self.problems: dict[str, list[str]] = {}

    def get(self, client: Client, url: str, *, status: int = 200) -> Any:
        response = client.get(url)
        if response.status_code != status:
            self.problems[url] = [f"answered {response.status_code}, expected {status}"]
        elif found := active_content(response):
            self.problems[url] = found
        return response

    def check(self, url: str, response: Any) -> None:
        if found := active_content(response):
            self.problems[url] = found

    def assert_clean(self) -> None:
        assert not self.problems, "\n".join(f"{url}: {found}" for url, found in self.problems.items())


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<script nonce="guessed">alert(1)</script>',
        "<img src=x onerror=alert(1)>",
        '<a href=" java\tscript:alert(1)">x</a>',
        '<a href="DATA:text/html,x">x</a>',
        '<iframe src="/"></iframe>',
        '<meta http-equiv="Refresh" content="0;url=//evil.example">',
        '<form><button formaction="javascript:alert(1)">x</button></form>',
    ],
)
def test_the_inspector_sees_active_content_so_a_clean_result_means_something(html: str) -> None:
    assert active_content_in_html(f"<p>Text</p>{html}", nonce="ours")


def test_the_inspector_accepts_our_own_nonced_scripts_and_inline_images() -> None:
    page = '<script nonce="ours">x()</script><img src="data:image/png;base64,AAAA" alt=""><a href="/x">x</a>'
    assert active_content_in_html(page, nonce="ours") == []


def test_hostile_pages_edits_and_comments_reach_no_reader_as_active_content(
    public_space: Space, member: User, facilitator: User, committed: Committed, mailoutbox: list[EmailMessage]
) -> None:
    wiki_services.watch_set(user=facilitator, watching=True, space=public_space)
    author, seen = client_for(member), Inspector()
    pages: list[Page] = []
    with committed():  # the watcher's notifications are made after commit
        for name, payload in XSS_PAYLOADS.items():
            created = author.post(
                reverse("wiki:create", args=[public_space.slug]),
                {
                    "title": f"Perils {payload}"[:200],
                    "body": f"Perils marker {name}\n\n{payload}",
                    "summary": payload[:300],
                },
            )
            assert created.status_code == 302, (name, active_content(created))
            page = Page.objects.get(
                space=public_space, slug=created["Location"].rstrip("/").rpartition("/")[2]
            )
            cache.clear()  # nor is the posting rate limit
            commented = author.post(
                reverse("discussions:create", args=[public_space.slug, page.slug]), {"body": payload}
            )
            assert commented.status_code == 302, name
            pages.append(page)
        every = "\n\n".join(XSS_PAYLOADS.values())
        edited = author.post(
            reverse("wiki:edit", args=[public_space.slug, pages[0].slug]),
            {"title": pages[0].title, "body": every, "base_revision": "1", "summary": "all of them"},
        )
        assert edited.status_code == 302
        for page in pages[:8]:  # a mention is e-mailed at once, in HTML, with the page's title
            cache.clear()
            mentioned = author.post(
                reverse("discussions:create", args=[public_space.slug, page.slug]),
                {"body": f"@{facilitator.username} {every}"[: settings.COMMENT_MAX_CHARS]},
            )
            assert mentioned.status_code == 302

    reader = client_for(facilitator)
    for page in pages:
        base = f"/spaces/{public_space.slug}/wiki/{page.slug}/"
        for url in (
            base,
            base + "history/",
            f"/api/v1/spaces/{public_space.slug}/pages/{page.slug}",
        ):
            seen.get(reader, url)
        seen.get(reader, f"/api/v1/spaces/{public_space.slug}/pages/{page.slug}/comments")
    first = f"/spaces/{public_space.slug}/wiki/{pages[0].slug}/"
    for client in (reader, Client()):
        for url in (
            first,
            first + "revisions/2/",
            first + "diff/?from=1&to=2",
            first + "feed/",
            f"/spaces/{public_space.slug}/wiki/",
            f"/spaces/{public_space.slug}/",
            f"/spaces/{public_space.slug}/feed/",
            "/spaces/",
            "/",
            "/search?q=perils+marker",
            "/search?q=perils+marker&page=2",
            "/api/v1/search?q=perils+marker&page_size=100",
            "/api/v1/search?q=alert",
            f"/api/v1/spaces/{public_space.slug}/pages?page_size=100",
        ):
            seen.get(client, url)
    inbox = seen.get(reader, "/notifications/")
    assert "Perils" in inbox.content.decode()
    seen.get(reader, "/api/v1/me/notifications?page_size=100")
    check_mail(seen, mailoutbox, expected_at_least=8)
    seen.assert_clean()


def check_mail(seen: Inspector, outbox: list[EmailMessage], *, expected_at_least: int) -> None:
    """No e-mail's HTML part may carry script: mail clients show it, some run it."""
    assert len(outbox) >= expected_at_least
    for message in outbox:
        for content, kind in getattr(message, "alternatives", []):
            if kind == "text/html" and (found := active_content_in_html(str(content), nonce=None)):
                seen.problems[f"e-mail {message.subject!r}"] = found


def test_hostile_profile_fields_are_shown_as_text_wherever_the_person_appears(
    public_space: Space, member: User, admin: User
) -> None:
    page = wiki_services.page_create(space=public_space, actor=member, title="Powers", body="Text")
    wiki_services.page_save(page=page, actor=member, body="Text, again", base_revision=1)
    comment_create(page=page, actor=member, body="My comment, under my name")
    author, reviewer, seen = client_for(member), client_for(admin), Inspector()
    for name, payload in ONE_LINE_PAYLOADS.items():
        saved = author.post(
            reverse("accounts:profile"),
            {
                "name": f"Meera {payload}"[:150],
                "organisation": payload[:200],
                "sector": member.sector,
                "job_role": payload[:100],
                "professional_registration": payload[:100],
                "credit_as": "name",
            },
        )
        assert saved.status_code == 302, (name, saved.content.decode()[:3000])
        base = f"/spaces/{public_space.slug}/wiki/{page.slug}/"
        for url in (
            base,
            base + "history/",
            reverse("accounts:profile"),
        ):
            seen.get(author, url)
        seen.get(reviewer, reverse("communities:members"))
    seen.get(reviewer, reverse("communities:space_members", args=[public_space.slug]))
    seen.get(author, "/api/v1/me")
    seen.get(Client(), f"/spaces/{public_space.slug}/wiki/{page.slug}/diff/?from=1&to=2")
    seen.assert_clean()


def test_hostile_applications_are_shown_to_admins_as_text(admin: User) -> None:
    reviewer, seen = client_for(admin), Inspector()
    for n, (name, payload) in enumerate(ONE_LINE_PAYLOADS.items()):
        cache.clear()  # the application rate limit is not what this test is about
        applied = Client().post(
            reverse("communities:apply"),
            {
                "name": f"Ann {payload}"[:150],
                "email": f"ann{n}@example.org",
                "organisation": payload[:200],
                "sector": "nhs",
                "job_role": payload[:100],
                "professional_registration": payload[:100],
                "reason": f"Because {payload}",
            },
        )
        assert applied.status_code == 302, (name, applied.content.decode()[:3000])
        seen.check(f"apply {name}", applied)
        application = Application.objects.get(email=f"ann{n}@example.org")
        seen.get(reviewer, reverse("communities:application", args=[application.pk]))
    seen.get(reviewer, reverse("communities:applications"))
    seen.get(reviewer, "/api/v1/applications?page_size=100")
    seen.assert_clean()


def test_hostile_space_names_and_descriptions_are_shown_as_text(admin: User, member: User) -> None:
    manager, seen = client_for(admin), Inspector()
    for n, (name, payload) in enumerate(XSS_PAYLOADS.items()):
        slug = f"hostile-{n}"
        created = manager.post(
            reverse("communities:space_create"),
            {
                "slug": slug,
                "name": payload.replace("\n", " ")[:150],
                "description": payload,
                "visibility": "public",
            },
        )
        assert created.status_code == 302, (name, created.content.decode()[:3000])
        space = Space.objects.get(slug=slug)
        page = wiki_services.page_create(space=space, actor=admin, title="Inside", body="Text")
        for url in (
            f"/spaces/{slug}/",
            f"/spaces/{slug}/wiki/{page.slug}/",
            f"/spaces/{slug}/settings/",
        ):
            seen.get(manager, url)
    for client in (manager, client_for(member), Client()):
        for url in (
            "/spaces/",
            "/",
            "/search?q=inside",
            "/api/v1/spaces?page_size=100",
            "/api/v1/search?q=inside",
        ):
            seen.get(client, url)
    seen.assert_clean()


def test_hostile_paper_title_and_section_text_never_reach_the_paper_or_its_edition(
    members_space: Space, facilitator: User, member: User, committed: Committed
) -> None:
    SpaceMembership.objects.create(space=members_space, user=member, role=SpaceRole.MEMBER)
    editor, seen = client_for(facilitator), Inspector()
    created = editor.post(
        reverse("reports:create", args=[members_space.slug]),
        {"title": ONE_LINE_PAYLOADS["attribute-break-out"], "template": "briefing"},
    )
    assert created.status_code == 302
    paper = Paper.objects.get()
    sections = [s for s in paper.sections.order_by("position") if s.kind == "text"]
    payloads = list(XSS_PAYLOADS.values())
    body = {
        "title": "<img src=x onerror=alert(1)> Powers",
        "sections": [
            {
                "id": section.pk,
                "heading": payloads[i].replace("\n", " ")[:200],
                "body": "\n\n".join(payloads[i :: len(sections)]),
            }
            for i, section in enumerate(sections)
        ],
    }
    updated = editor.put(f"/api/v1/papers/{paper.pk}", body, content_type="application/json")
    assert updated.status_code == 200, updated.content
    seen.check("PUT paper", updated)
    with committed():
        edition = paper_services.paper_publish(actor=facilitator, paper=paper)

    base = f"/spaces/{members_space.slug}/papers/{paper.pk}/"
    for url in (
        base,
        base + "edit/",
        base + "board/",
        base + "preview/",
        f"/spaces/{members_space.slug}/papers/",
    ):
        seen.get(editor, url)
    for reader in (editor, client_for(member)):
        seen.get(reader, base + f"editions/{edition.number}/")
        seen.get(reader, f"/api/v1/papers/{paper.pk}")
        rendered = reader.get(base + f"editions/{edition.number}/html/")
        assert rendered.status_code == 200
        document = b"".join(rendered.streaming_content) if rendered.streaming else rendered.content  # type: ignore[attr-defined]
        # Checked even when it is a download: a saved copy opened from disk would run its script.
        if found := active_content_in_html(document.decode(), nonce=csp_nonce(rendered)):
            seen.problems["edition html file"] = found
    seen.assert_clean()


ATTACHMENT_NAMES = [
    "<img src=x onerror=alert(1)>.txt",
    '"><script>alert(1)</script>.txt',
    "javascript:alert(1).txt",
    "<svg onload=alert(1)>.md",
    'x" onmouseover="alert(1).txt',
]


def test_hostile_attachment_names_are_shown_as_text(public_space: Space, member: User) -> None:
    page = wiki_services.page_create(space=public_space, actor=member, title="Files", body="Text")
    client, seen = client_for(member), Inspector()
    for name in ATTACHMENT_NAMES:
        uploaded = client.post(
            reverse("wiki:attachments", args=[public_space.slug, page.slug]),
            {"file": SimpleUploadedFile(name, b"plain notes\n", "text/plain")},
        )
        assert uploaded.status_code in (200, 302), name
        seen.check(f"upload {name}", uploaded)
    for reader in (client, Client()):
        seen.get(reader, f"/spaces/{public_space.slug}/wiki/{page.slug}/")
        seen.get(reader, f"/spaces/{public_space.slug}/wiki/{page.slug}/attachments/")
    seen.assert_clean()


def test_hostile_moderation_texts_are_shown_to_moderators_and_members_as_text(
    public_space: Space,
    member: User,
    facilitator: User,
    moderator: User,
    admin: User,
    committed: Committed,
    mailoutbox: list[EmailMessage],
) -> None:
    seen = Inspector()
    page = wiki_services.page_create(space=public_space, actor=member, title="Perils", body="Text")
    comment = comment_create(page=page, actor=member, body="Plain comment")
    one_line = list(ONE_LINE_PAYLOADS.values())
    every = "\n\n".join(XSS_PAYLOADS.values())
    flagger, closer, manager = client_for(member), client_for(facilitator), client_for(admin)
    with committed():
        for n, payload in enumerate(one_line[:10]):
            cache.clear()
            flagged = flagger.post(
                f"/governance/comments/{comment.pk}/flag/", {"reason": "other", "note": payload}
            )
            assert flagged.status_code in (200, 302), flagged.status_code
            template = closer.post(
                reverse("wiki:templates", args=[public_space.slug]),
                {"name": f"T{n} {payload}"[:100], "body": every},
            )
            assert template.status_code in (200, 302)
        for n, payload in enumerate(one_line[:6]):
            cache.clear()
            manager.post(
                reverse("governance:watched_words"), {"phrase": f"zz{n} {payload}"[:100], "action": "flag"}
            )
        warned = client_for(moderator).post(
            f"/governance/members/{member.username}/", {"action": "warn", "reason": every[:1000]}
        )
        assert warned.status_code in (200, 302)
        closed = closer.post(
            reverse("discussions:close", args=[public_space.slug, page.slug]), {"outcome": every[:2000]}
        )
        assert closed.status_code in (200, 302)

    assert PageTemplate.objects.filter(space=public_space).count() == 10
    assert WatchedWord.objects.count() == 6
    assert Flag.objects.filter(comment=comment).exists()
    for url in ("/governance/moderation/", f"/governance/members/{member.username}/"):
        seen.get(client_for(moderator), url)
    for url in ("/governance/audit/", reverse("governance:watched_words")):
        seen.get(manager, url)
    for url in (
        reverse("wiki:templates", args=[public_space.slug]),
        reverse("wiki:create", args=[public_space.slug]) + "?template=1",
        f"/spaces/{public_space.slug}/wiki/{page.slug}/",
    ):
        seen.get(closer, url)
    seen.get(flagger, "/notifications/")
    seen.get(flagger, f"/spaces/{public_space.slug}/wiki/{page.slug}/")
    check_mail(seen, mailoutbox, expected_at_least=1)
    seen.assert_clean()


REFLECTING_URLS = [
    "/search?q={p}",
    "/search?q=x&author={p}",
    "/search?q=x&space={p}",
    "/search?q=x&page={p}",
    "/api/v1/search?q={p}",
    "/accounts/login/?next={p}",
    "/conduct/?next={p}",
    "/spaces/{space}/wiki/new/?title={p}",
    "/spaces/{space}/wiki/new/?parent={p}&template={p}",
    "/spaces/{space}/wiki/{p}/",
    "/spaces/{space}/wiki/powers/diff/?from={p}&to=1",
    "/spaces/{space}/wiki/powers/history/?page={p}",
    "/notifications/?page={p}",
    "/nowhere/{p}",
]


REFLECTED_PAYLOADS = [
    *(
        XSS_PAYLOADS[name]
        for name in (
            "script-tag",
            "attribute-break-out",
            "single-quote-break-out",
            "img-onerror",
            "svg-onload",
            "html-javascript-href",
            "textarea-break-out",
            "title-break-out",
            "json-script-break-out",
        )
    ),
    "javascript:alert(1)",
]


def test_hostile_text_in_an_address_is_never_reflected_as_active_content(
    public_space: Space, member: User
) -> None:
    wiki_services.page_create(space=public_space, actor=member, title="Powers", body="Text")
    seen = Inspector()
    for client in (client_for(member), Client()):
        for template in REFLECTING_URLS:
            for payload in REFLECTED_PAYLOADS:
                url = template.format(p=quote(payload, safe=""), space=public_space.slug)
                response = client.get(url)
                if response.status_code >= 500:
                    seen.problems[url] = [f"answered {response.status_code}"]
                elif response.status_code == 200 or response.status_code >= 400:
                    seen.check(url, response)
    seen.assert_clean()
