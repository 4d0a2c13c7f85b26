"""Patient data hidden where a first reading of a Word or PDF file did not look is found (review of
coproduce.wiki.extract): Strict Open XML, tracked deletions, field codes, renamed parts, headers
named anything, document properties, PDF form fields and comments. A Word part that cannot be
understood is refused rather than passed unchecked."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NullObject,
    TextStringObject,
)

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.governance.models import AuditEntry
from coproduce.governance.safety import scan
from coproduce.wiki import extract
from coproduce.wiki.attachments import UnsafeFile, attachment_add
from coproduce.wiki.extract import DOCX, PDF, Limits, Refused
from coproduce.wiki.models import Attachment, Page
from coproduce.wiki.tests.test_attachments_services import make_page
from coproduce.wiki.tests.test_extract import CONTENT_TYPES, W, body, raw_docx

NHS_NUMBER = "999 000 0018"  # from the range reserved for testing
STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
HEADER = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header"
MAIN_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def package(parts: dict[str, str]) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, xml)
    out.seek(0)
    return out


def paragraphs(*texts: str, namespace: str = W) -> str:
    inner = "".join(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" for text in texts)
    return f'<?xml version="1.0"?><w:document xmlns:w="{namespace}"><w:body>{inner}</w:body></w:document>'


def relationships(*relations: tuple[str, str]) -> str:
    inner = "".join(
        f'<Relationship Id="r{i}" Type="{kind}" Target="{target}"/>'
        for i, (kind, target) in enumerate(relations)
    )
    return f'<?xml version="1.0"?><Relationships xmlns="{RELATIONSHIPS}">{inner}</Relationships>'


def nhs_number_found_in(handle: io.BytesIO, content_type: str = DOCX) -> str:
    """Where the NHS number is, as the guard would name it (fails if it is not found)."""
    found = extract.extract(handle, content_type)
    findings = [f for f in scan(found.text) if f.kind == "nhs_number"]
    assert findings, found.text
    return found.where(findings[0].start)


def pdf(*, field_value: str, comment: str | None = None) -> io.BytesIO:
    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=300)
    field = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Widget"),
                NameObject("/FT"): NameObject("/Tx"),
                NameObject("/T"): TextStringObject("patient"),
                NameObject("/V"): TextStringObject(field_value),
                NameObject("/Rect"): ArrayObject(
                    [FloatObject(10), FloatObject(10), FloatObject(200), FloatObject(40)]
                ),
            }
        )
    )
    annotations = ArrayObject([field])
    if comment is not None:
        note = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Text"),
                NameObject("/Contents"): TextStringObject(comment),
                NameObject("/Rect"): ArrayObject(
                    [FloatObject(0), FloatObject(0), FloatObject(20), FloatObject(20)]
                ),
            }
        )
        annotations.append(writer._add_object(note))
    page[NameObject("/Annots")] = annotations
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject([field])}
    )
    out = io.BytesIO()
    writer.write(out)
    out.seek(0)
    return out


# --- Word documents ------------------------------------------------------------------------------


def test_an_nhs_number_in_a_strict_open_xml_document_is_found() -> None:
    handle = raw_docx(paragraphs("Workshop notes.", f"Patient {NHS_NUMBER} seen today.", namespace=STRICT))
    assert nhs_number_found_in(handle) == "paragraph 2"


def test_a_clean_strict_open_xml_document_is_read_like_a_transitional_one() -> None:
    found = extract.extract(raw_docx(paragraphs("Workshop notes.", "Next steps.", namespace=STRICT)), DOCX)
    assert found.text == "Workshop notes.\nNext steps."
    assert scan(found.text) == []


def test_a_number_deleted_with_track_changes_is_still_found_and_named_so() -> None:
    xml = body(
        f'<w:p><w:del w:id="1" w:author="a"><w:r><w:delText>NHS {NHS_NUMBER}</w:delText></w:r></w:del>'
        '<w:ins w:id="2" w:author="a"><w:r><w:t>[removed]</w:t></w:r></w:ins></w:p>'
    )
    found = extract.extract(raw_docx(xml), DOCX)
    assert found.text.splitlines()[0] == "[removed]"  # the paragraph as it reads now
    assert nhs_number_found_in(raw_docx(xml)) == "paragraph 1 (text deleted with track changes)"


def test_a_number_partly_deleted_with_track_changes_is_found_as_it_was_before() -> None:
    xml = body(
        "<w:p><w:r><w:t xml:space='preserve'>NHS 999 000 </w:t></w:r>"
        '<w:del w:id="1" w:author="a"><w:r><w:delText>0018</w:delText></w:r></w:del>'
        '<w:ins w:id="2" w:author="a"><w:r><w:t>xxxx</w:t></w:r></w:ins></w:p>'
    )
    assert nhs_number_found_in(raw_docx(xml)) == "paragraph 1 (text deleted with track changes)"


def test_a_number_in_a_field_code_is_found() -> None:
    xml = body(
        f'<w:p><w:r><w:instrText xml:space="preserve"> MERGEFIELD nhs \\* "{NHS_NUMBER}" </w:instrText></w:r>'
        "<w:r><w:t>Name</w:t></w:r></w:p>"
    )
    assert nhs_number_found_in(raw_docx(xml)) == "paragraph 1"


def test_a_number_in_the_document_title_is_found_in_the_document_properties() -> None:
    core = (
        '<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>Referral {NHS_NUMBER}</dc:title><cp:revision>1</cp:revision></cp:coreProperties>"
    )
    handle = package(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "word/document.xml": paragraphs("Hello"),
            "docProps/core.xml": core,
        }
    )
    assert nhs_number_found_in(handle) == "the document properties"


def test_a_number_in_a_custom_property_is_found() -> None:
    custom = (
        '<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f'<property fmtid="x" pid="2" name="Patient"><vt:lpwstr>{NHS_NUMBER}</vt:lpwstr></property>'
        "</Properties>"
    )
    handle = package(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "word/document.xml": paragraphs("Hello"),
            "docProps/custom.xml": custom,
        }
    )
    assert nhs_number_found_in(handle) == "the document properties"


def test_a_main_document_renamed_in_the_packages_relationships_is_read() -> None:
    handle = package(
        {
            "[Content_Types].xml": "<Types/>",
            "_rels/.rels": relationships((OFFICE_DOCUMENT, "/words/main.xml")),
            "words/main.xml": paragraphs("Notes.", f"Patient {NHS_NUMBER}."),
        }
    )
    assert nhs_number_found_in(handle) == "paragraph 2"


def test_a_main_document_named_only_by_its_content_type_is_read() -> None:
    types = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Override PartName="/other/doc.xml" ContentType="{MAIN_TYPE}"/></Types>'
    )
    handle = package({"[Content_Types].xml": types, "other/doc.xml": paragraphs(f"Patient {NHS_NUMBER}.")})
    assert nhs_number_found_in(handle) == "paragraph 1"


def test_a_header_with_any_name_is_read_through_the_documents_relationships() -> None:
    header = f'<w:hdr xmlns:w="{W}"><w:p><w:r><w:t>{NHS_NUMBER}</w:t></w:r></w:p></w:hdr>'
    handle = package(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "word/document.xml": paragraphs("Hello"),
            "word/_rels/document.xml.rels": relationships((HEADER, "top%20part.xml")),
            "word/top part.xml": header,
        }
    )
    assert nhs_number_found_in(handle) == "a header"


def test_a_word_part_full_of_text_in_an_unknown_namespace_is_refused_as_unreadable() -> None:
    xml = paragraphs(f"Patient {NHS_NUMBER} seen today. " * 10, namespace="urn:not-word")
    with pytest.raises(Refused) as refused:
        extract.extract(raw_docx(xml), DOCX)
    assert refused.value.code == "unreadable"
    assert "Save it again from Word" in refused.value.message


def test_a_little_text_in_an_unknown_namespace_with_nothing_else_is_not_a_reason_to_refuse() -> None:
    assert extract.extract(raw_docx(paragraphs("short", namespace="urn:not-word")), DOCX).text == ""


def test_a_dtd_in_the_document_properties_is_refused_like_one_in_the_document() -> None:
    core = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'
    handle = package(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "word/document.xml": paragraphs("Hello"),
            "docProps/core.xml": core,
        }
    )
    with pytest.raises(Refused) as refused:
        extract.extract(handle, DOCX)
    assert refused.value.code == "xml_declarations"


def test_the_element_limit_counts_every_part_read() -> None:
    header = f'<w:hdr xmlns:w="{W}">' + "<w:p/>" * 60 + "</w:hdr>"
    handle = package(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "word/document.xml": body("<w:p/>" * 60),
            "word/header1.xml": header,
        }
    )
    extract.extract(handle, DOCX, limits=Limits(max_elements=200))  # 120 paragraphs and a few more: fine
    with pytest.raises(Refused) as refused:
        extract.extract(handle, DOCX, limits=Limits(max_elements=100))
    assert refused.value.code == "too_many_elements"


def test_a_main_document_hidden_at_the_properties_name_is_read_as_a_document() -> None:
    handle = package(
        {
            "[Content_Types].xml": "<Types/>",
            "_rels/.rels": relationships((OFFICE_DOCUMENT, "docProps/core.xml")),
            "docProps/core.xml": paragraphs(f"Patient {NHS_NUMBER}."),
        }
    )
    assert nhs_number_found_in(handle) == "paragraph 1"


def test_a_package_with_two_parts_of_the_same_name_is_refused_as_unreadable() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", paragraphs(f"Patient {NHS_NUMBER}."))
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("word/document.xml", paragraphs("Hello"))
    out.seek(0)
    with pytest.raises(Refused) as refused:
        extract.extract(out, DOCX)
    assert refused.value.code == "unreadable"


# --- PDFs ----------------------------------------------------------------------------------------


def test_an_nhs_number_in_a_pdf_form_field_is_found() -> None:
    assert nhs_number_found_in(pdf(field_value=NHS_NUMBER), PDF) == "a form field"


def test_an_nhs_number_in_a_pdf_comment_is_found_naming_the_page() -> None:
    handle = pdf(field_value="Ok", comment=f"Patient {NHS_NUMBER}")
    assert nhs_number_found_in(handle, PDF) == "a comment on page 1"


def test_a_clean_pdf_with_a_form_field_is_read_without_findings() -> None:
    found = extract.extract(pdf(field_value="Workshop on Tuesday", comment="Looks good"), PDF)
    assert "Workshop on Tuesday" in found.text
    assert "Looks good" in found.text
    assert scan(found.text) == []


def test_an_nhs_number_in_a_pdfs_title_is_found_in_the_document_properties() -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.add_metadata({"/Title": f"Referral {NHS_NUMBER}"})
    out = io.BytesIO()
    writer.write(out)
    assert nhs_number_found_in(out, PDF) == "the document properties"


def test_a_dangling_annotation_in_a_pdf_is_skipped_not_refused() -> None:
    handle = pdf(field_value="Tuesday")
    writer = PdfWriter(clone_from=handle)
    annotations = writer.pages[0][NameObject("/Annots")].get_object()
    assert isinstance(annotations, ArrayObject)
    annotations.append(NullObject())
    out = io.BytesIO()
    writer.write(out)
    assert "Tuesday" in extract.extract(out, PDF).text


def test_a_pdf_whose_annotations_are_not_a_list_is_refused_as_unreadable() -> None:
    writer = PdfWriter()
    page = writer.add_blank_page(width=100, height=100)
    page[NameObject("/Annots")] = TextStringObject("not a list")
    out = io.BytesIO()
    writer.write(out)
    out.seek(0)
    with pytest.raises(Refused) as refused:
        extract.extract(out, PDF)
    assert refused.value.code == "unreadable"


def test_a_pdf_with_more_fields_than_the_limit_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        extract.extract(pdf(field_value="a", comment="b"), PDF, limits=Limits(max_elements=1))
    assert refused.value.code == "pdf_limits"


# --- through the upload -------------------------------------------------------------------------


@pytest.fixture
def page(members_space: Space, member: User) -> Page:
    return make_page(members_space, member)


def add(page: Page, actor: User, name: str, handle: io.BytesIO) -> Attachment:
    return attachment_add(page=page, actor=actor, upload=SimpleUploadedFile(name, handle.getvalue()))


@pytest.mark.django_db
def test_uploading_a_strict_document_with_an_nhs_number_is_refused(page: Page, member: User) -> None:
    handle = raw_docx(paragraphs("Notes.", f"Patient {NHS_NUMBER}.", namespace=STRICT))
    with pytest.raises(UnsafeFile) as refused:
        add(page, member, "referral.docx", handle)
    assert str(refused.value) == "The file contains an NHS number in paragraph 2"
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_uploading_a_pdf_with_an_nhs_number_in_a_form_field_is_refused(page: Page, member: User) -> None:
    with pytest.raises(UnsafeFile) as refused:
        add(page, member, "form.pdf", pdf(field_value=NHS_NUMBER))
    assert str(refused.value) == "The file contains an NHS number in a form field"
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_clean_strict_documents_and_pdf_forms_are_attached(page: Page, member: User) -> None:
    add(page, member, "notes.docx", raw_docx(paragraphs("Workshop notes.", namespace=STRICT)))
    add(page, member, "form.pdf", pdf(field_value="Tuesday", comment="Looks good"))
    assert Attachment.objects.count() == 2
    assert AuditEntry.objects.filter(action="attachment.add").count() == 2
