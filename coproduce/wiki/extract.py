"""Text inside uploaded files (.txt, .md, .csv, .docx, .pdf), read with limits checked first.

`extract(handle, content_type)` returns the file's text as `Extracted`: the parts joined by
new lines, each part knowing where it is in the file ("line 4", "paragraph 12", "page 3"), so
that the patient-data guard's findings can be named for a person. Every limit is checked before
or while reading, never after, so a hostile file costs little time and bounded memory:

- .docx (a zip): the number of entries, the declared uncompressed size of the XML parts read
  and of the whole archive, and each part's compression ratio are checked from the zip's
  directory before anything is decompressed; parts are then decompressed in chunks, counting
  the bytes actually produced. The XML is parsed by expat in a streaming way with no tree kept:
  a document type declaration (DTD) or entity declaration is refused (no entity is ever
  expanded or fetched: no "billion laughs", no external entity), and elements are counted and
  the parse stopped at `Limits.max_elements`.
- .pdf: read by pypdf with its decompression limits lowered (`Limits.max_stream_bytes`), the
  page count checked before any page is read, and the extracted text counted as it grows.
- text: decoded as UTF-8 (bad bytes replaced), split into lines; the joined text is the file's
  text exactly, so offsets into it are character positions in the file.

Each refusal raises `Refused` with a message for a person and a stable `code`.
"""

from __future__ import annotations

import bisect
import codecs
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any
from xml.parsers import expat

from django.template.defaultfilters import filesizeformat
from pypdf import PdfReader, apply_configuration
from pypdf.errors import FileNotDecryptedError, LimitReachedError, PyPdfError

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/csv"})
EXTRACTED_TYPES = frozenset({DOCX, PDF, *TEXT_TYPES})

_W_PREFIX = "http://schemas.openxmlformats.org/wordprocessingml/2006/main "  # expat's "namespace local"
_W_PREFIX_LENGTH = len(_W_PREFIX)
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    max_entries: int = 2000  # entries in the zip
    max_archive_bytes: int = 200 * 1024 * 1024  # declared uncompressed size of the whole zip
    max_xml_bytes: int = 50 * 1024 * 1024  # uncompressed XML read for text (all parts together)
    max_ratio: int = 100  # uncompressed : compressed, per part read
    max_elements: int = 200_000  # XML elements (paragraphs, runs, text...) in all parts read
    max_pages: int = 2000  # PDF pages
    max_stream_bytes: int = 20 * 1024 * 1024  # one decompressed PDF stream
    max_chars: int = 10_000_000  # characters of text extracted


LIMITS = Limits()


class Refused(Exception):
    """The file cannot be checked safely; `message` says why, for a person; `code` for a program."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Extracted:
    """The text of a file and where each part of it came from."""

    text: str = ""
    starts: list[int] = field(default_factory=list)
    places: list[str] = field(default_factory=list)

    def where(self, offset: int) -> str:
        """Where in the file the character at `offset` of `text` is: "paragraph 12", "page 3"..."""
        at = bisect.bisect_right(self.starts, offset) - 1
        return self.places[at] if at >= 0 else ""


class _Builder:
    """Joins parts with new lines, remembering where each starts; stops at max_chars."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.pieces: list[str] = []
        self.starts: list[int] = []
        self.places: list[str] = []
        self.length = 0

    def add(self, place: str, text: str, *, keep_empty: bool = False) -> None:
        if not keep_empty and not text.strip():
            return
        if self.length + len(text) + 1 > self.limits.max_chars:
            raise Refused(
                "too_much_text",
                f"The file holds more than {self.limits.max_chars:,} characters of text, too much to "
                "check for patient data. Split it into smaller files.",
            )
        self.starts.append(self.length)
        self.places.append(place)
        self.pieces.append(text)
        self.length += len(text) + 1

    def done(self) -> Extracted:
        return Extracted(text="\n".join(self.pieces), starts=self.starts, places=self.places)


def extract(handle: IO[bytes], content_type: str, *, limits: Limits = LIMITS) -> Extracted:
    """The text of the file (positioned anywhere; it is rewound). Raises Refused."""
    handle.seek(0)
    if content_type == DOCX:
        return _docx(handle, limits)
    if content_type == PDF:
        return _pdf(handle, limits)
    if content_type in TEXT_TYPES:
        return _text(handle, limits)
    return Extracted()


# --- plain text --------------------------------------------------------------------------------


