"""Text from uploaded files, with every limit checked before or while reading (coproduce.wiki.extract).

The hostile files are built here: a small .docx holding millions of empty paragraphs, an XML
"billion laughs", an external entity, a zip whose parts lie about their size.
"""

from __future__ import annotations

import io
import time
import zipfile

import docx
import pytest
import weasyprint  # type: ignore[import-untyped]  # (publishes no type information)

from coproduce.wiki import extract
from coproduce.wiki.extract import DOCX, PDF, Limits, Refused

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)


def word_file(*paragraphs: str) -> io.BytesIO:
    """A real .docx written by python-docx."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    out.seek(0)
    return out


def raw_docx(document_xml: bytes | str, *, level: int = zipfile.ZIP_DEFLATED) -> io.BytesIO:
    """A minimal package with our own word/document.xml."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=level, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", document_xml)
    out.seek(0)
    return out


def body(inner: str) -> str:
    start = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}"><w:body>'
    return f"{start}{inner}</w:body></w:document>"


def pdf_file(*pages: str) -> io.BytesIO:
    html = "".join(f'<p style="page-break-after: always">{text}</p>' for text in pages)
    return io.BytesIO(weasyprint.HTML(string=f"<html><body>{html}</body></html>").write_pdf())


def refused_quickly(handle: io.BytesIO, content_type: str = DOCX, **limits: int) -> Refused:
    """Refused, using under a second of this process's CPU (other work on the machine does not count)."""
    started = time.process_time()
    with pytest.raises(Refused) as refused:
        extract.extract(handle, content_type, limits=Limits(**limits) if limits else extract.LIMITS)
    assert time.process_time() - started < 1.0
    return refused.value


# --- ordinary files -------------------------------------------------------------------------------


def test_a_word_documents_paragraphs_are_numbered_as_word_shows_them() -> None:
    found = extract.extract(word_file("Powers of social tools.", "", "Perils: patient data."), DOCX)
    # The paragraphs come first; the document properties python-docx writes follow them.
    assert found.text.startswith("Powers of social tools.\nPerils: patient data.\n")
    assert found.where(found.text.index("Perils")) == "paragraph 3"
    assert found.where(0) == "paragraph 1"


def test_runs_tabs_and_breaks_inside_a_paragraph_are_kept_together() -> None:
    xml = body(
        "<w:p><w:r><w:t>943</w:t></w:r><w:r><w:t xml:space='preserve'> 476 </w:t></w:r>"
        "<w:r><w:t>5919</w:t><w:tab/><w:t>end</w:t></w:r></w:p>"
    )
    found = extract.extract(raw_docx(xml), DOCX)
    assert found.text == "943 476 5919\tend"


def test_a_pdfs_text_is_found_page_by_page() -> None:
    found = extract.extract(pdf_file("Workshop notes.", "Second page here."), PDF)
    assert "Second page here." in found.text
    assert found.where(found.text.index("Second")) == "page 2"
    assert found.where(found.text.index("Workshop")) == "page 1"


def test_text_files_are_split_into_numbered_lines() -> None:
    found = extract.extract(io.BytesIO(b"one\ntwo\n\nfour \xff"), "text/plain")
    assert found.where(found.text.index("four")) == "line 4"
    assert "\ufffd" in found.text  # a bad byte is replaced, not a reason to fail


def test_other_kinds_of_file_have_no_text_to_check() -> None:
    assert extract.extract(io.BytesIO(b"\x89PNG\r\n\x1a\n"), "image/png").text == ""


# --- hostile Word documents ----------------------------------------------------------------------


def test_millions_of_empty_paragraphs_in_a_small_file_are_refused_at_once() -> None:
    handle = raw_docx(body("<w:p/>" * 3_000_000))
    assert len(handle.getvalue()) < 100_000  # tens of kilobytes on the wire
    error = refused_quickly(handle)
    assert error.code == "compression_ratio"
    assert "zip bomb" in error.message


def test_too_many_elements_are_refused_while_streaming_even_when_the_ratio_looks_innocent() -> None:
    # Stored without compression, so the ratio check cannot see it: the element count stops it.
    handle = raw_docx(body("<w:p/>" * 300_000), level=zipfile.ZIP_STORED)
    error = refused_quickly(handle)
    assert error.code == "too_many_elements"
    assert "200,000" in error.message


def test_a_billion_laughs_is_refused_before_any_entity_is_expanded() -> None:
    laughs = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE w:document [{laughs}]><w:document xmlns:w="{W}">'
        "<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
    )
    error = refused_quickly(raw_docx(xml))
    assert error.code == "xml_declarations"
    assert "DTD" in error.message


def test_an_external_entity_is_refused_and_never_read() -> None:
    xml = (
        '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>'
    )
    error = refused_quickly(raw_docx(xml))
    assert error.code == "xml_declarations"


def test_a_dtd_hidden_in_utf16_is_refused_by_the_parser() -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE w:document [<!ENTITY a "b">]>'
        f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&a;</w:t></w:r></w:p></w:body></w:document>'
    ).encode("utf-16")
    assert b"<!DOCTYPE" not in xml
    assert refused_quickly(raw_docx(xml)).code == "xml_declarations"


def test_a_document_larger_than_the_limit_once_unpacked_is_refused_from_its_directory() -> None:
    handle = raw_docx(body("<w:p><w:r><w:t>x</w:t></w:r></w:p>" * 2000))
    error = refused_quickly(handle, max_xml_bytes=10_000)
    assert error.code == "too_large_uncompressed"


def test_a_zip_with_too_many_entries_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        for i in range(30):
            archive.writestr(f"word/media/{i}.bin", b"x")
    assert refused_quickly(out, max_entries=20).code == "too_many_entries"


def test_a_broken_word_document_is_refused_with_a_clear_message() -> None:
    error = refused_quickly(raw_docx(body("<w:p><w:r><w:t>unclosed")))
    assert error.code == "unreadable"
    assert "Save it again from Word" in error.message


def test_too_much_text_is_refused_rather_than_checked_in_part() -> None:
    error = refused_quickly(word_file("a" * 500, "b" * 500), max_chars=800)
    assert error.code == "too_much_text"


# --- hostile PDFs ----------------------------------------------------------------------------------


def test_a_pdf_with_more_pages_than_the_limit_is_refused_before_reading_them() -> None:
    error = refused_quickly(pdf_file("one", "two", "three"), PDF, max_pages=2)
    assert error.code == "too_many_pages"


def test_a_pdf_stream_that_unpacks_beyond_the_limit_is_refused() -> None:
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, StreamObject

    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    stream = StreamObject()
    stream.set_data(b"BT /F1 12 Tf (x) Tj ET\n" + b" " * 5_000_000)
    stream = stream.flate_encode()
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    out.seek(0)
    assert len(out.getvalue()) < 100_000
    error = refused_quickly(out, PDF, max_stream_bytes=1_000_000)
    assert error.code == "pdf_limits"
    assert "decompression bomb" in error.message


def test_a_file_that_is_not_really_a_pdf_is_refused_clearly() -> None:
    error = refused_quickly(io.BytesIO(b"%PDF-1.7\nnot really"), PDF)
    assert error.code == "unreadable"
