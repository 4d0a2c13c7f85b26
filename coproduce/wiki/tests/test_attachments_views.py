"""Attachments in the browser: uploading, downloading with safe headers, removing, and who may do each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conftest import client_for, make_person
from coproduce.accounts.models import Role, User
from coproduce.communities.models import Space, SpaceMembership, SpaceRole
from coproduce.governance.models import AuditEntry
from coproduce.wiki import attachment_views
from coproduce.wiki.attachments import attachment_add
from coproduce.wiki.models import Attachment, Page, PageAlias
from coproduce.wiki.tests.test_attachments_services import make_page
from coproduce.wiki.tests.test_attachments_sniffing import (
    POLYGLOT_GIF,
    SVG,
    office_file,
    tiny_gif,
    tiny_pdf,
    tiny_png,
)

pytestmark = pytest.mark.django_db

NHS_NUMBER = "999 000 0018"
FILE_POLICY = "default-src 'none'; sandbox"


@pytest.fixture
def space_member(db: None, private_space: Space) -> User:
    """A community member who belongs to the private space."""
    person = make_person("sasha", Role.MEMBER, name="Sasha Spacemember")
    SpaceMembership.objects.create(space=private_space, user=person, role=SpaceRole.MEMBER)
    return person


@pytest.fixture
def page(public_space: Space, facilitator: User) -> Page:
    return make_page(public_space, facilitator)


def list_url(page: Page) -> str:
    return reverse("wiki:attachments", args=[page.space.slug, page.slug])


def file_url(attachment: Attachment) -> str:
    page = attachment.page
    return reverse("wiki:attachment", args=[page.space.slug, page.slug, attachment.pk, attachment.name])


def remove_url(attachment: Attachment) -> str:
    page = attachment.page
    return reverse("wiki:attachment_remove", args=[page.space.slug, page.slug, attachment.pk])


def attach(page: Page, actor: User, name: str, data: bytes) -> Attachment:
    return attachment_add(page=page, actor=actor, upload=SimpleUploadedFile(name, data))


def post_file(client: Client, page: Page, name: str, data: bytes, content_type: str = "text/plain") -> Any:
    return client.post(list_url(page), {"file": SimpleUploadedFile(name, data, content_type)})


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_a_member_uploads_a_file_and_sees_it_listed_with_its_size_and_uploader(
    page: Page, member: User
) -> None:
    client = client_for(member)
    response = post_file(client, page, "minutes.pdf", tiny_pdf(), "application/pdf")
    assert response.status_code == 302
    assert response["Location"] == list_url(page)
    attachment = Attachment.objects.get()
    assert (attachment.name, attachment.uploaded_by) == ("minutes.pdf", member)
    listing = client.get(list_url(page)).content.decode()
    assert "minutes.pdf has been attached to Emerging issues." in listing
    assert f'href="{file_url(attachment)}"' in listing
    assert f"{len(tiny_pdf())}\xa0bytes" in listing
    assert "Meera Member" in listing
    assert 'enctype="multipart/form-data"' in listing


def test_images_are_listed_as_thumbnails_with_their_name_as_alt_text(page: Page, facilitator: User) -> None:
    image = attach(page, facilitator, "Workshop wall.png", tiny_png())
    listing = Client().get(list_url(page)).content.decode()
    assert (
        f'<img class="wiki-attachment__thumbnail" src="{file_url(image)}" alt="Workshop wall.png"' in listing
    )


def test_editors_are_shown_the_markdown_that_puts_an_image_in_the_page(page: Page, facilitator: User) -> None:
    image = attach(page, facilitator, "Workshop wall (2).png", tiny_png())
    listing = client_for(facilitator).get(list_url(page)).content.decode()
    markdown = f"![Workshop wall (2).png]({list_url(page)}{image.pk}/Workshop%20wall%20%282%29.png)"
    assert f"<code>{markdown}</code>" in listing
    assert "<code>" not in Client().get(list_url(page)).content.decode()


def test_the_upload_form_is_shown_only_to_people_who_may_edit(
    page: Page, member: User, outsider: User
) -> None:
    assert 'enctype="multipart/form-data"' in client_for(member).get(list_url(page)).content.decode()
    assert 'enctype="multipart/form-data"' not in client_for(outsider).get(list_url(page)).content.decode()
    anonymous = Client().get(list_url(page)).content.decode()
    assert 'enctype="multipart/form-data"' not in anonymous
    assert "to attach files to this page" in anonymous


def test_a_refused_kind_of_file_shows_an_error_and_saves_nothing(page: Page, member: User) -> None:
    response = post_file(client_for(member), page, "picture.png", SVG, "image/png")
    content = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in content
    assert "This kind of file is not allowed" in content
    assert not Attachment.objects.exists()


def test_an_upload_without_a_file_asks_for_one(page: Page, member: User) -> None:
    response = client_for(member).post(list_url(page), {})
    assert "Select a file to upload." in response.content.decode()
    assert not Attachment.objects.exists()


def test_an_nhs_number_in_the_name_is_refused_and_the_page_is_unchanged(
    page: Page, member: User, settings: Any
) -> None:
    response = post_file(client_for(member), page, f"Referral {NHS_NUMBER}.txt", b"Plain words.\n")
    content = response.content.decode()
    assert response.status_code == 200
    assert "The file&#x27;s name contains an NHS number at characters 10\u201321" in content
    assert "Nothing was saved" in content
    assert not Attachment.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.*"))
    page.refresh_from_db()
    assert (page.head, page.revisions.count()) == (1, 1)


def test_an_nhs_number_inside_a_text_file_is_refused_and_the_page_is_unchanged(
    page: Page, member: User
) -> None:
    response = post_file(client_for(member), page, "notes.txt", f"Seen: {NHS_NUMBER}\n".encode())
    assert "The file contains an NHS number at characters 7\u201318" in response.content.decode()
    assert not Attachment.objects.exists()
    page.refresh_from_db()
    assert page.head == 1


def test_an_oversize_file_is_refused_with_the_limit(page: Page, member: User, settings: Any) -> None:
    settings.ATTACHMENT_MAX_BYTES = 4096
    response = post_file(client_for(member), page, "notes.txt", b"x" * 5000)
    assert "The selected file must be smaller than 4.0\xa0KB." in response.content.decode()
    assert not Attachment.objects.exists()


def test_uploads_larger_than_the_request_limit_pass_the_size_middleware(
    page: Page, member: User, settings: Any
) -> None:
    settings.MAX_REQUEST_BYTES = 1024
    response = post_file(client_for(member), page, "notes.txt", b"words " * 2000)
    assert response.status_code == 302
    assert Attachment.objects.get().size == 12000


def test_uploads_spooled_to_a_temporary_file_are_sniffed_and_stored_whole(
    page: Page, member: User, settings: Any
) -> None:
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100
    data = office_file("word/")
    response = post_file(client_for(member), page, "minutes.docx", data, "application/octet-stream")
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.content_type.endswith("wordprocessingml.document")
    with attachment.file.open("rb") as stored:
        assert stored.read() == data


def test_a_request_larger_than_an_attachment_may_be_is_refused_before_it_is_read(
    page: Page, member: User, settings: Any
) -> None:
    settings.MAX_REQUEST_BYTES = 1024
    settings.ATTACHMENT_MAX_BYTES = 1024
    response = post_file(client_for(member), page, "notes.txt", b"x" * (1024 * 1024 + 4096))
    assert response.status_code == 413
    assert not Attachment.objects.exists()


def test_a_path_in_the_uploaded_name_is_dropped(page: Page, member: User) -> None:
    post_file(client_for(member), page, "../../etc/passwd", b"root:x:0:0\n")
    post_file(client_for(member), page, "C:\\x\\y.txt", b"words\n")
    assert sorted(Attachment.objects.values_list("name", flat=True)) == ["passwd.txt", "y.txt"]


def test_too_many_uploads_are_slowed_down(page: Page, member: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attachment_views, "UPLOADS_PER_HOUR", 1)
    client = client_for(member)
    assert post_file(client, page, "one.txt", b"words\n").status_code == 302
    response = post_file(client, page, "two.txt", b"words\n")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert list(Attachment.objects.values_list("name", flat=True)) == ["one.txt"]


def test_the_upload_is_audited(page: Page, member: User) -> None:
    post_file(client_for(member), page, "notes.txt", b"words\n")
    entry = AuditEntry.objects.get(action="attachment.add")
    assert (entry.actor, entry.space, entry.after["name"]) == (member, page.space, "notes.txt")


# --- downloads ---------------------------------------------------------------------------------


def test_documents_are_downloaded_never_shown_inline(page: Page, facilitator: User) -> None:
    attachment = attach(page, facilitator, "Minutes \u2013 caf\u00e9.pdf", tiny_pdf())
    response = Client().get(file_url(attachment))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"Minutes  cafe.pdf\"; filename*=UTF-8''Minutes%20%E2%80%93%20caf%C3%A9.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == FILE_POLICY
    assert body_of(response) == tiny_pdf()


def test_a_name_without_any_ascii_letters_gets_a_plain_fallback(page: Page, facilitator: User) -> None:
    attachment = attach(page, facilitator, "\u8b70\u4e8b\u9332.pdf", tiny_pdf())
    response = Client().get(file_url(attachment))
    assert response["Content-Disposition"] == (
        "attachment; filename=\"attachment.pdf\"; filename*=UTF-8''%E8%AD%B0%E4%BA%8B%E9%8C%B2.pdf"
    )


def test_text_is_downloaded_as_utf8_plain_text(page: Page, facilitator: User) -> None:
    attachment = attach(page, facilitator, "notes.md", b"# Notes\n")
    response = Client().get(file_url(attachment))
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; ")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "data", "content_type"), [("a.png", tiny_png(), "image/png"), ("b.gif", tiny_gif(), "image/gif")]
)
def test_images_are_shown_inline(
    page: Page, facilitator: User, name: str, data: bytes, content_type: str
) -> None:
    attachment = attach(page, facilitator, name, data)
    response = Client().get(file_url(attachment))
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f"inline; filename=\"{name}\"; filename*=UTF-8''{name}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == FILE_POLICY


def test_a_gif_with_a_script_inside_is_served_only_as_an_image_that_cannot_run(
    page: Page, facilitator: User
) -> None:
    attachment = attach(page, facilitator, "hello.html", POLYGLOT_GIF)
    assert attachment.name == "hello.gif"
    response = Client().get(file_url(attachment))
    assert response["Content-Type"] == "image/gif"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == FILE_POLICY
    assert body_of(response) == POLYGLOT_GIF


def test_a_wrong_name_in_the_address_redirects_to_the_right_one(page: Page, facilitator: User) -> None:
    attachment = attach(page, facilitator, "notes.txt", b"words\n")
    wrong = reverse("wiki:attachment", args=[page.space.slug, page.slug, attachment.pk, "other.html"])
    response = Client().get(wrong)
    assert response.status_code == 302
    assert response["Location"] == file_url(attachment)


def test_an_old_page_address_redirects_to_the_attachment_under_the_new_one(
    page: Page, facilitator: User
) -> None:
    attachment = attach(page, facilitator, "notes.txt", b"words\n")
    PageAlias.objects.create(space=page.space, slug="old-issues", page=page)
    old = reverse("wiki:attachment", args=[page.space.slug, "old-issues", attachment.pk, attachment.name])
    assert Client().get(old)["Location"] == file_url(attachment)
    old_list = reverse("wiki:attachments", args=[page.space.slug, "old-issues"])
    assert Client().get(old_list)["Location"] == list_url(page)


def test_an_attachment_is_not_found_through_another_pages_address(
    page: Page, public_space: Space, facilitator: User
) -> None:
    attachment = attach(page, facilitator, "notes.txt", b"words\n")
    other = make_page(public_space, facilitator, title="Other")
    url = reverse("wiki:attachment", args=[public_space.slug, other.slug, attachment.pk, attachment.name])
    assert Client().get(url).status_code == 404


def test_an_attachment_whose_file_has_gone_is_not_found(page: Page, facilitator: User) -> None:
    attachment = attach(page, facilitator, "notes.txt", b"words\n")
    attachment.file.storage.delete(attachment.file.name or "")
    assert Client().get(file_url(attachment)).status_code == 404


# --- who may do what ---------------------------------------------------------------------------

READERS = {
    # viewer: (public, members, private)
    "anonymous": (True, False, False),
    "outsider": (True, False, False),
    "member": (True, True, False),
    "space_member": (True, True, True),
}
EDITORS = {
    "anonymous": (403, 404, 404),
    "outsider": (403, 404, 404),
    "member": (302, 302, 404),
    "space_member": (302, 302, 302),
}
SPACES = ("public_space", "members_space", "private_space")


def _client(request: pytest.FixtureRequest, viewer: str) -> Client:
    if viewer == "anonymous":
        return Client()
    return client_for(request.getfixturevalue(viewer))


@pytest.mark.parametrize("viewer", READERS)
@pytest.mark.parametrize("space_index", range(3))
def test_reading_attachments_needs_the_page_to_be_readable_and_is_404_otherwise(
    request: pytest.FixtureRequest, facilitator: User, space_member: User, viewer: str, space_index: int
) -> None:
    space: Space = request.getfixturevalue(SPACES[space_index])
    attachment = attach(make_page(space, facilitator), facilitator, "notes.txt", b"words\n")
    client = _client(request, viewer)
    expected = 200 if READERS[viewer][space_index] else 404
    assert client.get(list_url(attachment.page)).status_code == expected
    assert client.get(file_url(attachment)).status_code == expected


@pytest.mark.parametrize("viewer", EDITORS)
@pytest.mark.parametrize("space_index", range(3))
def test_uploading_needs_the_wiki_edit_right(
    request: pytest.FixtureRequest, facilitator: User, space_member: User, viewer: str, space_index: int
) -> None:
    space: Space = request.getfixturevalue(SPACES[space_index])
    page = make_page(space, facilitator)
    response = post_file(_client(request, viewer), page, "notes.txt", b"words\n")
    expected = EDITORS[viewer][space_index]
    assert response.status_code == expected
    assert Attachment.objects.filter(page=page).exists() == (expected == 302)


@pytest.mark.parametrize("viewer", EDITORS)
@pytest.mark.parametrize("space_index", range(3))
def test_removing_needs_the_wiki_edit_right(
    request: pytest.FixtureRequest, facilitator: User, space_member: User, viewer: str, space_index: int
) -> None:
    space: Space = request.getfixturevalue(SPACES[space_index])
    attachment = attach(make_page(space, facilitator), facilitator, "notes.txt", b"words\n")
    response = _client(request, viewer).post(remove_url(attachment))
    expected = EDITORS[viewer][space_index]
    assert response.status_code == expected
    assert Attachment.objects.filter(pk=attachment.pk).exists() == (expected != 302)
    assert AuditEntry.objects.filter(action="attachment.remove").exists() == (expected == 302)


def test_removing_takes_a_post(page: Page, facilitator: User) -> None:
    attachment = attach(page, facilitator, "notes.txt", b"words\n")
    assert client_for(facilitator).get(remove_url(attachment)).status_code == 405
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_removing_says_so_and_returns_to_the_list(page: Page, facilitator: User) -> None:
    attachment = attach(page, facilitator, "notes.txt", b"words\n")
    client = client_for(facilitator)
    response = client.post(remove_url(attachment), follow=True)
    assert response.redirect_chain == [(list_url(page), 302)]
    assert "notes.txt has been removed." in response.content.decode()
    assert "No files are attached to this page." in response.content.decode()
