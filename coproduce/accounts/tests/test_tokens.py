"""Personal API tokens: shown once, stored hashed, revocable, and created from the command line too."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from coproduce.accounts.models import ApiToken, User
from coproduce.accounts.selectors import user_for_token
from coproduce.accounts.services import token_create
from coproduce.governance.models import AuditEntry

pytestmark = pytest.mark.django_db

RAW_TOKEN = re.compile(r'value="(cp_[A-Za-z0-9_-]+)"')


def test_creating_a_token_shows_it_once_and_stores_only_its_digest(member: User) -> None:
    client = client_for(member)

    response = client.post(reverse("accounts:token_create"), {"token-name": "Import script"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    match = RAW_TOKEN.search(response.content.decode())
    assert match
    raw = match.group(1)
    assert "only time" in response.content.decode()
    token = ApiToken.objects.get(user=member)
    assert token.name == "Import script"
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert token.digest != raw
    assert token.hint == raw[:8]
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert "Import script" in profile
    assert raw not in profile
    entry = AuditEntry.objects.get(action="token.create")
    assert entry.actor == member
    assert raw not in str(entry.after)


def test_a_token_resolves_to_its_owner_until_it_is_revoked(member: User) -> None:
    token, raw = token_create(user=member, name="Laptop", actor=member)
    assert user_for_token(raw) == member

    response = client_for(member).post(reverse("accounts:token_revoke", args=[token.pk]))

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert user_for_token(raw) is None
    assert AuditEntry.objects.filter(action="token.revoke", target_id=str(token.pk), actor=member).exists()


def test_revoking_someone_elses_token_is_not_found(member: User, outsider: User) -> None:
    token, raw = token_create(user=outsider, name="Theirs", actor=outsider)

    response = client_for(member).post(reverse("accounts:token_revoke", args=[token.pk]))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert user_for_token(raw) == outsider


def test_revoking_needs_a_post(member: User) -> None:
    token, _raw = token_create(user=member, name="Laptop", actor=member)

    response = client_for(member).get(reverse("accounts:token_revoke", args=[token.pk]))

    assert response.status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_token_name_is_required_and_limited_to_100_characters(member: User) -> None:
    client = client_for(member)

    empty = client.post(reverse("accounts:token_create"), {"token-name": ""})
    too_long = client.post(reverse("accounts:token_create"), {"token-name": "x" * 101})

    assert (empty.status_code, too_long.status_code) == (200, 200)
    assert "nhsuk-error-message" in too_long.content.decode()
    assert "x" * 101 in too_long.content.decode()
    assert not ApiToken.objects.exists()


def test_a_token_name_holding_an_nhs_number_is_refused(member: User) -> None:
    response = client_for(member).post(reverse("accounts:token_create"), {"token-name": "For 999 000 0018"})

    assert response.status_code == 200
    assert "NHS number" in response.content.decode()
    assert "For 999 000 0018" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_token_of_an_inactive_user_or_a_made_up_token_resolves_to_nobody(member: User) -> None:
    _token, raw = token_create(user=member, name="Laptop", actor=member)
    member.is_active = False
    member.save()

    assert user_for_token(raw) is None
    assert user_for_token("cp_made-up") is None
    assert user_for_token("") is None


def test_using_a_token_records_when_at_most_once_a_minute(member: User) -> None:
    token, raw = token_create(user=member, name="Laptop", actor=member)

    user_for_token(raw)
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    user_for_token(raw)
    token.refresh_from_db()
    assert token.last_used_at == first_use

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    user_for_token(raw)
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_at > first_use - timedelta(seconds=1)


def test_the_command_prints_only_a_token_that_resolves_to_the_user(member: User) -> None:
    out = StringIO()

    call_command("token", "create", member.username, "--name", "CI", stdout=out)

    raw = out.getvalue().strip()
    assert "\n" not in raw
    assert user_for_token(raw) == member
    assert ApiToken.objects.get(user=member).name == "CI"
    assert AuditEntry.objects.filter(action="token.create", actor__isnull=True).exists()


def test_the_command_exits_2_for_an_unknown_user(db: None) -> None:
    with pytest.raises(CommandError) as error:
        call_command("token", "create", "nobody-at-all")

    assert error.value.returncode == 2
    assert "nobody-at-all" in str(error.value)
    assert not ApiToken.objects.exists()
