"""Page attachments in the browser: list and upload, download, remove."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from coproduce.communities import conduct
from coproduce.communities.conduct_views import conduct_url
from coproduce.governance.safety import UnsafeContent, describe
from coproduce.lib.ratelimit import RateLimited, hit
from coproduce.lib.views import apply_errors, signed_in
from coproduce.wiki import access
from coproduce.wiki.attachments import (
    UnsafeFile,
    attachment_add,
    attachment_remove,
    attachments_of,
    get_attachment_for_editor,
    get_attachment_for_user,
    is_held,
)
from coproduce.wiki.models import Attachment, Page

UPLOADS_PER_HOUR = 60
FILE_POLICY = "default-src 'none'; sandbox"


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="Choose a file",
        help_text=(
            "An image (PNG, JPEG, GIF or WebP), a PDF, a Word, Excel, PowerPoint or OpenDocument text "
            "file, or plain text, Markdown or CSV, up to {limit}. Do not upload anything that "
            "contains patient-identifiable information."
        ),
        error_messages={
            "required": "Select a file to upload.",
            "empty": "The selected file is empty.",
            "invalid": "The selected file could not be read. Try again.",
        },
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["file"]
        field.help_text = str(field.help_text).format(limit=filesizeformat(settings.ATTACHMENT_MAX_BYTES))


def _apply_unsafe(form: AttachmentForm, error: UnsafeContent) -> None:
    """Say where the patient-identifiable data is: in the file's name or in its text."""
    if isinstance(error, UnsafeFile):
        form.add_error(
            "file",
            f"{error}. Do not share patient-identifiable data here; remove it and upload the file "
            "again. Nothing was saved.",
        )
        return
    where = {"name": "The file's name contains", "file": "The file contains"}
    for field, findings in error.findings.items():
        form.add_error(
            "file",
            f"{where.get(field, 'The file contains')} {describe(findings)}. Do not share "
            "patient-identifiable data here; remove it and upload the file again. Nothing was saved.",
        )


def _upload(request: HttpRequest, page: Page, form: AttachmentForm) -> Attachment | None:
    """Run the service; show its refusal on the form and return None."""
    actor = signed_in(request)
    try:
        return attachment_add(page=page, actor=actor, upload=form.cleaned_data["file"])
    except UnsafeContent as exc:
        _apply_unsafe(form, exc)
    except ValidationError as exc:
        apply_errors(form, exc)
    return None


@require_http_methods(["GET", "HEAD", "POST"])
def attachments(request: HttpRequest, space_slug: str, page_slug: str) -> HttpResponse:
    """The page's attachments, and a form to upload one (for people who may edit the page)."""
    if request.method == "POST":
        page = access.get_page_for_editor(request.user, space_slug, page_slug)
        form = AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                hit(scope="wiki_attachment", key=str(request.user.pk), limit=UPLOADS_PER_HOUR, window=3600)
            except RateLimited as exc:
                return _rate_limited(request, exc)
            attachment = _upload(request, page, form)
            if attachment is not None and is_held(attachment):
                messages.success(
                    request,
                    f"{attachment.name} has been uploaded. It is being checked for patient-identifiable "
                    "data and will be available once the check has passed; if it finds any, the file "
                    "will be removed and you will get an e-mail.",
                )
                return redirect("wiki:attachments", space_slug=page.space.slug, page_slug=page.slug)
            if attachment is not None:
                messages.success(request, f"{attachment.name} has been attached to {page.title}.")
                return redirect("wiki:attachments", space_slug=page.space.slug, page_slug=page.slug)
    else:
        page = access.get_page_for_user(request.user, space_slug, page_slug)
        if page.slug != page_slug:
            return redirect("wiki:attachments", space_slug=page.space.slug, page_slug=page.slug)
        form = AttachmentForm()
    context = {
        "space": page.space,
        "page": page,
        "attachments": attachments_of(page),
        "can_edit": access.can_edit_space(request.user, page.space),
        "form": form,
        **_conduct_notice(request, page),
    }
    return render(request, "wiki/attachments.html", context)


def _conduct_notice(request: HttpRequest, page: Page) -> dict[str, object]:
    """What the upload form's place shows to someone who must accept the code of conduct first."""
    version = conduct.version_to_accept(request.user)
    if not version or not access.could_edit_space(request.user, page.space):
        return {}
    return {"conduct_version": version, "accept_url": conduct_url(request.get_full_path())}


def _rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    message = "You have uploaded a lot of files recently."
    response = render(request, "429.html", {"retry_after": exc.retry_after, "message": message}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@require_safe
def download(
    request: HttpRequest, space_slug: str, page_slug: str, attachment_id: int, name: str
) -> HttpResponseBase:
    attachment = get_attachment_for_user(request.user, space_slug, page_slug, attachment_id)
    if is_held(attachment):
        raise Http404("This file is still being checked for patient-identifiable data.")
    if attachment.name != name or attachment.page.slug != page_slug:
        return redirect(
            "wiki:attachment",
            space_slug=attachment.page.space.slug,
            page_slug=attachment.page.slug,
            attachment_id=attachment.pk,
            name=attachment.name,
        )
    return file_response(attachment)


def file_response(attachment: Attachment) -> FileResponse:
    """The stored file with its sniffed type; only images are shown inline, nothing may run."""
    try:
        handle = attachment.file.storage.open(attachment.file.name or "", "rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing.") from exc
    content_type = attachment.content_type
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition(attachment)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_POLICY
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def content_disposition(attachment: Attachment) -> str:
    """inline for images, attachment for everything else; the name in UTF-8 with an ASCII fallback."""
    disposition = "inline" if attachment.is_image else "attachment"
    stem, _dot, extension = attachment.name.rpartition(".")
    fallback = f"{_ascii(stem) or 'attachment'}.{_ascii(extension)}"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(attachment.name, safe='')}"


def _ascii(text: str) -> str:
    """An ASCII stand-in for older clients: accents dropped, quotes and other letters left out."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain if c.isprintable() and c not in '"\\;%').strip()


@require_POST
def remove(request: HttpRequest, space_slug: str, page_slug: str, attachment_id: int) -> HttpResponse:
    attachment = get_attachment_for_editor(request.user, space_slug, page_slug, attachment_id)
    page = attachment.page
    attachment_remove(attachment=attachment, actor=signed_in(request))
    messages.success(request, f"{attachment.name} has been removed.")
    return redirect("wiki:attachments", space_slug=page.space.slug, page_slug=page.slug)
