"""Files attached to wiki pages: what may be uploaded, under which name, and who may see it.

The type of a file is decided by its content alone (`sniff`), never by its name or the
browser's content type, against a short allow-list. The name a person sees is cleaned
(`clean_name`) and its extension made to match the sniffed type; on disk every file gets a
random name. Names, and the text inside plain-text, Markdown, CSV, Word (.docx) and PDF files
(`coproduce.wiki.extract`, which checks sizes, compression and element counts before parsing),
pass the patient-data guard with the space's policy; what it blocks refuses the upload, naming
where in the file it was ("paragraph 12", "page 3").

Files larger than settings.SCAN_INLINE_BYTES are scanned after the upload by a background task
(`tasks.scan_attachment`). Until the scan passes the attachment is *held*: its stored file lives
in a "held" folder (`is_held`), it is listed as being checked and it is not served to anyone. A
scan that passes moves the file to its place; one that finds what the space blocks, or a file
that cannot be checked, removes the attachment, records `attachment.quarantine` in the audit log
(the kinds and places found, never the text) and e-mails the uploader.
"""

from __future__ import annotations

import codecs
import hashlib
import posixpath
import re
import secrets
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from coproduce.accounts.models import User
from coproduce.governance import audit
from coproduce.governance.policy import space_policy
from coproduce.governance.safety import KIND_LABELS, Finding, UnsafeContent, check_submission, describe, scan
from coproduce.search import index
from coproduce.wiki import access, extract
from coproduce.wiki.models import Attachment, Page

# --- Kinds of file -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """An allowed kind of file: its content type and the extensions that name it (first: canonical)."""

    content_type: str
    extensions: tuple[str, ...]

    @property
    def extension(self) -> str:
        return self.extensions[0]

    @property
    def is_text(self) -> bool:
        return self.content_type.startswith("text/")


PNG = Kind("image/png", ("png",))
JPEG = Kind("image/jpeg", ("jpg", "jpeg"))
GIF = Kind("image/gif", ("gif",))
WEBP = Kind("image/webp", ("webp",))
PDF = Kind("application/pdf", ("pdf",))
DOCX = Kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",))
XLSX = Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",))
PPTX = Kind("application/vnd.openxmlformats-officedocument.presentationml.presentation", ("pptx",))
ODT = Kind("application/vnd.oasis.opendocument.text", ("odt",))
TEXT = Kind("text/plain", ("txt", "text"))
MARKDOWN = Kind("text/markdown", ("md", "markdown"))
CSV = Kind("text/csv", ("csv",))

# Magic bytes at the start of the file. ZIP-based formats and text are decided further below.
_MAGIC: tuple[tuple[bytes, Kind], ...] = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"%PDF-", PDF),
)
_ZIP_MAGIC = b"PK\x03\x04"
# Office Open XML: a package with [Content_Types].xml whose parts live under one of these folders.
_OOXML = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))
_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"

SNIFF_BYTES = 64 * 1024  # how much of a file decides whether it is text
# Text is scanned in full by the patient-data guard (about 0.6 s per MB), so it has its own limit.
MAX_TEXT_BYTES = 5 * 1024 * 1024
MAX_ZIP_ENTRIES = 2000  # a large PowerPoint file has a few hundred
MAX_ZIP_DIRECTORY_BYTES = 1024 * 1024
MAX_ZIP_UNCOMPRESSED_BYTES = 200 * 1024 * 1024  # declared total; nothing is ever decompressed here

# Text that a browser would take for markup (HTML, SVG, XML) is never accepted, whatever its name.
_MARKUP_START = re.compile(r"\s*<[!?a-zA-Z]")
_MARKUP = re.compile(
    r"<\s*(?:!doctype|!--|\?xml|html|head|body|script|svg|iframe|frame|object|embed|meta|style|xsl|math)\b",
    re.IGNORECASE,
)
_MARKUP_WINDOW = 1024  # characters at the start of a text file that are searched for markup

NOT_ALLOWED = (
    "This kind of file is not allowed. Upload an image (PNG, JPEG, GIF or WebP), a PDF, "
    "a Word, Excel, PowerPoint or OpenDocument text file, or plain text, Markdown or CSV."
)


