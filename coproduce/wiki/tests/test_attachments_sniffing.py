"""What kind a file is, decided by its content; and the names files are shown under.

The builders at the top make tiny real files; the other attachment tests import them.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from pypdf import PdfWriter

from coproduce.wiki import attachments
from coproduce.wiki.attachments import (
    CSV,
    DOCX,
    GIF,
    JPEG,
    MARKDOWN,
    ODT,
    PDF,
    PNG,
    PPTX,
    TEXT,
    WEBP,
    XLSX,
    Kind,
    clean_name,
    sniff,
)

# --- tiny real files ---------------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def tiny_png() -> bytes:
    """A valid 1 by 1 red PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + _png_chunk(b"IEND", b"")
    )


def tiny_gif() -> bytes:
    """A valid 1 by 1 GIF."""
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
        b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )


def tiny_jpeg() -> bytes:
    """A JPEG's start-of-image and JFIF header, then end-of-image."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def tiny_webp() -> bytes:
    payload = b"VP8L" + struct.pack("<I", 5) + b"\x2f\x00\x00\x00\x00" + b"\x00"
    return b"RIFF" + struct.pack("<I", 4 + len(payload)) + b"WEBP" + payload


def tiny_pdf() -> bytes:
    """A real one-page PDF (its text is extracted and checked on upload, so it must be readable)."""
    writer = PdfWriter()
    writer.add_blank_page(10, 10)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def office_file(folder: str = "word/", extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal Office Open XML package: DOCX (word/), XLSX (xl/) or PPTX (ppt/)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr(f"{folder}document.xml", '<?xml version="1.0"?><document>Minutes</document>')
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def tiny_odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        archive.writestr("content.xml", '<?xml version="1.0"?><office:document-content/>')
        archive.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest/>')
    return buffer.getvalue()


def docx_with_entries(count: int) -> bytes:
    return office_file(extra={f"word/media/image{n}.png": b"" for n in range(count)})


def docx_declaring_huge_size() -> bytes:
    """A DOCX whose directory says word/document.xml unpacks to nearly 4 GB (a zip bomb's lie)."""
    data = bytearray(office_file())
    at = data.index(b"PK\x01\x02")
    while True:  # find the directory entry for word/document.xml
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_length] == b"word/document.xml":
            break
        at = data.index(b"PK\x01\x02", at + 4)
    struct.pack_into("<I", data, at + 24, 0xFFFFFFF0)
    return bytes(data)


EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program"
HTML = b"<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>\n'
POLYGLOT_GIF = b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00;*/=1;<script>alert(document.domain)</script>"


def sniffed(data: bytes, name: str = "") -> Kind | None:
    return sniff(io.BytesIO(data), len(data), name)


# --- sniffing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (tiny_png(), PNG),
        (tiny_jpeg(), JPEG),
        (tiny_gif(), GIF),
        (b"GIF87a\x01\x00\x01\x00\x00\x00\x00;", GIF),
        (tiny_webp(), WEBP),
        (tiny_pdf(), PDF),
        (office_file("word/"), DOCX),
        (office_file("xl/"), XLSX),
        (office_file("ppt/"), PPTX),
        (tiny_odt(), ODT),
        ("Notes from the workshop \u2013 caf\u00e9 \U0001f642\n".encode(), TEXT),
    ],
)
def test_every_allowed_kind_is_recognised_by_its_content_whatever_its_name(data: bytes, kind: Kind) -> None:
    assert sniffed(data, "upload.bin") == kind
    assert sniffed(data, "") == kind


def test_text_files_are_told_apart_only_by_their_extension_among_text_kinds() -> None:
    assert sniffed(b"# Emerging issues\n\n- one\n", "issues.md") == MARKDOWN
    assert sniffed(b"# Emerging issues\n", "issues.MARKDOWN") == MARKDOWN
    assert sniffed(b"a,b\n1,2\n", "table.csv") == CSV
    assert sniffed(b"a,b\n1,2\n", "table.exe") == TEXT


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (EXECUTABLE, "holiday.png"),
        (EXECUTABLE, "notes.txt"),
        (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56, "report.pdf"),
        (HTML, "notes.txt"),
        (HTML, "picture.png"),
        (b"\xef\xbb\xbf  \n<html><p>hi</p></html>", "notes.md"),
        (SVG, "picture.png"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "diagram.txt"),
        (b"Some prose first, then <script>alert(1)</script>", "notes.txt"),
        (b"Hello <SVG onload=alert(1)>", "notes.txt"),
        ("caf\xe9 in Latin-1".encode("latin-1"), "notes.txt"),
        ("UTF-16 text".encode("utf-16"), "notes.txt"),
        (b"text with a \x00 NUL byte", "notes.txt"),
        (b"", "empty.txt"),
    ],
)
def test_anything_else_is_refused_whatever_its_name(data: bytes, name: str) -> None:
    assert sniffed(data, name) is None


