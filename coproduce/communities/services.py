"""Every change to membership and spaces: one keyword-only function per change.

Each function checks permission, validates, passes user text through the patient-data
guard, writes its audit entry inside one transaction and sends e-mail after commit. The
HTML views and the JSON API call these same functions.

Errors raised, for callers to map:
- `ValidationError` with a dict of field -> messages: bad input (HTTP 400 / form errors);
- `Conflict` (a `ValidationError`): the object is no longer in a state that allows it (409);
- `PermissionDenied`: the actor may not do this (403);
- `UnsafeContent` from `check_submission`: patient-identifiable data (422 / form error);
- `RateLimited`: too many attempts (429);
- `InvitationUnusable`: an invitation link that is unknown (404) or expired, used or revoked (410).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from functools import partial
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from coproduce.accounts.models import Role, Sector, User, hash_token
from coproduce.communities import emails, selectors, tasks
from coproduce.communities.access import can_manage_space, require_community_admin, require_facilitator
from coproduce.communities.models import (
    AllowedDomain,
    Application,
    Invitation,
    Space,
    SpaceMembership,
    SpaceRole,
    Visibility,
)
from coproduce.governance import audit
from coproduce.governance.safety import check_submission
from coproduce.lib import ratelimit
from coproduce.lib.errors import Conflict

type Errors = dict[str, list[str]]

APPLICATION_LIMIT = 5  # applications per address ...
APPLICATION_WINDOW = 60 * 60  # ... per hour
INVITABLE_ROLES = (Role.MEMBER, Role.FACILITATOR, Role.MODERATOR)
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RESERVED_SLUGS = frozenset({"new"})
DOMAIN_RE = re.compile(
    r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"
)
DUPLICATE_APPLICATION = "You have already applied; we will e-mail you"


class InvitationUnusable(Exception):
    """An invitation link that cannot be used: `status` 404 when unknown, 410 when gone."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# --- validation helpers ------------------------------------------------------


def _text(
    errors: Errors, field: str, value: str, *, label: str, max_length: int, required: bool = True
) -> str:
    value = value.strip()
    if required and not value:
        errors.setdefault(field, []).append(f"Enter {label}.")
    elif len(value) > max_length:
        errors.setdefault(field, []).append(
            f"{label[0].upper()}{label[1:]} must be {max_length} characters or fewer."
        )
    return value


def _email(errors: Errors, value: str) -> str:
    value = value.strip()
    if not value:
        errors.setdefault("email", []).append("Enter an e-mail address.")
        return value
    try:
        validate_email(value)
    except ValidationError:
        errors.setdefault("email", []).append(
            "Enter an e-mail address in the correct format, like name@example.org."
        )
        return value
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def _choice(errors: Errors, field: str, value: str, choices: Any, *, label: str) -> str:
    allowed = [str(c.value) for c in choices]
    if value not in allowed:
        names = ", ".join(str(c.label) for c in choices)
        errors.setdefault(field, []).append(f"Choose {label}: {names}.")
    return value


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _created[T](field: str, message: str, create: Callable[[], T]) -> T:
    """Run `create` in a savepoint; a unique constraint lost to a concurrent request becomes a field error."""
    try:
        with transaction.atomic():
            return create()
    except IntegrityError:
        raise ValidationError({field: [message]}) from None


def _on_commit_enqueue(task: Any, *args: Any) -> None:
    transaction.on_commit(partial(task.enqueue, *args))


# --- applications -----------------------------------------------------------


