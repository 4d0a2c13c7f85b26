"""The JSON API under /api/v1: thin adapters from schemas to the same services the HTML uses."""

from __future__ import annotations

from ninja import NinjaAPI

from coproduce.api import (
    applications,
    comments,
    flags,
    me,
    notifications,
    pages,
    papers,
    rights,
    safety,
    search,
    spaces,
)
from coproduce.api.auth import Caller
from coproduce.api.errors import install_error_handlers

api = NinjaAPI(
    title="Coproduce API",
    version="1",
    description="Membership, spaces and the patient-data guard. Errors: "
    '{"error": {"code", "message", "details"}}. Lists: {"items", "count", "next"}.',
    urls_namespace="api",
    auth=Caller(),
    docs_url=None,
)
install_error_handlers(api)
api.add_router("/me", me.router)
api.add_router("/me", notifications.router)
api.add_router("/me", rights.router)
api.add_router("/applications", applications.router)
api.add_router("/spaces", spaces.router)
api.add_router("/spaces", pages.router)
api.add_router("/spaces", comments.router)
api.add_router("/flags", flags.router)
api.add_router("/safety", safety.router)
api.add_router("/search", search.router)
api.add_router("/papers", papers.router)
