"""`GET /api/v1/me/export`: the caller's own contributions as a zip (as the profile page's link)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from coproduce.api.auth import signed_in
from coproduce.governance import rights

router = Router(tags=["me"])


@router.get("/export", summary="Everything I contributed, as a zip of JSON and Markdown")
def get_my_export(request: HttpRequest) -> HttpResponse:
    member = signed_in(request)
    response = HttpResponse(rights.member_export(member=member, actor=member), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{rights.export_filename(member)}"'
    response["Cache-Control"] = "no-store"
    return response
