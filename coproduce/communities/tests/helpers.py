"""Shared data for membership and spaces tests."""

from __future__ import annotations

from django.test import Client

from conftest import client_for
from coproduce.accounts.models import User

# A test NHS number (from the range reserved for testing) that passes the modulus-11 check.
TEST_NHS_NUMBER = "999 000 0018"

APPLICATION: dict[str, str] = {
    "name": "Chris Taylor",
    "email": "chris@example.gov.uk",
    "organisation": "Eastgate County Council",
    "sector": "social_care",
    "job_role": "Commissioning manager",
    "professional_registration": "",
    "reason": "I support care homes adopting online tools.",
}


def as_user(user: User | None) -> Client:
    return client_for(user) if user is not None else Client()
