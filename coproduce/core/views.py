from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from coproduce.communities.access import spaces_readable_by
from coproduce.core.pagecache import anonymous_cacheable
from coproduce.core.viewercache import viewer_cacheable


@anonymous_cacheable
@viewer_cacheable
def home(request: HttpRequest) -> HttpResponse:
    spaces = spaces_readable_by(request.user).order_by("name")
    return render(request, "core/home.html", {"spaces": spaces})


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and monitoring."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok", "database": "ok"})
    except Exception:  # noqa: BLE001  (any database failure means "not healthy")
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)


def _error(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": code, "message": message, "details": {}}}, status=status)
    return render(request, f"{status}.html", {"message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "bad_request", "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else "You do not have permission to do that."
    return _error(request, 403, "forbidden", message)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "not_found", "Page not found.")


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500, "server_error", "Sorry, something went wrong on our side.")