def application_submit(
    *,
    name: str,
    email: str,
    organisation: str,
    sector: str,
    job_role: str = "",
    professional_registration: str = "",
    reason: str,
    ip: str,
) -> Application:
    """Someone asks to join. Approved at once when their e-mail domain is on the allow-list."""
    errors: Errors = {}
    fields = {
        "name": _text(errors, "name", name, label="your full name", max_length=150),
        "email": _email(errors, email),
        "organisation": _text(
            errors, "organisation", organisation, label="your organisation", max_length=200
        ),
        "sector": _choice(errors, "sector", sector, Sector, label="your sector"),
        "job_role": _text(
            errors, "job_role", job_role, label="your job role", max_length=200, required=False
        ),
        "professional_registration": _text(
            errors,
            "professional_registration",
            professional_registration,
            label="your professional registration",
            max_length=100,
            required=False,
        ),
        "reason": _text(errors, "reason", reason, label="why you would like to join", max_length=2000),
    }
    if "email" not in errors and selectors.pending_application_for(fields["email"]):
        errors["email"] = [DUPLICATE_APPLICATION]
    _raise(errors)
    check_submission({k: v for k, v in fields.items() if k not in ("email", "sector")})
    # Counted only for applications that would be stored, so corrected mistakes cost nothing.
    ratelimit.hit(scope="application", key=ip, limit=APPLICATION_LIMIT, window=APPLICATION_WINDOW)
    with transaction.atomic():
        application = _created("email", DUPLICATE_APPLICATION, lambda: Application.objects.create(**fields))
        audit.record(
            actor=None,
            action="application.submit",
            target=application,
            after={"status": application.status, "sector": application.sector},
        )
        allowed = selectors.allowed_domain_for(application.email)
        if allowed is not None:
            reason = f"The e-mail domain {allowed.domain} is on the allow-list."
            return _approve(application=application, actor=None, reason=reason)
        _on_commit_enqueue(tasks.send_application_received, application.pk)
    return application


def _lock_pending(application: Application) -> Application:
    locked = Application.objects.select_for_update().filter(pk=application.pk).first()
    if locked is None:
        raise Conflict("This application no longer exists.", code="conflict")
    if not locked.is_pending:
        raise Conflict(
            f"This application has already been decided ({locked.get_status_display()}).", code="conflict"
        )
    return locked


def _decision_reason(reason: str, *, required: bool) -> str:
    errors: Errors = {}
    reason = _text(errors, "reason", reason, label="a reason", max_length=2000, required=required)
    _raise(errors)
    if reason:
        check_submission({"reason": reason})
    return reason


def _unique_username(email: str) -> str:
    local = email.partition("@")[0].lower()
    base = re.sub(r"[^a-z0-9._-]+", "", local)[:30].strip("._-") or "member"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


def _grant_membership(*, user: User, actor: User | None, via: str) -> None:
    if user.role != Role.NONE:
        return
    user.role = Role.MEMBER
    user.save(update_fields=["role"])
    audit.record(
        actor=actor,
        action="membership.grant",
        target=user,
        before={"role": ""},
        after={"role": "member", "via": via},
    )


def _member_for(application: Application, actor: User | None) -> User:
    """The account for an approved application: the existing one with its e-mail, or a new one."""
    user = selectors.user_with_email(application.email)
    if user is None:
        user = User.objects.create_user(
            username=_unique_username(application.email),
            email=application.email,
            password=None,  # unusable until they choose one from the approval e-mail
            name=application.name,
            organisation=application.organisation,
            sector=application.sector,
            job_role=application.job_role,
            professional_registration=application.professional_registration,
        )
        EmailAddress.objects.create(user=user, email=application.email, verified=True, primary=True)
    else:
        profile = ("name", "organisation", "sector", "job_role", "professional_registration")
        blanks = [f for f in profile if not getattr(user, f) and getattr(application, f)]
        for field in blanks:
            setattr(user, field, getattr(application, field))
        if blanks:
            user.save(update_fields=blanks)
    _grant_membership(user=user, actor=actor, via="application")
    return user


def _approve(*, application: Application, actor: User | None, reason: str) -> Application:
    with transaction.atomic():
        locked = _lock_pending(application)
        user = _member_for(locked, actor)
        locked.status = Application.Status.APPROVED
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        locked.decision_reason = reason
        locked.user = user
        locked.save(update_fields=["status", "decided_at", "decided_by", "decision_reason", "user"])
        audit.record(
            actor=actor,
            action="application.approve",
            target=locked,
            before={"status": Application.Status.PENDING.value},
            after={"status": locked.status, "user": user.username, "reason": reason},
        )
        _on_commit_enqueue(tasks.send_application_decision, locked.pk)
    return locked


def application_approve(*, application: Application, actor: User, reason: str = "") -> Application:
    """An admin approves a pending application: the applicant becomes a member and is e-mailed."""
    require_community_admin(actor)
    return _approve(application=application, actor=actor, reason=_decision_reason(reason, required=False))