def _text(handle: IO[bytes], limits: Limits) -> Extracted:
    builder = _Builder(limits)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    number, pending = 0, ""
    while chunk := handle.read(_CHUNK):
        lines = (pending + decoder.decode(chunk)).split("\n")
        pending = lines.pop()
        for line in lines:
            number += 1
            builder.add(f"line {number}", line, keep_empty=True)
    pending += decoder.decode(b"", final=True)
    builder.add(f"line {number + 1}", pending, keep_empty=True)
    return builder.done()


# --- Word documents ----------------------------------------------------------------------------

# The parts of a Word document that hold text people typed, and what to call them.
_DOCX_PARTS = (
    (re.compile(r"word/document\.xml"), "the document"),
    (re.compile(r"word/header\d*\.xml"), "a header"),
    (re.compile(r"word/footer\d*\.xml"), "a footer"),
    (re.compile(r"word/footnotes\.xml"), "the footnotes"),
    (re.compile(r"word/endnotes\.xml"), "the endnotes"),
    (re.compile(r"word/comments\.xml"), "the comments"),
)
# Declarations that can define or fetch entities: never let one reach the parser. (The parser
# refuses them too; this also catches them in a part that is not well-formed.)
_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
_TAIL = max(len(d) for d in _DECLARATIONS) - 1

_UNREADABLE = "The Word document could not be read. Save it again from Word and upload it again."


def _docx(handle: IO[bytes], limits: Limits) -> Extracted:
    try:
        with zipfile.ZipFile(handle) as archive:
            parts = _docx_parts(archive, limits)
            builder = _Builder(limits)
            reader = _DocxReader(builder, limits)
            for info, label in parts:
                reader.read(archive, info, label)
            return builder.done()
    except Refused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise Refused("unreadable", _UNREADABLE) from exc
    except (RuntimeError, NotImplementedError) as exc:  # encrypted or an unknown compression method
        raise Refused("unreadable", _UNREADABLE) from exc


def _docx_parts(archive: zipfile.ZipFile, limits: Limits) -> list[tuple[zipfile.ZipInfo, str]]:
    """The parts to read, in order, after checking the directory's declared sizes."""
    entries = archive.infolist()
    if len(entries) > limits.max_entries:
        raise Refused("too_many_entries", f"The file has more than {limits.max_entries:,} parts inside it.")
    if sum(e.file_size for e in entries) > limits.max_archive_bytes:
        raise Refused(
            "too_large_uncompressed",
            f"The file would be larger than {filesizeformat(limits.max_archive_bytes)} once unpacked.",
        )
    chosen: list[tuple[zipfile.ZipInfo, str]] = []
    for pattern, label in _DOCX_PARTS:
        chosen.extend((e, label) for e in entries if pattern.fullmatch(e.filename))
    if sum(e.file_size for e, _label in chosen) > limits.max_xml_bytes:
        raise Refused(
            "too_large_uncompressed",
            f"The document's text would be larger than {filesizeformat(limits.max_xml_bytes)} once "
            "unpacked, too much to check for patient data.",
        )
    for entry, _label in chosen:
        if entry.file_size > limits.max_ratio * max(entry.compress_size, 1) and entry.file_size > _CHUNK:
            raise Refused(
                "compression_ratio",
                f"The file is compressed more than {limits.max_ratio} to 1, which ordinary documents never "
                "are; it was refused as a possible zip bomb.",
            )
    return chosen


