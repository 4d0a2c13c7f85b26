from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from coproduce.api.auth import signed_in

router = Router(tags=["me"])


class MeOut(Schema):
    username: str
    name: str
    roles: list[str]


@router.get("", response=MeOut)
def get_me(request: HttpRequest) -> dict[str, object]:
    user = signed_in(request)
    return {"username": user.username, "name": user.display_name, "roles": user.role_names}