def application_reject(*, application: Application, actor: User, reason: str) -> Application:
    """An admin turns down a pending application, with a reason the applicant is sent."""
    require_community_admin(actor)
    reason = _decision_reason(reason, required=True)
    with transaction.atomic():
        locked = _lock_pending(application)
        locked.status = Application.Status.REJECTED
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        locked.decision_reason = reason
        locked.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
        audit.record(
            actor=actor,
            action="application.reject",
            target=locked,
            before={"status": Application.Status.PENDING.value},
            after={"status": locked.status, "reason": reason},
        )
        _on_commit_enqueue(tasks.send_application_decision, locked.pk)
    return locked


# --- invitations ------------------------------------------------------------


def invitation_create(*, email: str, role: str, actor: User) -> Invitation:
    """An admin invites someone by e-mail; the link is made and sent by `invitation_send` after commit."""
    require_community_admin(actor)
    errors: Errors = {}
    email = _email(errors, email)
    _choice(errors, "role", role, INVITABLE_ROLES, label="a role")
    if "email" not in errors:
        existing = selectors.user_with_email(email)
        if existing is not None:
            errors["email"] = [
                f"{email} already has an account ({existing.username}). "
                "Change its role on the members page instead."
            ]
        elif selectors.open_invitation_for(email) is not None:
            errors["email"] = [
                "There is already an open invitation for this address. Revoke it to send a new one."
            ]
    _raise(errors)
    with transaction.atomic():
        # A digest of a token nobody holds: the working link is made only when the e-mail is sent,
        # so no usable token is ever stored, not even in the task queue.
        invitation = Invitation.objects.create(
            email=email, role=role, digest=hash_token(secrets.token_urlsafe(32)), invited_by=actor
        )
        audit.record(
            actor=actor,
            action="invitation.create",
            target=invitation,
            after={"email": email, "role": role, "expires_at": invitation.expires_at.isoformat()},
        )
        _on_commit_enqueue(tasks.send_invitation, invitation.pk)
    return invitation


def invitation_send(*, invitation_id: int) -> str | None:
    """Make a fresh link for a usable invitation and e-mail it; returns the link's token (None if unusable).

    Only the token's digest is stored, so an earlier link stops working when a new one is sent.
    """
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
        if invitation is None or not invitation.is_usable():
            return None
        raw_token = secrets.token_urlsafe(32)
        invitation.digest = hash_token(raw_token)
        invitation.save(update_fields=["digest"])
    emails.invitation(invitation, raw_token)
    return raw_token


def invitation_check(invitation: Invitation | None) -> Invitation:
    """The invitation if it can still be accepted; InvitationUnusable otherwise."""
    if invitation is None:
        raise InvitationUnusable(
            "This invitation link is not valid. Check that you copied the whole link from the e-mail.",
            status=404,
        )
    if invitation.accepted_at is not None:
        raise InvitationUnusable(
            "This invitation has already been used. Sign in with your account.", status=410
        )
    if invitation.revoked_at is not None:
        raise InvitationUnusable(
            "This invitation was withdrawn. Ask a community admin for a new one.", status=410
        )
    if not invitation.is_usable():
        raise InvitationUnusable(
            "This invitation has expired. Ask a community admin for a new one.", status=410
        )
    return invitation


def invitation_accept(*, raw_token: str, name: str, username: str, password: str) -> User:
    """Whoever holds the link creates their account with the invited role."""
    with transaction.atomic():
        found = Invitation.objects.select_for_update().filter(digest=hash_token(raw_token)).first()
        invitation = invitation_check(found)
        errors: Errors = {}
        name = _text(errors, "name", name, label="your full name", max_length=150)
        username = _text(errors, "username", username, label="a username", max_length=150)
        if username:
            try:
                User.username_validator(username)
            except ValidationError as exc:
                errors.setdefault("username", []).extend(exc.messages)
            if User.objects.filter(username__iexact=username).exists():
                errors.setdefault("username", []).append("That username is taken. Choose another.")
        if selectors.user_with_email(invitation.email) is not None:
            errors["__all__"] = [f"An account already uses {invitation.email}. Sign in to it instead."]
        user = User(username=username, email=invitation.email, name=name, role=invitation.role)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors.setdefault("password", []).extend(exc.messages)
        _raise(errors)
        check_submission({"name": name, "username": username})
        user.set_password(password)
        _created("username", "That username is taken. Choose another.", user.save)
        EmailAddress.objects.create(user=user, email=invitation.email, verified=True, primary=True)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit.record(
            actor=user,
            action="invitation.accept",
            target=invitation,
            before={"accepted": False},
            after={"accepted": True, "user": user.username, "role": invitation.role},
        )
    return user


