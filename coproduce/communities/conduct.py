"""The community's code of conduct: publishing versions, accepting them, and who must accept first.

Members accept the latest published version before contributing (editing pages, commenting,
uploading, flagging). While no version has been published, nothing is required. The latest
version number is read through the cache (`latest_version`), so the check that runs on every
"may this person edit?" costs no query once warm; publishing a version refreshes it on commit.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from coproduce.accounts.models import User
from coproduce.communities.access import require_community_admin
from coproduce.communities.models import CodeOfConduct
from coproduce.governance import audit
from coproduce.governance.safety import check_submission

CODE = "conduct_not_accepted"
_CACHE_KEY = "conduct:latest-version"
_CACHE_SECONDS = 300
TEXT_MAX_LENGTH = 50_000
SUMMARY_MAX_LENGTH = 2000


class ConductNotAccepted(PermissionDenied):
    """The person must read and accept the latest code of conduct before contributing.

    A PermissionDenied, so every path that refuses with 403 refuses with this; `code` is the
    API's stable error code.
    """

    code = CODE

    def __init__(self, version: int) -> None:
        self.version = version
        super().__init__(
            f"Read and accept the community's code of conduct (version {version}) before you "
            "contribute. Nothing you typed has been saved yet."
        )


# --- selectors ---------------------------------------------------------------------------------


def latest_version() -> int:
    """The number of the latest published version, 0 if none (cached)."""
    version = cache.get(_CACHE_KEY)
    if version is None:
        version = _latest_in_database()
        cache.set(_CACHE_KEY, version, _CACHE_SECONDS)
    return int(version)


def _latest_in_database() -> int:
    return int(CodeOfConduct.objects.aggregate(latest=Max("version"))["latest"] or 0)


def latest() -> CodeOfConduct | None:
    return CodeOfConduct.objects.select_related("published_by").order_by("-version").first()


def versions() -> list[CodeOfConduct]:
    return list(CodeOfConduct.objects.select_related("published_by").order_by("-version"))


def version_to_accept(viewer: Any) -> int:
    """The version the viewer must accept before contributing, or 0 when nothing is required.

    Only signed-in people are asked; for everyone else other rules decide (they cannot edit).
    """
    if not isinstance(viewer, User) or not viewer.is_authenticated:
        return 0
    needed = latest_version()
    return needed if viewer.conduct_version < needed else 0


def has_accepted(viewer: Any) -> bool:
    return version_to_accept(viewer) == 0


def require_accepted(viewer: Any) -> None:
    """Raise ConductNotAccepted when the viewer has not accepted the latest version."""
    needed = version_to_accept(viewer)
    if needed:
        raise ConductNotAccepted(needed)


# --- services ----------------------------------------------------------------------------------


def conduct_publish(*, actor: User, text: str, summary_of_changes: str = "") -> CodeOfConduct:
    """A community admin publishes the next version; every member must accept it before contributing
    (the admin who publishes it is recorded as accepting it)."""
    require_community_admin(actor)
    text, summary = text.strip(), summary_of_changes.strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = ["Enter the text of the code of conduct."]
    elif len(text) > TEXT_MAX_LENGTH:
        errors["text"] = [f"The text must be {TEXT_MAX_LENGTH:,} characters or fewer; it has {len(text):,}."]
    if len(summary) > SUMMARY_MAX_LENGTH:
        errors["summary_of_changes"] = [
            f"The summary must be {SUMMARY_MAX_LENGTH:,} characters or fewer; it has {len(summary):,}."
        ]
    if errors:
        raise ValidationError(errors)
    check_submission({"text": text, "summary_of_changes": summary})
    try:
        with transaction.atomic():
            number = _latest_in_database() + 1
            conduct = CodeOfConduct.objects.create(
                version=number,
                text=text,
                summary_of_changes=summary,
                published_at=timezone.now(),
                published_by=actor,
            )
            audit.record(
                actor=actor,
                action="conduct.publish",
                target=conduct,
                after={"version": number, "summary_of_changes": summary},
            )
            _record_acceptance(actor, number)  # the admin who publishes it accepts it
            cache.delete(_CACHE_KEY)  # read from the database inside this transaction
            transaction.on_commit(lambda: cache.set(_CACHE_KEY, number, _CACHE_SECONDS))
    except IntegrityError as exc:  # two admins published at the same moment
        raise ValidationError(
            {"text": ["Another version was published at the same moment. Reload the page and try again."]}
        ) from exc
    return conduct


def conduct_accept(*, actor: User, version: int) -> User:
    """The person accepts `version`, which must be the latest (what they were shown)."""
    if not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied("Log in to accept the code of conduct.")
    current = _latest_in_database()
    if current == 0:
        raise ValidationError({"version": ["No code of conduct has been published yet."]})
    if version != current:
        raise ValidationError(
            {"version": [f"A newer version ({current}) has been published. Read it, then accept it."]}
        )
    with transaction.atomic():
        _record_acceptance(actor, version)
    return actor


def _record_acceptance(actor: User, version: int) -> None:
    """Inside a transaction: the person's accepted version becomes `version`, with an audit entry."""
    locked = User.objects.select_for_update().get(pk=actor.pk)
    before = locked.conduct_version
    if before != version:
        locked.conduct_version = version
        locked.save(update_fields=["conduct_version"])
        audit.record(
            actor=locked,
            action="conduct.accept",
            target=locked,
            before={"conduct_version": before},
            after={"conduct_version": version},
        )
    actor.conduct_version = version
