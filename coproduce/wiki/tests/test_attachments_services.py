"""attachment_add and attachment_remove: what is stored, under which names, and what is refused."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from conftest import Committed
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.governance import audit
from coproduce.governance.models import AuditEntry
from coproduce.governance.safety import UnsafeContent
from coproduce.search import index
from coproduce.wiki import attachments, services
from coproduce.wiki.attachments import attachment_add, attachment_remove
from coproduce.wiki.models import Attachment, Page
from coproduce.wiki.tests.test_attachments_sniffing import (
    EXECUTABLE,
    HTML,
    SVG,
    office_file,
    tiny_gif,
    tiny_jpeg,
    tiny_odt,
    tiny_pdf,
    tiny_png,
    tiny_webp,
)

NHS_NUMBER = "999 000 0018"


def make_page(space: Space, author: User, title: str = "Emerging issues") -> Page:
    return services.page_create(space=space, actor=author, title=title, body="What we heard.")


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_files(settings: Any) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def page(public_space: Space, member: User) -> Page:
    return make_page(public_space, member)


@pytest.mark.parametrize(
    ("name", "data", "content_type", "stored_as"),
    [
        ("photo.png", tiny_png(), "image/png", "photo.png"),
        ("photo.jpg", tiny_jpeg(), "image/jpeg", "photo.jpg"),
        ("anim.gif", tiny_gif(), "image/gif", "anim.gif"),
        ("pic.webp", tiny_webp(), "image/webp", "pic.webp"),
        ("minutes.pdf", tiny_pdf(), "application/pdf", "minutes.pdf"),
        (
            "minutes.docx",
            office_file("word/"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "minutes.docx",
        ),
        (
            "budget.xlsx",
            office_file("xl/"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "budget.xlsx",
        ),
        (
            "slides.pptx",
            office_file("ppt/"),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "slides.pptx",
        ),
        ("minutes.odt", tiny_odt(), "application/vnd.oasis.opendocument.text", "minutes.odt"),
        ("notes.txt", b"Notes from the workshop\n", "text/plain", "notes.txt"),
        ("notes.md", b"# Notes\n\n- [ ] follow up\n", "text/markdown", "notes.md"),
        ("table.csv", b"theme,count\naccess,4\n", "text/csv", "table.csv"),
        ("disguised.exe", tiny_png(), "image/png", "disguised.png"),
    ],
)
def test_every_allowed_kind_is_stored_with_its_sniffed_type_size_and_hash(
    page: Page, member: User, name: str, data: bytes, content_type: str, stored_as: str
) -> None:
    attachment = attachment_add(page=page, actor=member, upload=upload(name, data, "text/html"))
    attachment.refresh_from_db()
    assert attachment.name == stored_as
    assert attachment.content_type == content_type
    assert attachment.size == len(data)
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert attachment.uploaded_by == member
    with attachment.file.open("rb") as stored:
        assert stored.read() == data


def test_files_are_stored_under_a_random_name_never_the_uploaders(page: Page, member: User) -> None:
    first = attachment_add(page=page, actor=member, upload=upload("secret plans.png", tiny_png()))
    second = attachment_add(page=page, actor=member, upload=upload("secret plans.png", tiny_png()))
    for attachment in (first, second):
        stored = attachment.file.name or ""
        assert re.fullmatch(r"attachments/\d{4}/\d{2}/[0-9a-f]{32}\.png", stored)
        assert "secret" not in stored
    assert first.file.name != second.file.name


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("installer.png", EXECUTABLE),
        ("installer.exe", EXECUTABLE),
        ("page.txt", HTML),
        ("page.html", HTML),
        ("drawing.png", SVG),
        ("drawing.svg", SVG),
    ],
)
def test_executables_html_and_svg_are_refused_whatever_their_name(
    page: Page, member: User, settings: Any, name: str, data: bytes
) -> None:
    with pytest.raises(ValidationError) as caught:
        attachment_add(page=page, actor=member, upload=upload(name, data, "image/png"))
    assert caught.value.message_dict["file"][0].startswith("This kind of file is not allowed")
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []
    assert not AuditEntry.objects.filter(action="attachment.add").exists()


class Unreadable(SimpleUploadedFile):
    """An upload that fails the test if anything reads its content."""

    def read(self, *args: object, **kwargs: object) -> bytes:
        raise AssertionError("the file was read")

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        raise AssertionError("the file was read")


@override_settings(ATTACHMENT_MAX_BYTES=1024)
def test_a_file_over_the_size_limit_is_refused_before_it_is_read(page: Page, member: User) -> None:
    big = Unreadable("big.png", b"\x89PNG" + b"x" * 1021)
    with pytest.raises(ValidationError) as caught:
        attachment_add(page=page, actor=member, upload=big)
    assert caught.value.message_dict == {"file": ["The selected file must be smaller than 1.0\xa0KB."]}
    assert not Attachment.objects.exists()


@override_settings(ATTACHMENT_MAX_BYTES=1024)
def test_a_file_at_the_size_limit_is_accepted(page: Page, member: User) -> None:
    attachment = attachment_add(page=page, actor=member, upload=upload("notes.txt", b"x" * 1024))
    assert attachment.size == 1024


def test_text_files_have_a_smaller_limit_because_all_their_text_is_scanned(
    page: Page, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(attachments, "MAX_TEXT_BYTES", 100)
    with pytest.raises(ValidationError) as caught:
        attachment_add(page=page, actor=member, upload=upload("notes.txt", b"x" * 101))
    assert caught.value.message_dict == {
        "file": ["A text, Markdown or CSV file must be smaller than 100\xa0bytes."]
    }
    assert attachment_add(page=page, actor=member, upload=upload("photo.png", tiny_png() + b"x" * 101)).pk


def test_an_empty_file_is_refused(page: Page, member: User) -> None:
    with pytest.raises(ValidationError) as caught:
        attachment_add(page=page, actor=member, upload=upload("empty.txt", b""))
    assert caught.value.message_dict == {"file": ["The selected file is empty."]}


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd", "passwd.txt"),
        ("C:\\x\\y.txt", "y.txt"),
        ("no\x00tes.txt", "notes.txt"),
        ("evil\u202etxt.exe", "eviltxt.txt"),
    ],
)
def test_path_traversal_and_invisible_characters_are_taken_out_of_names(
    page: Page, member: User, raw: str, shown: str
) -> None:
    attachment = attachment_add(page=page, actor=member, upload=upload(raw, b"Plain words.\n"))
    assert attachment.name == shown
    assert Path(attachment.file.path).is_relative_to(Path(attachment.file.storage.location))  # type: ignore[attr-defined]


def test_the_same_name_on_one_page_is_numbered(page: Page, member: User, public_space: Space) -> None:
    names = [
        attachment_add(page=page, actor=member, upload=upload(name, b"Plain words.\n")).name
        for name in ("notes.txt", "notes.txt", "NOTES.txt", "notes.txt")
    ]
    assert names == ["notes.txt", "notes (2).txt", "NOTES (3).txt", "notes (4).txt"]
    other = make_page(public_space, member, title="Other")
    assert (
        attachment_add(page=other, actor=member, upload=upload("notes.txt", b"Plain words.\n")).name
        == "notes.txt"
    )


def test_a_numbered_long_name_still_fits_in_200_characters(page: Page, member: User) -> None:
    for _ in range(2):
        attachment = attachment_add(page=page, actor=member, upload=upload("n" * 250 + ".txt", b"words\n"))
    assert len(attachment.name) <= 200
    assert attachment.name.endswith(" (2).txt")


def test_an_nhs_number_in_the_name_is_refused(page: Page, member: User, settings: Any) -> None:
    with pytest.raises(UnsafeContent) as caught:
        attachment_add(page=page, actor=member, upload=upload(f"Referral {NHS_NUMBER}.pdf", tiny_pdf()))
    assert [f.kind for f in caught.value.findings["name"]] == ["nhs_number"]
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize("name", ["notes.txt", "notes.md", "table.csv"])
def test_an_nhs_number_inside_a_text_file_is_refused(
    page: Page, member: User, settings: Any, name: str
) -> None:
    text = f"Discussed the case,\npatient {NHS_NUMBER}, follow up.\n".encode()
    with pytest.raises(UnsafeContent) as caught:
        attachment_add(page=page, actor=member, upload=upload(name, text))
    assert list(caught.value.findings) == ["file"]
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []
    page.refresh_from_db()
    assert page.head == 1
    assert page.revisions.count() == 1


def test_an_outsider_cannot_attach_to_a_public_page(page: Page, outsider: User) -> None:
    with pytest.raises(PermissionDenied):
        attachment_add(page=page, actor=outsider, upload=upload("notes.txt", b"words\n"))
    assert not Attachment.objects.exists()


def test_a_community_member_cannot_attach_to_a_private_spaces_page(
    private_space: Space, facilitator: User, member: User
) -> None:
    page = make_page(private_space, facilitator)
    with pytest.raises(PermissionDenied):
        attachment_add(page=page, actor=member, upload=upload("notes.txt", b"words\n"))
    assert attachment_add(page=page, actor=facilitator, upload=upload("notes.txt", b"words\n")).pk


def test_adding_writes_an_audit_entry_and_reindexes_the_page_after_commit(
    page: Page, member: User, committed: Committed, monkeypatch: pytest.MonkeyPatch
) -> None:
    indexed: list[int] = []
    monkeypatch.setattr(index, "index_page", indexed.append)
    with committed():
        attachment = attachment_add(page=page, actor=member, upload=upload("photo.png", tiny_png()))
        assert indexed == []
    assert indexed == [page.pk]
    entry = AuditEntry.objects.get(action="attachment.add")
    assert entry.actor == member
    assert entry.space == page.space
    assert entry.target_type == "wiki.attachment"
    assert entry.target_id == str(attachment.pk)
    assert entry.after == {
        "page": page.pk,
        "name": "photo.png",
        "content_type": "image/png",
        "size": len(tiny_png()),
        "sha256": hashlib.sha256(tiny_png()).hexdigest(),
    }


def test_a_failure_while_saving_leaves_no_file_behind(
    page: Page, member: User, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        attachment_add(page=page, actor=member, upload=upload("photo.png", tiny_png()))
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []


def test_removing_deletes_the_row_then_the_file_and_writes_an_audit_entry(
    page: Page, member: User, committed: Committed, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    attachment = attachment_add(page=page, actor=member, upload=upload("photo.png", tiny_png()))
    indexed: list[int] = []
    monkeypatch.setattr(index, "index_page", indexed.append)
    with committed():
        attachment_remove(attachment=attachment, actor=member)
        assert len(stored_files(settings)) == 1  # the file goes only once the removal is committed
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []
    assert indexed == [page.pk]
    entry = AuditEntry.objects.get(action="attachment.remove")
    assert entry.actor == member
    assert entry.before["name"] == "photo.png"
    assert entry.after == {}


def test_someone_who_cannot_edit_cannot_remove(page: Page, member: User, outsider: User) -> None:
    attachment = attachment_add(page=page, actor=member, upload=upload("photo.png", tiny_png()))
    with pytest.raises(PermissionDenied):
        attachment_remove(attachment=attachment, actor=outsider)
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert not AuditEntry.objects.filter(action="attachment.remove").exists()
