from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from coproduce.accounts.models import Role, Sector


class Application(models.Model):
    """Someone asking to join the community."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    name = models.CharField(max_length=150)
    email = models.EmailField()
    organisation = models.CharField(max_length=200)
    sector = models.CharField(max_length=30, choices=Sector.choices)
    job_role = models.CharField("job role", max_length=200, blank=True)
    professional_registration = models.CharField(max_length=100, blank=True)
    reason = models.TextField("why you would like to join", max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_reason = models.TextField(blank=True, max_length=2000)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="applications",
        help_text="The account this application created or belongs to.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Closes the race between two concurrent applications from one address.
            models.UniqueConstraint(
                Lower("email"), condition=Q(status="pending"), name="one_pending_application_per_email"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class AllowedDomain(models.Model):
    """Applicants with a verified e-mail address at this domain are approved at once."""

    domain = models.CharField(max_length=253, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


def default_invitation_expiry() -> datetime:
    return timezone.now() + timedelta(days=settings.INVITATION_DAYS)


class Invitation(models.Model):
    """An invitation by e-mail to join with a given role. Only the token's digest is stored."""

    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    digest = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=default_invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    def is_usable(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.accepted_at is None and self.revoked_at is None and now < self.expires_at


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public: anyone can read"
    MEMBERS = "members", "Members: any community member can read"
    PRIVATE = "private", "Private: only the space's own members can read"


class SpaceRole(models.TextChoices):
    MEMBER = "member", "Member"
    FACILITATOR = "facilitator", "Facilitator"
    MODERATOR = "moderator", "Moderator"


class Space(models.Model):
    """A workspace with its own visibility, members and roles. Every event gets one."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True, max_length=5000)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.MEMBERS)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="SpaceMembership", related_name="spaces"
    )
    guard_policy = models.JSONField(
        default=dict,
        blank=True,
        help_text="This space's choices for the patient-data guard: finding kind → block or warn.",
    )
    keep_closed_discussions_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Delete discussions this many days after they close; empty keeps them.",
    )
    keep_drafts_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Delete drafts untouched for this many days; empty keeps them."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SpaceMembership(models.Model):
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="space_memberships"
    )
    role = models.CharField(max_length=20, choices=SpaceRole.choices, default=SpaceRole.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["space", "user"], name="one_membership_per_space")]
        ordering = ["space", "user"]

    def __str__(self) -> str:
        return f"{self.user} in {self.space} as {self.role}"


class CodeOfConduct(models.Model):
    """One version of the community's code of conduct. Members accept the latest before contributing."""

    version = models.PositiveIntegerField(unique=True)
    text = models.TextField(max_length=50_000, help_text="Markdown.")
    summary_of_changes = models.TextField(blank=True, max_length=2000)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"Code of conduct, version {self.version}"