class _DocxReader:
    """Streams WordprocessingML through expat, collecting the text of each paragraph."""

    def __init__(self, builder: _Builder, limits: Limits) -> None:
        self.builder = builder
        self.limits = limits
        self.elements = 0
        self.paragraphs = 0  # of the main document, numbered as Word shows them
        self.label = ""
        self.depth = 0  # paragraphs inside paragraphs (text boxes) are read as part of the outer one
        self.texts: list[str] = []
        self.in_text = False

    def read(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> None:
        self.label = label
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.ordered_attributes = True  # a list is cheaper than a dict, and attributes are not read
        parser.StartDoctypeDeclHandler = self._declaration
        parser.EntityDeclHandler = self._declaration
        parser.ExternalEntityRefHandler = self._declaration
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._data
        produced, tail = 0, b""
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                produced += len(chunk)
                if produced > info.file_size or produced > self.limits.max_xml_bytes:
                    raise Refused("too_large_uncompressed", "The file unpacks to more than it declares.")
                window = tail + chunk
                if any(d in window for d in _DECLARATIONS):
                    self._declaration()
                tail = window[-_TAIL:]
                self._feed(parser, chunk, final=False)
        self._feed(parser, b"", final=True)

    def _feed(self, parser: Any, data: bytes, *, final: bool) -> None:
        try:
            parser.Parse(data, final)
        except expat.ExpatError as exc:
            raise Refused("unreadable", _UNREADABLE) from exc

    def _declaration(self, *_args: object) -> Any:
        raise Refused(
            "xml_declarations",
            "The file contains XML declarations (a DTD or entities) that Word documents do not need; "
            "it was refused because they can be used to attack the server.",
        )

    def _start(self, name: str, _attributes: Any) -> None:
        self.elements += 1
        if self.elements > self.limits.max_elements:
            raise Refused(
                "too_many_elements",
                f"The document has more than {self.limits.max_elements:,} paragraphs and other parts, "
                "too many to check for patient data.",
            )
        if not name.startswith(_W_PREFIX):
            return
        local = name[_W_PREFIX_LENGTH:]
        if local == "p":
            self.depth += 1
        elif local == "t":
            self.in_text = True
        elif local == "tab":
            self.texts.append("\t")
        elif local in {"br", "cr"}:
            self.texts.append("\n")

    def _end(self, name: str) -> None:
        if not name.startswith(_W_PREFIX):
            return
        local = name[_W_PREFIX_LENGTH:]
        if local == "t":
            self.in_text = False
        elif local == "p":
            self.depth -= 1
            if self.depth == 0:
                self._paragraph()

    def _data(self, text: str) -> None:
        if self.in_text:
            self.texts.append(text)

    def _paragraph(self) -> None:
        text, self.texts = "".join(self.texts), []
        if self.label == "the document":
            self.paragraphs += 1
            self.builder.add(f"paragraph {self.paragraphs}", text)
        else:
            self.builder.add(self.label, text)


# --- PDF ---------------------------------------------------------------------------------------

_PDF_UNREADABLE = "The PDF could not be read. Save or export it again and upload it again."
# What a damaged or hostile PDF can make pypdf raise while it is read.
_PDF_ERRORS: tuple[type[Exception], ...] = (
    PyPdfError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    OSError,
    zlib.error,
    RecursionError,
)


def _pdf(handle: IO[bytes], limits: Limits) -> Extracted:
    size = limits.max_stream_bytes
    overrides: dict[str, Any] = {
        "maximum_declared_stream_length": size,
        "array_based_stream_maximum_output_length": size,
        "zlib_maximum_output_length": size,
        "lzw_maximum_output_length": size,
        "run_length_maximum_output_length": size,
        "brotli_maximum_output_length": size,
        "jbig2_maximum_output_length": size,
        "image_maximum_buffer_size": size,
        "stream_decoding_work_maximum_length": 4 * size,
        "xfa_decoding_work_maximum_length": 4 * size,
        "page_tree_maximum_entries": limits.max_pages * 2,
    }
    builder = _Builder(limits)
    try:
        with apply_configuration(**overrides):
            reader = PdfReader(handle)
            if reader.is_encrypted and not reader.decrypt(""):
                raise Refused(
                    "encrypted",
                    "The PDF is protected by a password, so it cannot be checked for patient data. "
                    "Remove the password and upload it again.",
                )
            pages = len(reader.pages)
            if pages > limits.max_pages:
                raise Refused(
                    "too_many_pages",
                    f"The PDF has {pages:,} pages; files of more than {limits.max_pages:,} pages cannot be "
                    "checked for patient data.",
                )
            for number, text in _pdf_pages(reader):
                builder.add(f"page {number}", text)
    except Refused:
        raise
    except LimitReachedError as exc:
        raise Refused(
            "pdf_limits",
            "Part of the PDF unpacks to more than the limit for checking it for patient data; it was "
            "refused as a possible decompression bomb.",
        ) from exc
    except FileNotDecryptedError as exc:
        raise Refused("encrypted", "The PDF is protected by a password, so it cannot be checked.") from exc
    except _PDF_ERRORS as exc:
        raise Refused("unreadable", _PDF_UNREADABLE) from exc
    return builder.done()


def _pdf_pages(reader: Any) -> Iterator[tuple[int, str]]:
    for number, page in enumerate(reader.pages, start=1):
        # Decode the page's content streams first: pypdf's text extraction skips a stream it
        # cannot decode, and a stream refused by the limits must refuse the file, not pass it.
        contents = page.get_contents()
        if contents is not None:
            contents.get_data()
        yield number, page.extract_text() or ""