def test_a_zip_that_is_not_an_office_document_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", EXECUTABLE)
        archive.writestr("word/readme.txt", "not an office file: no [Content_Types].xml")
    assert sniffed(buffer.getvalue(), "report.docx") is None


def test_a_zip_claiming_another_opendocument_type_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.graphics")
    assert sniffed(buffer.getvalue(), "drawing.odt") is None


def test_a_truncated_zip_is_refused() -> None:
    assert sniffed(office_file()[:200], "report.docx") is None


def test_a_docx_with_thousands_of_entries_is_refused_without_opening_the_archive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = docx_with_entries(attachments.MAX_ZIP_ENTRIES + 500)

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the archive was opened")

    monkeypatch.setattr(zipfile, "ZipFile", never)
    assert sniffed(data, "report.docx") is None


def test_a_docx_declaring_a_huge_uncompressed_size_is_refused_without_unpacking_anything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = docx_declaring_huge_size()

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("an entry was unpacked")

    monkeypatch.setattr(zipfile.ZipFile, "open", never)
    assert sniffed(data, "report.docx") is None


def test_a_docx_just_under_the_limits_is_accepted() -> None:
    assert sniffed(docx_with_entries(attachments.MAX_ZIP_ENTRIES - 10), "report.docx") == DOCX


def test_a_zip64_archive_is_refused() -> None:
    data = bytearray(office_file())
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 0xFFFF, 0xFFFF)
    assert sniffed(bytes(data), "report.docx") is None


def test_only_the_first_64_kb_decide_whether_a_file_is_text() -> None:
    head = b"a" * (attachments.SNIFF_BYTES - 1) + "é".encode()  # the é is cut in half at 64 KB
    assert sniffed(head + b"more text", "long.txt") == TEXT


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind", "clean"),
    [
        ("../../etc/passwd", TEXT, "passwd.txt"),
        ("..\\..\\windows\\system32\\cmd.exe", TEXT, "cmd.txt"),
        ("C:\\x\\y.txt", TEXT, "y.txt"),
        ("/var/www/../notes.md", MARKDOWN, "notes.md"),
        ("ab\x00c.png", PNG, "abc.png"),
        ("line\nbreak\r\t.pdf", PDF, "linebreak.pdf"),
        ("evil\u202etxt.exe", TEXT, "eviltxt.txt"),
        ("evil\u202egnp.exe", PNG, "evilgnp.png"),
        ("re\u200bport\u2066.pdf", PDF, "report.pdf"),
        ("\ufeffminutes.pdf", PDF, "minutes.pdf"),
        ("Cafe\u0301 notes.txt", TEXT, "Caf\u00e9 notes.txt"),
        ("holiday.exe", PNG, "holiday.png"),
        ("holiday.html", GIF, "holiday.gif"),
        ("Photo.JPEG", JPEG, "Photo.jpeg"),
        ("scan", PDF, "scan.pdf"),
        ("report.final version", PDF, "report.final version.pdf"),
        ("..", TEXT, "attachment.txt"),
        ("....", PDF, "attachment.pdf"),
        ("", PNG, "attachment.png"),
        ("a..b...c.txt", TEXT, "a.b.c.txt"),
        ('what<is>this:"file"|?*.txt', TEXT, "what_is_this__file____.txt"),
        ("  lots   of   space  .csv", CSV, "lots of space.csv"),
        (".hidden.txt", TEXT, "hidden.txt"),
    ],
)
def test_names_are_cleaned_and_get_an_extension_matching_their_content(
    raw: str, kind: Kind, clean: str
) -> None:
    assert clean_name(raw, kind) == clean


def test_long_names_are_cut_to_200_characters_keeping_the_extension() -> None:
    name = clean_name("a" * 300 + ".pdf", PDF)
    assert len(name) == 200
    assert name.endswith("a.pdf")


def test_cleaned_names_contain_no_separators_controls_or_invisible_characters() -> None:
    raw = "..\\../\x00\x1b[31m\u200d\u202a\u2067x\u00ad\u2028y.txt"
    name = clean_name(raw, TEXT)
    assert name == "[31mx y.txt"
