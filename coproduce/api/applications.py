from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import Field, field_validator

from coproduce.accounts.models import Sector
from coproduce.api.auth import caller
from coproduce.api.pagination import Page, PageParams, paginate
from coproduce.api.schemas import StrictSchema
from coproduce.communities import services
from coproduce.communities.access import require_community_admin
from coproduce.communities.models import Application
from coproduce.lib.ratelimit import client_address

router = Router(tags=["applications"])


class ApplicationIn(StrictSchema):
    name: str = Field(min_length=1, max_length=150)
    email: str = Field(max_length=254)
    organisation: str = Field(min_length=1, max_length=200)
    sector: Sector
    reason: str = Field(min_length=1, max_length=2000)
    job_role: str = Field("", max_length=200)
    professional_registration: str = Field("", max_length=100)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError("Enter a valid e-mail address.") from None
        return value


class ApplicationCreated(Schema):
    id: int
    status: str


class ApplicationOut(Schema):
    id: int
    name: str
    email: str
    organisation: str
    sector: str
    status: str


class DecisionIn(StrictSchema):
    reason: str = Field("", max_length=2000)


class ApplicationFilter(PageParams):
    status: Application.Status | None = None


def _out(application: Application) -> dict[str, Any]:
    return {
        "id": application.pk,
        "name": application.name,
        "email": application.email,
        "organisation": application.organisation,
        "sector": application.sector,
        "status": application.status,
    }


@router.post("", response={201: ApplicationCreated}, auth=None)
def submit_application(request: HttpRequest, payload: ApplicationIn) -> Status[dict[str, Any]]:
    """Apply to join the community (no account needed)."""
    application = services.application_submit(**payload.model_dump(), ip=client_address(request))
    return Status(201, {"id": application.pk, "status": application.status})


@router.get("", response=Page)
def list_applications(request: HttpRequest, params: Query[ApplicationFilter]) -> dict[str, Any]:
    require_community_admin(caller(request))
    rows = Application.objects.order_by("-created_at", "-id")
    if params.status:
        rows = rows.filter(status=params.status)
    return paginate(request, rows, params, _out)


@router.post("/{application_id}/approve", response=ApplicationCreated)
def approve_application(request: HttpRequest, application_id: int, payload: DecisionIn) -> dict[str, Any]:
    actor = require_community_admin(caller(request))
    application = get_object_or_404(Application, pk=application_id)
    application = services.application_approve(application=application, actor=actor, reason=payload.reason)
    return {"id": application.pk, "status": application.status}


@router.post("/{application_id}/reject", response=ApplicationCreated)
def reject_application(request: HttpRequest, application_id: int, payload: DecisionIn) -> dict[str, Any]:
    actor = require_community_admin(caller(request))
    application = get_object_or_404(Application, pk=application_id)
    application = services.application_reject(application=application, actor=actor, reason=payload.reason)
    return {"id": application.pk, "status": application.status}
