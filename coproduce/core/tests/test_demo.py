"""The case-study demo loads into an empty database, once."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from coproduce.accounts.models import Role, User
from coproduce.communities.models import Application, Space, Visibility
from coproduce.core.demo import MASTERCLASS_SLUG
from coproduce.wiki.models import Page, Revision

pytestmark = pytest.mark.django_db


def test_the_demo_loads_the_case_study_community(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPRODUCE_DEMO_PASSWORD", "demo-passphrase-for-tests")
    call_command("demo")
    assert "demo-passphrase-for-tests" in capsys.readouterr().out

    admin = User.objects.get(username="admin")
    assert admin.role == Role.ADMIN
    assert admin.check_password("demo-passphrase-for-tests")
    assert User.objects.filter(role=Role.FACILITATOR).exists()
    assert len({u.sector for u in User.objects.filter(role=Role.MEMBER)}) >= 4

    masterclass = Space.objects.get(slug=MASTERCLASS_SLUG)
    assert masterclass.visibility == Visibility.MEMBERS
    assert "British Library" in masterclass.description
    assert "15 May 2008" in masterclass.description
    assert masterclass.memberships.count() >= 6
    assert Application.objects.filter(status=Application.Status.PENDING).count() == 1

    pages = Page.objects.filter(space=masterclass)
    assert pages.count() >= 4
    assert pages.filter(head__gte=3).exists()
    authors = {r.author_id for r in Revision.objects.filter(page__space=masterclass)}
    assert len(authors) >= 5
    index = pages.get(slug="emerging-issues")
    assert index.children.count() == 3


def test_the_demo_does_nothing_on_a_database_that_has_people(
    member: User, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("demo")
    assert "not empty" in capsys.readouterr().out
    assert not Space.objects.filter(slug=MASTERCLASS_SLUG).exists()