def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    require_community_admin(actor)
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at is not None or locked.revoked_at is not None:
            raise Conflict("This invitation has already been used or withdrawn.", code="conflict")
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            action="invitation.revoke",
            target=locked,
            before={"revoked": False},
            after={"revoked": True},
        )
    return locked


# --- e-mail domain allow-list -------------------------------------------------


def allowed_domain_add(*, domain: str, actor: User) -> AllowedDomain:
    require_community_admin(actor)
    domain = domain.strip().lower()
    if not domain:
        raise ValidationError({"domain": ["Enter a domain, like nhs.net."]})
    if "@" in domain:
        raise ValidationError({"domain": ["Enter only the part after the @, like nhs.net."]})
    if not DOMAIN_RE.match(domain):
        raise ValidationError({"domain": ["Enter a domain in the correct format, like nhs.net."]})
    with transaction.atomic():
        if AllowedDomain.objects.filter(domain=domain).exists():
            raise ValidationError({"domain": [f"{domain} is already on the list."]})
        allowed = _created(
            "domain",
            f"{domain} is already on the list.",
            lambda: AllowedDomain.objects.create(domain=domain, created_by=actor),
        )
        audit.record(actor=actor, action="allowed_domain.add", target=allowed, after={"domain": domain})
    return allowed


def allowed_domain_remove(*, allowed_domain: AllowedDomain, actor: User) -> None:
    require_community_admin(actor)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="allowed_domain.remove",
            target=allowed_domain,
            before={"domain": allowed_domain.domain},
        )
        allowed_domain.delete()


def membership_grant_for_allowed_domain(*, user: User) -> bool:
    """Make a registered person a member when one of their verified addresses is allow-listed.

    Called when someone confirms an e-mail address. Returns whether membership was granted.
    """
    if user.role != Role.NONE or not user.is_active:
        return False
    addresses = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    if not any(selectors.allowed_domain_for(address) for address in addresses):
        return False
    with transaction.atomic():
        _grant_membership(user=user, actor=None, via="allowed_domain")
    return True


# --- roles ------------------------------------------------------------------


def member_set_role(*, user: User, role: str, actor: User) -> User:
    """An admin changes someone's community role. The last admin cannot stop being one."""
    require_community_admin(actor)
    errors: Errors = {}
    _choice(errors, "role", role, Role, label="a role")
    _raise(errors)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if (
            locked.role == Role.ADMIN
            and role != Role.ADMIN
            and selectors.community_admin_count(excluding=locked) == 0
        ):
            raise ValidationError(
                {"role": ["This is the last community admin. Make someone else an admin first."]}
            )
        before = {"role": locked.role, "is_staff": locked.is_staff}
        locked.role = role
        locked.is_staff = role == Role.ADMIN or locked.is_superuser
        locked.save(update_fields=["role", "is_staff"])
        user.role, user.is_staff = locked.role, locked.is_staff
        audit.record(
            actor=actor,
            action="member.set_role",
            target=locked,
            before=before,
            after={"role": locked.role, "is_staff": locked.is_staff},
        )
    return locked


# --- spaces -----------------------------------------------------------------

SPACE_FIELDS = ("name", "description", "visibility")


def _space_fields(errors: Errors, *, name: str, description: str, visibility: str) -> dict[str, str]:
    fields = {
        "name": _text(errors, "name", name, label="a name", max_length=150),
        "description": _text(
            errors, "description", description, label="the description", max_length=5000, required=False
        ),
        "visibility": _choice(errors, "visibility", visibility, Visibility, label="who can read the space"),
    }
    return fields


def _space_snapshot(space: Space) -> dict[str, str]:
    return {"name": space.name, "description": space.description, "visibility": space.visibility}


