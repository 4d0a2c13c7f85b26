"""The API's error format: {"error": {"code", "message", "details"}} with a stable code."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, cast

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from coproduce.discussions.services import DiscussionClosed
from coproduce.governance.policy import NeedsConfirmation
from coproduce.governance.safety import UnsafeContent, describe
from coproduce.lib.errors import Conflict
from coproduce.lib.ratelimit import RateLimited

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """Raise from an API view to answer with a given status and stable code."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    *,
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return api.create_response(request, body, status=status)


def _field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "data")]
    return ".".join(parts) or "body"


def install_error_handlers(api: NinjaAPI) -> None:
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return error_response(
            api, request, status=exc.status, code=exc.code, message=exc.message, details=exc.details
        )

    def invalid_input(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [
            {"field": _field_name(e.get("loc", ())), "message": str(e.get("msg", "Invalid value."))}
            for e in exc.errors
        ]
        if any(e.get("type") == "json_invalid" for e in exc.errors):
            message = "The request body is not valid JSON."
            code = "malformed_json"
        else:
            message = "Some of the input is not valid: " + "; ".join(
                f"{e['field']}: {e['message']}" for e in errors
            )
            code = "invalid_input"
        return error_response(
            api, request, status=400, code=code, message=message, details={"errors": errors}
        )

    def django_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            fields = {
                name: [str(m) for e in errs for m in e.messages] for name, errs in exc.error_dict.items()
            }
        else:
            fields = {"__all__": [str(m) for m in exc.messages]}
        message = " ".join(m for msgs in fields.values() for m in msgs)
        return error_response(
            api, request, status=400, code="invalid_input", message=message, details={"fields": fields}
        )

    def discussion_closed(request: HttpRequest, exc: DiscussionClosed) -> HttpResponse:
        return error_response(
            api,
            request,
            status=409,
            code="discussion_closed",
            message=" ".join(exc.messages),
            details={"outcome": exc.thread.conclusion},
        )

    def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        """409 with the conflict's own stable `code` (e.g. `discussion_already_closed`), else `conflict`."""
        code = getattr(exc, "code", None)
        return error_response(
            api,
            request,
            status=409,
            code=code if isinstance(code, str) and code else "conflict",
            message=" ".join(exc.messages),
        )

    def unsafe(request: HttpRequest, exc: UnsafeContent) -> HttpResponse:
        findings = [
            {"field": name, "kind": f.kind, "start": f.start, "end": f.end}
            for name, found in exc.findings.items()
            for f in found
        ]
        message = "This looks like patient-identifiable data, which must not be posted here: " + "; ".join(
            f"{name}: {describe(found)}" for name, found in exc.findings.items()
        )
        return error_response(
            api, request, status=422, code="unsafe_content", message=message, details={"findings": findings}
        )

    def needs_confirmation(request: HttpRequest, exc: NeedsConfirmation) -> HttpResponse:
        """422 `confirmation_required`: the space's guard policy warns; send again with confirm: true."""
        findings = [
            {"field": name, "kind": f.kind, "start": f.start, "end": f.end}
            for name, found in exc.findings.items()
            for f in found
        ]
        message = (
            "This may identify a person: "
            + "; ".join(f"{name}: {describe(found)}" for name, found in exc.findings.items())
            + '. If it does not, send the same request again with "confirm": true.'
        )
        kinds = sorted({f.kind for found in exc.findings.values() for f in found})
        details = {"findings": findings, "kinds": kinds}
        return error_response(
            api, request, status=422, code="confirmation_required", message=message, details=details
        )

    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, status=404, code="not_found", message=str(exc) or "Not found.")

    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        message = str(exc) or "You do not have permission to do that."
        code = getattr(exc, "code", None)  # e.g. "conduct_not_accepted" (communities.conduct)
        code = code if isinstance(code, str) and code else "forbidden"
        return error_response(api, request, status=403, code=code, message=message)

    def unauthorised(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            api,
            request,
            status=401,
            code="unauthorized",
            message="Authentication failed: send a valid token as 'Authorization: Bearer <token>'.",
        )

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            # Ninja's own wording when the JSON parser fails.
            return error_response(
                api, request, status=400, code="malformed_json", message="The request body is not valid JSON."
            )
        return error_response(api, request, status=exc.status_code, code="bad_request", message=str(exc))

    def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
        response = error_response(
            api,
            request,
            status=429,
            code="rate_limited",
            message=str(exc),
            details={"retry_after": exc.retry_after},
        )
        response["Retry-After"] = str(exc.retry_after)
        return response

    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        if isinstance(exc, RequestDataTooBig):
            return error_response(
                api, request, status=413, code="too_large", message="The request is too large."
            )
        return error_response(
            api, request, status=400, code="bad_request", message="The request was refused."
        )

    def out_of_range(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        # A number from the request too large for the database or the calendar (an id of 30 digits:
        # SQLite cannot bind it); the caller's mistake, so a 400, never a 500.
        logger.warning("number out of range in API call %s %s: %s", request.method, request.path, exc)
        return error_response(
            api,
            request,
            status=400,
            code="invalid_input",
            message="A number in the request is out of range.",
            details={"errors": [{"field": "body", "message": "A number is too large."}]},
        )

    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unexpected error in API call %s %s", request.method, request.path)
        return error_response(
            api, request, status=500, code="server_error", message="Sorry, something went wrong on our side."
        )

    # Ninja's stubs type the handler's argument as "instance or class"; ours take instances.
    on = cast(
        Callable[[type[Exception], Callable[[HttpRequest, Any], HttpResponse]], None],
        api.add_exception_handler,
    )
    on(ApiError, api_error)
    on(NinjaValidationError, invalid_input)
    on(DiscussionClosed, discussion_closed)  # a Conflict: found first, by the exception's MRO
    on(Conflict, conflict)
    on(DjangoValidationError, django_invalid)
    on(UnsafeContent, unsafe)
    on(NeedsConfirmation, needs_confirmation)  # an UnsafeContent: found first, by the exception's MRO
    on(Http404, not_found)
    on(PermissionDenied, forbidden)
    on(AuthenticationError, unauthorised)
    on(HttpError, http_error)
    on(RateLimited, rate_limited)
    on(SuspiciousOperation, suspicious)
    on(OverflowError, out_of_range)
    on(Exception, unexpected)
