"""The API's error format: {"error": {"code", "message", "details"}} with a stable code."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from coproduce.governance.safety import Finding, UnsafeContent
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


def describe_findings(found: list[Finding]) -> str:
    return ", ".join(f"{f.kind.replace('_', ' ')} at characters {f.start}-{f.end}" for f in found)


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
        return error_response(api, request, status=400, code=code, message=message, details={"errors": errors})

    def django_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            fields = {name: [str(m) for e in errs for m in e.messages] for name, errs in exc.error_dict.items()}
        else:
            fields = {"__all__": [str(m) for m in exc.messages]}
        message = " ".join(m for msgs in fields.values() for m in msgs)
        return error_response(
            api, request, status=400, code="invalid_input", message=message, details={"fields": fields}
        )

    def unsafe(request: HttpRequest, exc: UnsafeContent) -> HttpResponse:
        findings = [
            {"field": name, "kind": f.kind, "start": f.start, "end": f.end}
            for name, found in exc.findings.items()
            for f in found
        ]
        message = "This looks like patient-identifiable data, which must not be posted here: " + "; ".join(
            f"{name}: {describe_findings(found)}" for name, found in exc.findings.items()
        )
        return error_response(
            api, request, status=422, code="unsafe_content", message=message, details={"findings": findings}
        )

    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, status=404, code="not_found", message=str(exc) or "Not found.")

    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        message = str(exc) or "You do not have permission to do that."
        return error_response(api, request, status=403, code="forbidden", message=message)

    def unauthorised(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            api,
            request,
            status=401,
            code="unauthorized",
            message="Authentication failed: send a valid token as 'Authorization: Bearer <token>'.",
        )

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return error_response(api, request, status=exc.status_code, code="http_error", message=str(exc))

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

    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unexpected error in API call %s %s", request.method, request.path)
        return error_response(
            api, request, status=500, code="server_error", message="Sorry, something went wrong on our side."
        )

    api.add_exception_handler(ApiError, api_error)
    api.add_exception_handler(NinjaValidationError, invalid_input)
    api.add_exception_handler(DjangoValidationError, django_invalid)
    api.add_exception_handler(UnsafeContent, unsafe)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(PermissionDenied, forbidden)
    api.add_exception_handler(AuthenticationError, unauthorised)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(RateLimited, rate_limited)
    api.add_exception_handler(Exception, unexpected)