def sniff(upload: IO[bytes], size: int, name: str = "") -> Kind | None:
    """The allowed kind of the file's content, or None. `name` only picks among text kinds."""
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(_ZIP_MAGIC):
        return _sniff_zip(upload, size)
    if _is_text(head, complete=size <= len(head)):
        extension = name.rpartition(".")[2].lower() if "." in name else ""
        return next((k for k in (TEXT, MARKDOWN, CSV) if extension in k.extensions), TEXT)
    return None


def _is_text(head: bytes, *, complete: bool) -> bool:
    """UTF-8 without NUL bytes, and not markup."""
    if not head or b"\x00" in head:
        return False
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError:
        return False
    start = text.removeprefix("\ufeff")[:_MARKUP_WINDOW]
    return not _MARKUP_START.match(start) and not _MARKUP.search(start)


# The zip "end of central directory" record: signature, this disk, directory's disk, entries on
# this disk, entries in all, directory size, directory offset, comment length.
_END_RECORD = struct.Struct("<4s4H2LH")
_END_SIGNATURE = b"PK\x05\x06"
# What a damaged or hostile archive can raise while its directory and one tiny entry are read.
_ZIP_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    struct.error,
    EOFError,
    OSError,
    RuntimeError,
    ValueError,
    NotImplementedError,
    KeyError,
)


def _sniff_zip(upload: IO[bytes], size: int) -> Kind | None:
    """DOCX, XLSX, PPTX or ODT, judged by the zip's directory; refuses bombs before opening it."""
    if not _zip_directory_is_small(upload, size):
        return None
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                return None
            if sum(entry.file_size for entry in entries) > MAX_ZIP_UNCOMPRESSED_BYTES:
                return None
            return _zip_kind(archive, {entry.filename for entry in entries})
    except _ZIP_ERRORS:
        return None


def _zip_directory_is_small(upload: IO[bytes], size: int) -> bool:
    """Read only the end record: few entries, a small directory, one disk, no ZIP64."""
    tail_length = min(size, _END_RECORD.size + 0xFFFF)
    upload.seek(size - tail_length)
    tail = upload.read(tail_length)
    at = tail.rfind(_END_SIGNATURE)
    if at < 0 or len(tail) - at < _END_RECORD.size:
        return False
    _sig, disk, directory_disk, on_disk, total, directory_size, offset, _comment = _END_RECORD.unpack_from(
        tail, at
    )
    if disk or directory_disk or on_disk != total or 0xFFFF in (on_disk, total) or offset == 0xFFFFFFFF:
        return False  # split archives and ZIP64 are not needed for documents of this size
    return bool(0 < total <= MAX_ZIP_ENTRIES and directory_size <= MAX_ZIP_DIRECTORY_BYTES)


def _zip_kind(archive: zipfile.ZipFile, names: set[str]) -> Kind | None:
    if "[Content_Types].xml" in names:
        for folder, kind in _OOXML:
            if any(name.startswith(folder) for name in names):
                return kind
        return None
    if "mimetype" in names:
        info = archive.getinfo("mimetype")
        if info.file_size > len(_ODT_MIMETYPE) + 2:
            return None
        with archive.open(info) as entry:
            return ODT if entry.read(len(_ODT_MIMETYPE) + 2).strip() == _ODT_MIMETYPE else None
    return None


# --- Names -------------------------------------------------------------------------------------

MAX_NAME_CHARS = 200
_RESERVED = frozenset('<>:"|?*')  # not allowed in Windows file names; "/" and "\\" split paths
_DOTS = re.compile(r"\.{2,}")
_EXTENSION = re.compile(r"[A-Za-z0-9]{1,10}")


def clean_name(raw: str, kind: Kind) -> str:
    """A safe name to show and offer on download, with an extension that matches `kind`.

    Only the last path segment is kept (either slash); control, format (zero-width,
    bidirectional) and unassigned characters are removed; runs of dots and surrounding dots or
    spaces go; the result is NFC and at most MAX_NAME_CHARS long.
    """
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(_keep(char) for char in name)
    name = _DOTS.sub(".", " ".join(name.split())).strip(". ")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, kind.extension
    elif extension.lower() in kind.extensions:
        extension = extension.lower()
    elif not _EXTENSION.fullmatch(extension):
        stem, extension = name, kind.extension  # "minutes.final version": keep it all
    else:
        extension = kind.extension  # a lying extension is replaced
    return fit_name(stem, extension)


