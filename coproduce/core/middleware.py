from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string


class BodySizeLimitMiddleware:
    """Refuse request bodies above COPRODUCE_MAX_REQUEST_BYTES with 413 before anything reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit: int = settings.MAX_REQUEST_BYTES
        if request.content_type == "multipart/form-data":
            # File uploads may be as large as an attachment, plus room for the form's other fields.
            limit = max(limit, settings.ATTACHMENT_MAX_BYTES + 1024 * 1024)
        if length > limit:
            message = f"The request is too large: the limit is {limit // 1024} KB."
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"error": {"code": "too_large", "message": message, "details": {"limit": limit}}},
                    status=413,
                )
            html = render_to_string("413.html", {"message": message}, request=request)
            return HttpResponse(html, status=413)
        return self.get_response(request)
