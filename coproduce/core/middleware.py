from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse

from coproduce.accounts.access import SecondFactorRequired, needs_second_factor
from coproduce.accounts.models import User
from coproduce.lib import ratelimit


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


class RateLimitMiddleware:
    """Counts rate limits per client address too, and answers every refusal with 429 and Retry-After.

    Views that catch `RateLimited` re-render their form (keeping what was typed) with status 429;
    this adds the Retry-After header they leave out. A `RateLimited` no view caught becomes a 429
    page that shows the text the person sent, so that nothing they typed is lost.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with ratelimit.request_scope(ratelimit.client_address(request)):
            response = self.get_response(request)
            refusal = ratelimit.last_refusal()
        if response.status_code == 429 and refusal is not None and not response.has_header("Retry-After"):
            response["Retry-After"] = str(refusal.retry_after)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ratelimit.RateLimited):
            return None
        return too_many_requests(request, exception)


def too_many_requests(
    request: HttpRequest, refusal: ratelimit.RateLimited, message: str = ""
) -> HttpResponse:
    """429 with Retry-After: JSON for the API, else a page that gives back the text that was sent."""
    message = message or str(refusal)
    if request.path.startswith("/api/"):
        body = {
            "error": {
                "code": "rate_limited",
                "message": message,
                "details": {"retry_after": refusal.retry_after},
            }
        }
        response: HttpResponse = JsonResponse(body, status=429)
    else:
        posted = request.POST if request.method == "POST" else {}
        kept = [
            (name, str(value))
            for name, value in posted.items()
            if name != "csrfmiddlewaretoken" and "password" not in name and str(value).strip()
        ]
        context = {"message": message, "retry_after": refusal.retry_after, "kept": kept}
        response = HttpResponse(
            render_to_string("accounts/too_many_requests.html", context, request=request), status=429
        )
    response["Retry-After"] = str(refusal.retry_after)
    return response


class SignInGuardMiddleware:
    """Ends the session of an erased member, and sends a moderator or admin without a second factor
    to set one up (COPRODUCE_REQUIRE_MFA_FOR_STAFF).

    Deactivated and deleted members need nothing here: Django's AuthenticationMiddleware already
    treats their sessions as logged out on the next request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User):
            if user.erased_at is not None:
                logout(request)
            elif needs_second_factor(user) and not _may_pass_without_second_factor(request.path):
                return _second_factor_required(request)
        return self.get_response(request)


def _may_pass_without_second_factor(path: str) -> bool:
    open_paths = (
        reverse("mfa_index"),  # every set-up page of allauth.mfa lies below it
        reverse("account_reauthenticate"),  # set-up asks for the password again first
        reverse("account_logout"),
        reverse("accounts:second_factor_required"),
        settings.STATIC_URL,
    )
    return path.startswith(open_paths)


def _second_factor_required(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        error = SecondFactorRequired()
        body = {"error": {"code": error.code, "message": str(error), "details": {}}}
        return JsonResponse(body, status=403)
    return redirect("accounts:second_factor_required")