def _keep(char: str) -> str:
    category = unicodedata.category(char)
    if category[0] == "C":  # Cc control, Cf format (zero-width, bidi), Cs, Co, Cn
        return ""
    return "_" if char in _RESERVED else char


def fit_name(stem: str, extension: str) -> str:
    """stem.extension, shortening the stem so the whole name has at most MAX_NAME_CHARS."""
    room = MAX_NAME_CHARS - len(extension) - 1
    stem = stem[:room].rstrip(". ") or "attachment"
    return unicodedata.normalize("NFC", f"{stem}.{extension}")


def _unique_name(page: Page, name: str) -> str:
    """The name, or "name (2).ext", "name (3).ext", ... if the page already has it (any case)."""
    stem, _dot, extension = name.rpartition(".")
    taken = {n.casefold() for n in page.attachments.values_list("name", flat=True)}
    candidate, number = name, 2
    while candidate.casefold() in taken:
        candidate = fit_name(f"{stem[: MAX_NAME_CHARS - len(extension) - 12]} ({number})", extension)
        number += 1
    return candidate


# --- Access ------------------------------------------------------------------------------------


def get_attachment_for_user(viewer: Any, space_slug: str, page_slug: str, attachment_id: int) -> Attachment:
    """The attachment if the viewer may read its page; 404 otherwise (also for another page's)."""
    page = access.get_page_for_user(viewer, space_slug, page_slug)
    return _attachment_of(page, attachment_id)


def get_attachment_for_editor(viewer: Any, space_slug: str, page_slug: str, attachment_id: int) -> Attachment:
    """As get_attachment_for_user, then 403 if the viewer may not edit the page's space."""
    page = access.get_page_for_editor(viewer, space_slug, page_slug)
    return _attachment_of(page, attachment_id)


def _attachment_of(page: Page, attachment_id: int) -> Attachment:
    attachment = page.attachments.select_related("page__space").filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such attachment.")
    return attachment


def attachments_of(page: Page) -> QuerySet[Attachment]:
    """The page's attachments by name, each with `held` (True while its scan is under way)."""
    held = ExpressionWrapper(Q(file__contains=f"/{HELD_FOLDER}/"), output_field=BooleanField())
    return page.attachments.select_related("uploaded_by").annotate(held=held).order_by("name")


def is_held(attachment: Attachment) -> bool:
    """Uploaded but not yet scanned for patient data: listed, but not served to anyone."""
    return posixpath.basename(posixpath.dirname(attachment.file.name or "")) == HELD_FOLDER


# --- Services ----------------------------------------------------------------------------------


HELD_FOLDER = "held"


@dataclass
class UnsafeFile(UnsafeContent):
    """Patient-identifiable data inside an uploaded file; `places` say what and where, for a person:
    "an NHS number in paragraph 12"."""

    places: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "The file contains " + _sentence(self.places)


