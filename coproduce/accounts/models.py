from __future__ import annotations

import hashlib
import secrets
from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class Sector(models.TextChoices):
    NHS = "nhs", "NHS"
    SOCIAL_CARE = "social_care", "Social care"
    HIGHER_EDUCATION = "higher_education", "Higher education"
    PRIVATE_SECTOR = "private_sector", "Private sector"
    VOLUNTARY = "voluntary", "Voluntary sector"
    PATIENT_PARTNER = "patient_partner", "Patient partner"


class Role(models.TextChoices):
    """Community-wide roles, in increasing order of trust."""

    NONE = "", "Registered (not a member yet)"
    MEMBER = "member", "Member"
    FACILITATOR = "facilitator", "Facilitator"
    MODERATOR = "moderator", "Moderator"
    ADMIN = "admin", "Admin"


class CreditChoice(models.TextChoices):
    """How someone is named where their contributions are credited (briefing papers)."""

    FULL = "full", "Full name and organisation"
    NAME = "name", "Name only"
    INITIALS = "initials", "Initials"
    ANONYMOUS = "anonymous", "Not named (counted as one of the others)"


class User(AbstractUser):
    """An account and its profile: who someone is in the community."""

    name = models.CharField("full name", max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, blank=True, default=Role.NONE)
    organisation = models.CharField(max_length=200, blank=True)
    sector = models.CharField(max_length=30, choices=Sector.choices, blank=True)
    job_role = models.CharField("job role", max_length=200, blank=True)
    professional_registration = models.CharField(
        max_length=100,
        blank=True,
        help_text="Optional, for example a GMC, NMC or HCPC number.",
    )
    credit_as = models.CharField(
        "credit me as",
        max_length=20,
        choices=CreditChoice.choices,
        default=CreditChoice.FULL,
        help_text="How briefing papers name you. You can choose differently for one paper.",
    )
    suspended_until = models.DateTimeField(
        null=True, blank=True, help_text="Set by a moderator: until then they can read but not post."
    )
    conduct_version = models.PositiveIntegerField(
        default=0, help_text="The version of the code of conduct this member last accepted (0: none)."
    )
    failed_logins = models.PositiveIntegerField(default=0, help_text="Failed log-ins since the last success.")
    locked_until = models.DateTimeField(null=True, blank=True, help_text="Log-in refused until then.")
    erased_at = models.DateTimeField(
        null=True, blank=True, help_text="When an admin erased this member; the account is pseudonymised."
    )

    REQUIRED_FIELDS: ClassVar[list[str]] = ["email"]

    def __str__(self) -> str:
        return self.name or self.username

    @property
    def display_name(self) -> str:
        if self.erased_at is not None:
            return "Former member"
        return self.name or self.username

    @property
    def is_member(self) -> bool:
        return self.is_active and self.role != Role.NONE

    @property
    def is_suspended(self) -> bool:
        return self.suspended_until is not None and self.suspended_until > timezone.now()

    @property
    def is_locked(self) -> bool:
        """Log-ins are refused until `locked_until` after too many failed attempts in a row."""
        return self.locked_until is not None and self.locked_until > timezone.now()

    @property
    def is_community_admin(self) -> bool:
        return self.is_active and (self.role == Role.ADMIN or self.is_superuser)

    @property
    def is_moderator(self) -> bool:
        return self.is_community_admin or (self.is_active and self.role == Role.MODERATOR)

    @property
    def is_facilitator(self) -> bool:
        return self.is_community_admin or (self.is_active and self.role == Role.FACILITATOR)

    @property
    def role_names(self) -> list[str]:
        if self.is_superuser and self.role != Role.ADMIN:
            return [r for r in (self.role, Role.ADMIN.value) if r]
        return [self.role] if self.role else []


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 digest is stored; the token is shown once."""

    PREFIX = "cp_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12, help_text="The first characters, to tell tokens apart.")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def generate(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)