def space_create(*, slug: str, name: str, description: str = "", visibility: str, actor: User) -> Space:
    """A facilitator or admin creates a space and becomes its facilitator."""
    require_facilitator(actor)
    errors: Errors = {}
    slug = slug.strip()
    if not slug:
        errors["slug"] = ["Enter a web address for the space, like masterclass-2008."]
    elif len(slug) > 60 or not SLUG_RE.match(slug):
        errors["slug"] = [
            "Use only lowercase letters, digits and hyphens (at most 60), like masterclass-2008."
        ]
    elif slug in RESERVED_SLUGS or Space.objects.filter(slug=slug).exists():
        errors["slug"] = ["A space with this web address already exists. Choose another."]
    fields = _space_fields(errors, name=name, description=description, visibility=visibility)
    _raise(errors)
    check_submission({"slug": slug, "name": fields["name"], "description": fields["description"]})
    with transaction.atomic():
        space = _created(
            "slug",
            "A space with this web address already exists. Choose another.",
            lambda: Space.objects.create(slug=slug, created_by=actor, **fields),
        )
        SpaceMembership.objects.create(space=space, user=actor, role=SpaceRole.FACILITATOR)
        audit.record(
            actor=actor, action="space.create", target=space, space=space, after={"slug": slug, **fields}
        )
    return space


def space_update(*, space: Space, actor: User, **changes: str) -> Space:
    """A space's facilitator or an admin changes its name, description or visibility."""
    if not can_manage_space(actor, space):
        raise PermissionDenied("Only the space's facilitators and community admins can change it.")
    unknown = sorted(set(changes) - set(SPACE_FIELDS))
    if unknown:
        raise ValidationError({field: ["This cannot be changed."] for field in unknown})
    before = _space_snapshot(space)
    errors: Errors = {}
    fields = _space_fields(errors, **{**before, **changes})
    _raise(errors)
    check_submission({"name": fields["name"], "description": fields["description"]})
    with transaction.atomic():
        changed = [f for f in SPACE_FIELDS if fields[f] != before[f]]
        for field in changed:
            setattr(space, field, fields[field])
        if changed:
            space.save(update_fields=changed)
            audit.record(
                actor=actor,
                action="space.update",
                target=space,
                space=space,
                before={f: before[f] for f in changed},
                after={f: fields[f] for f in changed},
            )
    return space


def space_member_add(*, space: Space, user: User, role: str, actor: User) -> SpaceMembership:
    """Add a community member to a space, or change their role in it if they are already in it."""
    if not can_manage_space(actor, space):
        raise PermissionDenied("Only the space's facilitators and community admins can manage its members.")
    errors: Errors = {}
    _choice(errors, "role", role, SpaceRole, label="a role in the space")
    if not user.is_member:
        errors["username"] = [f"{user.username} is not a member of the community yet."]
    _raise(errors)
    with transaction.atomic():
        membership = SpaceMembership.objects.select_for_update().filter(space=space, user=user).first()
        if membership is None:
            membership = _created(
                "username",
                f"{user.username} was added to the space at the same moment. Reload and check their role.",
                lambda: SpaceMembership.objects.create(space=space, user=user, role=role),
            )
            audit.record(
                actor=actor,
                action="space.member_add",
                target=membership,
                space=space,
                after={"user": user.username, "role": role},
            )
        elif membership.role != role:
            before = {"user": user.username, "role": membership.role}
            membership.role = role
            membership.save(update_fields=["role"])
            audit.record(
                actor=actor,
                action="space.member_role",
                target=membership,
                space=space,
                before=before,
                after={"user": user.username, "role": role},
            )
    return membership


def space_member_remove(*, space: Space, user: User, actor: User) -> None:
    if not can_manage_space(actor, space):
        raise PermissionDenied("Only the space's facilitators and community admins can manage its members.")
    with transaction.atomic():
        membership = SpaceMembership.objects.select_for_update().filter(space=space, user=user).first()
        if membership is None:
            raise Conflict(f"{user.username} is not a member of this space.", code="conflict")
        audit.record(
            actor=actor,
            action="space.member_remove",
            target=membership,
            space=space,
            before={"user": user.username, "role": membership.role},
        )
        membership.delete()
