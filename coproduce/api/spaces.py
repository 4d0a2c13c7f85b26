from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from coproduce.accounts.models import User
from coproduce.api.auth import caller, signed_in
from coproduce.api.pagination import Page, PageParams, paginate
from coproduce.api.schemas import StrictSchema
from coproduce.communities import services
from coproduce.communities.access import (
    get_space_for_manager,
    get_space_for_user,
    require_facilitator,
    spaces_readable_by,
)
from coproduce.communities.models import Space, SpaceRole, Visibility

router = Router(tags=["spaces"])


class SpaceIn(StrictSchema):
    slug: str = Field(min_length=1, max_length=60)
    name: str = Field(min_length=1, max_length=150)
    visibility: Visibility
    description: str = Field("", max_length=5000)


class SpaceOut(Schema):
    slug: str
    name: str
    visibility: str
    description: str
    url: str
    created_at: str


class MemberIn(StrictSchema):
    username: str = Field(min_length=1, max_length=150)
    role: SpaceRole = SpaceRole.MEMBER


class MemberOut(Schema):
    username: str
    role: str


def _out(request: HttpRequest, space: Space) -> dict[str, Any]:
    return {
        "slug": space.slug,
        "name": space.name,
        "visibility": space.visibility,
        "description": space.description,
        "url": request.build_absolute_uri(reverse("communities:space", args=[space.slug])),
        "created_at": space.created_at.isoformat(),
    }


@router.get("", response=Page)
def list_spaces(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    rows = spaces_readable_by(caller(request)).order_by("name", "pk")
    return paginate(request, rows, params, lambda space: _out(request, space))


@router.post("", response={201: SpaceOut})
def create_space(request: HttpRequest, payload: SpaceIn) -> Status[dict[str, Any]]:
    actor = require_facilitator(caller(request))
    space = services.space_create(actor=actor, **payload.model_dump())
    return Status(201, _out(request, space))


@router.get("/{slug}", response=SpaceOut)
def get_space(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _out(request, get_space_for_user(caller(request), slug))


@router.post("/{slug}/members", response={201: MemberOut})
def add_member(request: HttpRequest, slug: str, payload: MemberIn) -> Status[dict[str, Any]]:
    actor = signed_in(request)
    space = get_space_for_manager(actor, slug)
    user = get_object_or_404(User, username__iexact=payload.username, is_active=True)
    membership = services.space_member_add(space=space, user=user, role=payload.role, actor=actor)
    return Status(201, {"username": user.username, "role": membership.role})
