"""The text inside uploaded Word and PDF files passes the patient-data guard; large files are held
and scanned in the background; hostile files are refused with a clear message."""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.communities import conduct
from coproduce.communities.models import Space
from coproduce.governance.models import AuditEntry
from coproduce.governance.safety import UnsafeContent
from coproduce.wiki.attachments import UnsafeFile, attachment_add, attachment_scan, is_held
from coproduce.wiki.models import Attachment, Page
from coproduce.wiki.tests.test_attachments_services import make_page
from coproduce.wiki.tests.test_extract import body, pdf_file, raw_docx, word_file

pytestmark = pytest.mark.django_db

NHS_NUMBER = "999 000 0018"  # from the range reserved for testing
Committed = Callable[[], AbstractContextManager[Any]]


@pytest.fixture
def page(members_space: Space, member: User) -> Page:
    return make_page(members_space, member)


def add(page: Page, actor: User, name: str, handle: io.BytesIO) -> Attachment:
    return attachment_add(page=page, actor=actor, upload=SimpleUploadedFile(name, handle.getvalue()))


def listing(page: Page) -> str:
    return f"/spaces/{page.space.slug}/wiki/{page.slug}/attachments/"


def download(client: Client, attachment: Attachment) -> Any:
    page = attachment.page
    return client.get(f"{listing(page)}{attachment.pk}/{attachment.name}")


# --- scanned during the upload ------------------------------------------------------------------


def test_a_word_document_with_an_nhs_number_is_refused_naming_the_paragraph(page: Page, member: User) -> None:
    with pytest.raises(UnsafeFile) as refused:
        add(page, member, "referral.docx", word_file("Workshop notes.", f"Patient {NHS_NUMBER} seen."))
    assert str(refused.value) == "The file contains an NHS number in paragraph 2"
    assert not Attachment.objects.exists()
    assert not AuditEntry.objects.filter(action="attachment.add").exists()


def test_a_pdf_with_an_nhs_number_is_refused_naming_the_page(page: Page, member: User) -> None:
    with pytest.raises(UnsafeFile) as refused:
        add(page, member, "minutes.pdf", pdf_file("Agenda.", "Nothing.", f"Ref {NHS_NUMBER}"))
    assert "an NHS number in page 3" in str(refused.value)
    assert not Attachment.objects.exists()


def test_clean_word_and_pdf_files_are_attached(page: Page, member: User) -> None:
    word = add(page, member, "notes.docx", word_file("Powers and perils of social tools."))
    pdf = add(page, member, "notes.pdf", pdf_file("Powers and perils of social tools."))
    assert not is_held(word)
    assert not is_held(pdf)
    assert AuditEntry.objects.filter(action="attachment.add").count() == 2


def test_what_only_warns_does_not_refuse_a_file_but_a_space_that_blocks_it_does(
    page: Page, member: User, members_space: Space
) -> None:
    add(page, member, "venue.docx", word_file("The venue is at SW1A 1AA."))
    members_space.guard_policy = {"postcode": "block"}
    members_space.save(update_fields=["guard_policy"])
    page.refresh_from_db()
    with pytest.raises(UnsafeFile) as refused:
        add(page, member, "venue2.docx", word_file("The venue is at SW1A 1AA."))
    assert "a postcode in paragraph 1" in str(refused.value)


def test_a_zip_bomb_is_refused_with_a_clear_message_and_nothing_is_stored(page: Page, member: User) -> None:
    with pytest.raises(ValidationError) as refused:
        add(page, member, "bomb.docx", raw_docx(body("<w:p/>" * 3_000_000)))
    assert "zip bomb" in refused.value.message_dict["file"][0]
    assert not Attachment.objects.exists()


def test_the_upload_page_shows_where_the_nhs_number_is_and_keeps_nothing(page: Page, member: User) -> None:
    data = word_file("Intro.", f"NHS {NHS_NUMBER}").getvalue()
    response = client_for(member).post(listing(page), {"file": SimpleUploadedFile("r.docx", data)})
    assert response.status_code == 200
    assert "The file contains an NHS number in paragraph 2. Do not share" in response.content.decode()
    assert not Attachment.objects.exists()


def test_the_upload_page_explains_an_external_entity_refusal(page: Page, member: User) -> None:
    xml = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">&x;</w:document>'
    )
    data = raw_docx(xml).getvalue()
    response = client_for(member).post(listing(page), {"file": SimpleUploadedFile("x.docx", data)})
    assert "XML declarations" in response.content.decode()
    assert "root:" not in response.content.decode()
    assert not Attachment.objects.exists()


