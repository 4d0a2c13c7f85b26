"""Shared personas and places, used by every test (see CONTRIBUTING.md, "Tests")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.cache import cache
from django.test import Client

from coproduce.accounts.models import Role, Sector, User
from coproduce.communities.models import Space, SpaceMembership, SpaceRole, Visibility

PASSWORD = "a-long-test-passphrase-42"


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 as in production, with the cheapest parameters: tests create many accounts.

    The production parameters cost about 0.2 s of CPU per hash, which was most of the suite's time.
    Hashes still start with "argon2" and carry their parameters, so they verify the same way.
    """

    time_cost = 1
    memory_cost = 8
    parallelism = 1


def make_person(
    username: str, role: str, *, name: str = "", sector: str = Sector.NHS, **extra: object
) -> User:
    user = User.objects.create_user(
        username=username,
        email=f"{username}@example.nhs.uk",
        password=PASSWORD,
        name=name or username.title(),
        role=role,
        sector=sector,
        organisation="Example NHS Trust",
        is_staff=role == Role.ADMIN,
        **extra,
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture(autouse=True)
def _isolated(settings: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """Every test gets an empty cache, immediate tasks and e-mail in memory."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}  # type: ignore[attr-defined]
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}  # type: ignore[attr-defined]
    settings.HTTPS = False  # type: ignore[attr-defined]
    settings.SECURE_SSL_REDIRECT = False  # type: ignore[attr-defined]
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined]
    settings.PASSWORD_HASHERS = [  # type: ignore[attr-defined]
        "conftest.QuickArgon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin(db: None) -> User:
    return make_person("ada", Role.ADMIN, name="Ada Admin")


@pytest.fixture
def facilitator(db: None) -> User:
    return make_person("rowan", Role.FACILITATOR, name="Rowan Facilitator")


@pytest.fixture
def moderator(db: None) -> User:
    return make_person("mo", Role.MODERATOR, name="Mo Moderator")


@pytest.fixture
def member(db: None) -> User:
    return make_person("meera", Role.MEMBER, name="Meera Member", sector=Sector.SOCIAL_CARE)


@pytest.fixture
def outsider(db: None) -> User:
    """Has an account and a verified address, but is not a member of the community."""
    return make_person("otto", Role.NONE, name="Otto Outsider", sector=Sector.PRIVATE_SECTOR)


@pytest.fixture
def anonymous() -> Client:
    return Client()


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def public_space(db: None, facilitator: User) -> Space:
    space = Space.objects.create(slug="open-notes", name="Open notes", visibility=Visibility.PUBLIC)
    SpaceMembership.objects.create(space=space, user=facilitator, role=SpaceRole.FACILITATOR)
    return space


@pytest.fixture
def members_space(db: None, facilitator: User) -> Space:
    space = Space.objects.create(slug="masterclass", name="Masterclass", visibility=Visibility.MEMBERS)
    SpaceMembership.objects.create(space=space, user=facilitator, role=SpaceRole.FACILITATOR)
    return space


@pytest.fixture
def private_space(db: None, facilitator: User) -> Space:
    space = Space.objects.create(slug="steering", name="Steering group", visibility=Visibility.PRIVATE)
    SpaceMembership.objects.create(space=space, user=facilitator, role=SpaceRole.FACILITATOR)
    return space


type Committed = Callable[[], AbstractContextManager[Any]]


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]]) -> Committed:
    """`with committed(): ...` runs what the code scheduled for after commit (tasks, e-mail) at the end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