def _sentence(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def attachment_add(*, page: Page, actor: User, upload: UploadedFile[bytes]) -> Attachment:
    """Attach an uploaded file to a page.

    Raises PermissionDenied (no edit right, or ConductNotAccepted), ValidationError({"file":
    [...]}) for a file that is too large, empty, not an allowed kind or that cannot be checked
    safely (`extract.Refused`: a zip bomb, XML declarations, too many elements or pages), and
    UnsafeContent for what the space's guard policy blocks in the name (field "name") or
    UnsafeFile in the text inside (field "file", with `places`). A file larger than
    settings.SCAN_INLINE_BYTES whose text can be checked is saved held and scanned after commit.
    """
    _require_editor(actor, page)
    size = _checked_size(upload)
    kind = sniff(upload, size, upload.name or "")
    if kind is None:
        raise ValidationError({"file": [NOT_ALLOWED]})
    if kind.is_text and size > MAX_TEXT_BYTES:
        limit = filesizeformat(MAX_TEXT_BYTES)
        raise ValidationError({"file": [f"A text, Markdown or CSV file must be smaller than {limit}."]})
    name = clean_name(upload.name or "", kind)
    policy = space_policy(page.space)
    check_submission({"name": name}, policy=policy)
    scanned = kind.content_type in extract.EXTRACTED_TYPES
    held = scanned and size > settings.SCAN_INLINE_BYTES
    if scanned and not held:
        refusal = file_refusal(upload, kind.content_type, policy)
        if refusal is not None:
            raise refusal
    digest = _sha256(upload)
    with transaction.atomic():
        locked = Page.objects.select_for_update().select_related("space").get(pk=page.pk)
        attachment = Attachment(
            page=locked,
            name=_unique_name(locked, name),
            content_type=kind.content_type,
            size=size,
            sha256=digest,
            uploaded_by=actor,
        )
        upload.seek(0)
        stored = f"{secrets.token_hex(16)}.{kind.extension}"
        attachment.file.save(f"{HELD_FOLDER}/{stored}" if held else stored, upload, save=False)
        try:
            attachment.save()
            audit.record(
                actor=actor,
                action="attachment.add",
                target=attachment,
                space=locked.space,
                after={**_snapshot(attachment), "held": True} if held else _snapshot(attachment),
            )
        except BaseException:
            attachment.file.storage.delete(attachment.file.name or "")
            raise
        transaction.on_commit(lambda: index.index_page(locked.pk))
        if held:
            from coproduce.wiki.tasks import scan_attachment  # the task module imports this one

            attachment_id = attachment.pk
            transaction.on_commit(lambda: scan_attachment.enqueue(attachment_id))
    return attachment


def file_refusal(handle: IO[bytes], content_type: str, policy: Any) -> Exception | None:
    """Why the text inside the file may not be stored (ValidationError or UnsafeFile), or None."""
    try:
        found = extract.extract(handle, content_type)
    except extract.Refused as exc:
        return ValidationError({"file": [exc.message]}, code=exc.code)
    blocking = [f for f in scan(found.text) if policy.get(f.kind, "allow") == "block"] if found.text else []
    if not blocking:
        return None
    text_file = content_type in extract.TEXT_TYPES
    return UnsafeFile(findings={"file": blocking}, places=_places(found, blocking, text_file=text_file))


def _places(
    found: extract.Extracted, findings: list[Finding], *, text_file: bool, limit: int = 5
) -> list[str]:
    """ "an NHS number in paragraph 12" ("... at characters 7 to 18 (line 1)" in a text file), at
    most `limit` of them, then "N more"."""
    places: list[str] = []
    for finding in findings[:limit]:
        if text_file:
            places.append(f"{describe([finding])} ({found.where(finding.start)})")
            continue
        label = KIND_LABELS.get(finding.kind, finding.kind)
        article = "an" if label[:1].lower() in "aeiou" or label.startswith(("NHS", "MRN")) else "a"
        places.append(f"{article} {label} in {found.where(finding.start)}")
    if len(findings) > limit:
        places.append(f"{len(findings) - limit} more")
    return places


def attachment_scan(*, attachment_id: int) -> str:
    """Scan a held attachment's text: "passed" (now served), "removed" (quarantined), or "gone".

    Run by the background task; the service names no actor (the audit entries have none).
    """
    attachment = (
        Attachment.objects.select_related("page__space", "uploaded_by").filter(pk=attachment_id).first()
    )
    if attachment is None or not is_held(attachment):
        return "gone"
    storage, held_name = attachment.file.storage, attachment.file.name or ""
    try:
        with storage.open(held_name, "rb") as handle:
            refusal = file_refusal(handle, attachment.content_type, space_policy(attachment.page.space))
    except FileNotFoundError:
        refusal = ValidationError({"file": ["The uploaded file is missing."]}, code="missing")
    if refusal is None:
        _release(attachment)
        return "passed"
    _quarantine(attachment, refusal)
    return "removed"


def _release(attachment: Attachment) -> None:
    storage, held_name = attachment.file.storage, attachment.file.name or ""
    folder = posixpath.dirname(posixpath.dirname(held_name))
    with storage.open(held_name, "rb") as handle:
        final_name = storage.save(posixpath.join(folder, posixpath.basename(held_name)), handle)
    try:
        with transaction.atomic():
            rows = Attachment.objects.select_for_update().select_related("page__space")
            locked = rows.filter(pk=attachment.pk).first()
            if locked is None:  # removed while it was being scanned
                storage.delete(final_name)
                return
            locked.file.name = final_name
            locked.save(update_fields=["file"])
            audit.record(
                actor=None,
                action="attachment.scan_passed",
                target=locked,
                space=locked.page.space,
                after=_snapshot(locked),
            )
            transaction.on_commit(lambda: storage.delete(held_name))
    except BaseException:
        storage.delete(final_name)
        raise


def _quarantine(attachment: Attachment, refusal: Exception) -> None:
    """Remove the attachment and its file; record what kind of problem and where, tell the uploader."""
    page, uploader = attachment.page, attachment.uploaded_by
    storage, stored_name = attachment.file.storage, attachment.file.name
    if isinstance(refusal, UnsafeFile):
        kinds = sorted({f.kind for found in refusal.findings.values() for f in found})
        reason, places = "patient_data", refusal.places
        explanation = f"It contains {_sentence(refusal.places)}, which may not be shared in this space."
    else:
        assert isinstance(refusal, ValidationError)
        kinds, places = [], []
        reason = str(getattr(refusal.error_dict["file"][0], "code", "") or "unreadable")
        explanation = " ".join(refusal.messages)
    with transaction.atomic():
        audit.record(
            actor=None,
            action="attachment.quarantine",
            target=attachment,
            space=page.space,
            before=_snapshot(attachment),
            after={"reason": reason, "kinds": kinds, "places": places, "uploader": attachment.uploaded_by_id},
        )
        attachment.delete()
        transaction.on_commit(lambda: storage.delete(stored_name) if stored_name else None)
        transaction.on_commit(lambda: index.index_page(page.pk))
        if uploader is not None and uploader.email:
            to, name = uploader.email, attachment.name
            transaction.on_commit(
                lambda: _tell_uploader(to=to, name=name, page=page, explanation=explanation)
            )


def _tell_uploader(*, to: str, name: str, page: Page, explanation: str) -> None:
    url = settings.SITE_URL + reverse("wiki:attachments", args=[page.space.slug, page.slug])
    body = (
        f"The file {name} that you attached to the page {page.title} has been removed after checking.\n\n"
        f"{explanation}\n\nNothing from it was kept. If you need to share it, remove what it says "
        f"above and upload it again:\n{url}\n"
    )
    EmailMessage(
        subject=f"[{settings.SITE_NAME}] {name} was not attached",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    ).send()


def attachment_remove(*, attachment: Attachment, actor: User) -> None:
    """Remove an attachment; its file is deleted from storage once the removal is committed."""
    page = attachment.page
    _require_editor(actor, page)
    storage, stored_name = attachment.file.storage, attachment.file.name
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="attachment.remove",
            target=attachment,
            space=page.space,
            before=_snapshot(attachment),
        )
        attachment.delete()
        transaction.on_commit(lambda: storage.delete(stored_name) if stored_name else None)
        transaction.on_commit(lambda: index.index_page(page.pk))


def _require_editor(actor: User, page: Page) -> None:
    if not access.can_edit_space(actor, page.space):
        raise PermissionDenied("Only people who can edit this space's wiki can change its attachments.")


def _checked_size(upload: UploadedFile[bytes]) -> int:
    """The upload's size, refused when empty or above ATTACHMENT_MAX_BYTES (before reading it)."""
    limit: int = settings.ATTACHMENT_MAX_BYTES
    size = upload.size or 0
    if size > limit:
        raise ValidationError({"file": [f"The selected file must be smaller than {filesizeformat(limit)}."]})
    if size == 0:
        raise ValidationError({"file": ["The selected file is empty."]})
    return size


def _sha256(upload: UploadedFile[bytes]) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def _snapshot(attachment: Attachment) -> dict[str, Any]:
    return {
        "page": attachment.page_id,
        "name": attachment.name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
    }