def test_text_files_still_name_the_characters_and_the_line(page: Page, member: User) -> None:
    with pytest.raises(UnsafeContent) as refused:
        add(page, member, "notes.txt", io.BytesIO(f"one\nSeen: {NHS_NUMBER}\n".encode()))
    assert str(refused.value) == "The file contains an NHS number at characters 11\u201322 (line 2)"


# --- large files: held, then scanned in the background --------------------------------------------


def test_a_large_file_is_held_and_not_served_until_its_scan_has_run(
    settings: Any, page: Page, member: User, facilitator: User
) -> None:
    settings.SCAN_INLINE_BYTES = 100
    held = add(page, member, "notes.docx", word_file("Powers."))
    assert is_held(held)
    assert download(client_for(facilitator), held).status_code == 404
    assert (
        "Being checked for patient-identifiable data"
        in client_for(facilitator).get(listing(page)).content.decode()
    )
    assert AuditEntry.objects.get(action="attachment.add").after["held"] is True


def test_a_large_clean_file_is_released_after_its_scan(
    settings: Any, page: Page, member: User, facilitator: User, committed: Committed
) -> None:
    settings.SCAN_INLINE_BYTES = 100
    with committed():
        attachment = add(page, member, "notes.pdf", pdf_file("Powers and perils."))
    attachment.refresh_from_db()
    assert not is_held(attachment)
    assert download(client_for(facilitator), attachment).status_code == 200
    assert AuditEntry.objects.filter(action="attachment.scan_passed", target_id=str(attachment.pk)).exists()
    assert mail.outbox == []


def test_a_large_file_with_an_nhs_number_is_removed_and_the_uploader_told(
    settings: Any, page: Page, member: User, committed: Committed
) -> None:
    settings.SCAN_INLINE_BYTES = 100
    with committed():
        attachment = add(page, member, "referral.docx", word_file("Hello.", "Also.", f"NHS {NHS_NUMBER}"))
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    entry = AuditEntry.objects.get(action="attachment.quarantine")
    assert entry.after == {
        "reason": "patient_data",
        "kinds": ["nhs_number"],
        "places": ["an NHS number in paragraph 3"],
        "uploader": member.pk,
    }
    assert NHS_NUMBER not in str(entry.before) + str(entry.after)
    [message] = mail.outbox
    assert message.to == [member.email]
    assert "referral.docx" in message.subject
    assert "an NHS number in paragraph 3" in message.body
    assert NHS_NUMBER not in message.body


def test_a_large_file_that_cannot_be_checked_is_removed_with_the_reason(
    settings: Any, page: Page, member: User, committed: Committed
) -> None:
    settings.SCAN_INLINE_BYTES = 100
    with committed():
        attachment = add(page, member, "broken.docx", raw_docx(body("<w:p><w:r><w:t>x")))
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert AuditEntry.objects.get(action="attachment.quarantine").after["reason"] == "unreadable"
    assert "could not be read" in mail.outbox[0].body


def test_images_are_never_held(settings: Any, page: Page, member: User) -> None:
    from coproduce.wiki.tests.test_attachments_sniffing import tiny_png

    settings.SCAN_INLINE_BYTES = 10
    image = add(page, member, "a.png", io.BytesIO(tiny_png()))
    assert not is_held(image)


def test_scanning_an_attachment_twice_or_after_removal_does_nothing(page: Page, member: User) -> None:
    attachment = add(page, member, "notes.docx", word_file("Powers."))
    assert attachment_scan(attachment_id=attachment.pk) == "gone"  # not held: nothing to do
    assert attachment_scan(attachment_id=999_999) == "gone"


# --- the code of conduct applies to uploads --------------------------------------------------------


def test_a_member_who_has_not_accepted_the_code_sees_a_link_instead_of_the_upload_form(
    admin: User, page: Page, member: User
) -> None:
    conduct.conduct_publish(actor=admin, text="Be kind.")
    client = client_for(member)
    shown = client.get(listing(page)).content.decode()
    assert "Read and accept the code of conduct" in shown
    assert 'enctype="multipart/form-data"' not in shown
    refused = client.post(listing(page), {"file": SimpleUploadedFile("n.txt", b"Fine.")})
    assert refused.status_code == 403
    assert "Accept the code of conduct first" in refused.content.decode()
    assert not Attachment.objects.exists()


def test_a_member_who_accepted_the_code_can_upload(admin: User, page: Page, member: User) -> None:
    conduct.conduct_publish(actor=admin, text="Be kind.")
    conduct.conduct_accept(actor=member, version=1)
    response = client_for(member).post(listing(page), {"file": SimpleUploadedFile("n.txt", b"Fine.")})
    assert response.status_code == 302
    assert Attachment.objects.count() == 1
