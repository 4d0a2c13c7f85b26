"""Attacks on accounts: granting oneself a role, open redirects, session fixation, user enumeration."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD, Committed, client_for
from coproduce.accounts.models import Role, User
from coproduce.communities import conduct
from coproduce.communities.models import Application, Space, SpaceMembership, SpaceRole
from coproduce.communities.services import invitation_create, invitation_send
from tests.security.hostile import XSS_PAYLOADS, active_content

pytestmark = pytest.mark.django_db

ESCALATION_FIELDS = {
    "role": Role.ADMIN,
    "is_staff": "on",
    "is_superuser": "on",
    "is_active": "on",
    "groups": "1",
    "user_permissions": "1",
    "conduct_version": "99",
    "failed_logins": "0",
    "space_role": SpaceRole.FACILITATOR,
}


def assert_still_a_plain_member(person: User) -> None:
    person.refresh_from_db()
    assert person.role == Role.MEMBER
    assert not person.is_staff
    assert not person.is_superuser
    assert not person.groups.exists()
    assert not person.user_permissions.exists()


# --- privilege escalation -------------------------------------------------------------------------


def test_extra_role_fields_in_the_profile_form_change_nothing_but_the_profile(member: User) -> None:
    response = client_for(member).post(
        reverse("accounts:profile"),
        {"name": "Meera Patel", "organisation": "Northshire", "sector": member.sector, **ESCALATION_FIELDS},
    )

    assert response.status_code == 302
    assert_still_a_plain_member(member)
    assert member.name == "Meera Patel"


def test_a_member_cannot_change_their_own_community_role(member: User) -> None:
    response = client_for(member).post(
        reverse("communities:member_role", args=[member.pk]), {"role": "admin"}
    )

    assert response.status_code in (403, 404)
    assert_still_a_plain_member(member)


def test_a_member_cannot_make_themself_a_facilitator_of_a_space(member: User, members_space: Space) -> None:
    SpaceMembership.objects.create(space=members_space, user=member, role=SpaceRole.MEMBER)
    client = client_for(member)

    html = client.post(
        reverse("communities:space_members", args=[members_space.slug]),
        {"username": member.username, "role": SpaceRole.FACILITATOR},
    )
    api = client.post(
        f"/api/v1/spaces/{members_space.slug}/members",
        {"username": member.username, "role": SpaceRole.FACILITATOR},
        content_type="application/json",
    )
    settings_form = client.post(
        reverse("communities:space_settings", args=[members_space.slug]),
        {"name": "Mine now", "description": "", "visibility": "public"},
    )

    assert html.status_code == 403
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "forbidden"
    assert settings_form.status_code == 403
    assert SpaceMembership.objects.get(space=members_space, user=member).role == SpaceRole.MEMBER
    members_space.refresh_from_db()
    assert (members_space.name, members_space.visibility) == ("Masterclass", "members")


def test_a_member_cannot_join_a_private_space_through_the_membership_endpoints(
    member: User, private_space: Space
) -> None:
    client = client_for(member)
    html = client.post(
        reverse("communities:space_members", args=[private_space.slug]),
        {"username": member.username, "role": SpaceRole.MEMBER},
    )
    api = client.post(
        f"/api/v1/spaces/{private_space.slug}/members",
        {"username": member.username, "role": SpaceRole.MEMBER},
        content_type="application/json",
    )

    assert (html.status_code, api.status_code) == (404, 404)
    assert not SpaceMembership.objects.filter(space=private_space, user=member).exists()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/me/notification-settings", {"role": "admin"}),
        ("/api/v1/me/notification-settings", {"is_staff": True}),
    ],
)
def test_the_api_refuses_unknown_fields_that_try_to_grant_a_role(member: User, path: str, body: Any) -> None:
    response = client_for(member).put(path, body, content_type="application/json")

    assert response.status_code in (400, 422)
    assert response.json()["error"]["code"] in ("invalid_input", "unknown_setting")
    assert_still_a_plain_member(member)


def test_the_api_has_no_way_to_write_ones_own_account(member: User) -> None:
    client = client_for(member)
    for method in ("put", "patch", "post"):
        response = getattr(client, method)("/api/v1/me", {"role": "admin"}, content_type="application/json")
        assert response.status_code == 405, method
    assert_still_a_plain_member(member)


def test_an_application_with_role_fields_is_approved_as_a_plain_member(admin: User) -> None:
    applied = Client().post(
        reverse("communities:apply"),
        {
            "name": "Ann Applicant",
            "email": "ann@example.org",
            "organisation": "Northshire",
            "sector": "nhs",
            "job_role": "Nurse",
            "reason": "To learn",
            **ESCALATION_FIELDS,
        },
    )
    assert applied.status_code == 302
    application = Application.objects.get()

    approved = client_for(admin).post(reverse("communities:approve", args=[application.pk]), {"reason": ""})

    assert approved.status_code == 302
    created = User.objects.get(email="ann@example.org")
    assert created.role == Role.MEMBER
    assert not created.is_staff
    assert not created.is_superuser


def test_accepting_an_invitation_gives_the_invited_role_whatever_the_form_says(admin: User) -> None:
    invitation = invitation_create(email="newcomer@example.org", role=Role.MEMBER, actor=admin)
    token = invitation_send(invitation_id=invitation.pk)
    assert token

    response = Client().post(
        reverse("communities:join", args=[token]),
        {
            "name": "New Comer",
            "username": "newcomer",
            "password1": PASSWORD,
            "password2": PASSWORD,
            **ESCALATION_FIELDS,
        },
    )

    assert response.status_code == 302
    assert_still_a_plain_member(User.objects.get(username="newcomer"))


def test_signing_up_with_role_fields_gives_no_role(db: None) -> None:
    response = Client().post(
        reverse("account_signup"),
        {
            "email": "self@example.org",
            "username": "selfmade",
            "password1": PASSWORD,
            "password2": PASSWORD,
            **ESCALATION_FIELDS,
        },
    )

    assert response.status_code == 302
    person = User.objects.get(username="selfmade")
    assert person.role == Role.NONE
    assert not person.is_staff
    assert not person.is_superuser


# --- open redirects ---------------------------------------------------------------------------------

HOSTILE_NEXT = [
    "//evil.example",
    "https://evil.example",
    "http://evil.example/accounts/login/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "javascript:alert(1)",
    "https:evil.example",
    "//evil.example@testserver",
    " //evil.example",
    "/%2F%2Fevil.example",
    "http://testserver.evil.example/",
]


def is_on_site(location: str) -> bool:
    location = location.strip()
    if location.startswith(("http://testserver/", "https://testserver/")):
        return True
    return location.startswith("/") and not location.startswith(("//", "/\\"))


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_log_in_never_sends_the_person_off_site(target: str, member: User) -> None:
    client = Client()
    response = client.post(
        reverse("account_login") + "?next=" + target,
        {"login": member.username, "password": PASSWORD, "next": target},
    )

    assert response.status_code == 302
    assert is_on_site(response["Location"]), response["Location"]
    assert "_auth_user_id" in client.session


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_log_out_never_sends_the_person_off_site(target: str, member: User) -> None:
    client = client_for(member)
    response = client.post(reverse("account_logout") + "?next=" + target, {"next": target})

    assert response.status_code == 302
    assert is_on_site(response["Location"]), response["Location"]


@pytest.mark.parametrize("target", HOSTILE_NEXT[:6])
def test_the_log_in_form_does_not_carry_a_hostile_next_into_a_link(target: str) -> None:
    page = Client().get(reverse("account_login") + "?next=" + target).content.decode()

    hrefs = re.findall(r'href="([^"]*)"', page)
    assert not [h for h in hrefs if "evil.example" in h or h.startswith("javascript:")]


def test_accepting_the_code_of_conduct_never_sends_the_person_off_site(
    member: User, admin: User, committed: Committed
) -> None:
    with committed():
        published = conduct.conduct_publish(actor=admin, text="\n\n".join(XSS_PAYLOADS.values()))
    client = client_for(member)
    shown = client.get("/conduct/?next=//evil.example")
    assert shown.status_code == 200
    assert not active_content(shown)
    assert b"evil.example" not in shown.content

    for target in HOSTILE_NEXT:
        User.objects.filter(pk=member.pk).update(conduct_version=0)
        response = client.post("/conduct/", {"version": published.version, "next": target})

        assert response.status_code == 302, target
        assert is_on_site(response["Location"]), (target, response["Location"])
    member.refresh_from_db()
    assert member.conduct_version == published.version


# --- session fixation -------------------------------------------------------------------------------


def test_logging_in_gives_a_new_session_key_and_the_old_one_is_worthless(member: User) -> None:
    attacker_planted = Client()
    attacker_planted.get(reverse("account_login"))
    session = attacker_planted.session
    session["planted"] = "by an attacker"
    session.save()
    planted_key = session.session_key
    assert planted_key

    response = attacker_planted.post(
        reverse("account_login"), {"login": member.username, "password": PASSWORD}
    )

    assert response.status_code == 302
    new_key = attacker_planted.cookies["sessionid"].value
    assert new_key != planted_key
    assert not Session.objects.filter(session_key=planted_key).exists()
    with_old_key = Client()
    with_old_key.cookies["sessionid"] = planted_key
    assert with_old_key.get(reverse("accounts:profile")).status_code == 302  # to the log-in page


# --- user enumeration -------------------------------------------------------------------------------


def normalised(response: Any, *typed: str) -> str:
    """The page as a person sees it, less what differs on every request and what they typed."""
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
    text = re.sub(r'nonce="[^"]*"', "", text)
    for value in typed:
        text = text.replace(value, "TYPED")
    return text


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer_at_log_in(member: User) -> None:
    known = Client().post(
        reverse("account_login"), {"login": member.username, "password": "wrong-password-1"}
    )
    unknown = Client().post(
        reverse("account_login"), {"login": "nobody-here", "password": "wrong-password-1"}
    )

    assert known.status_code == unknown.status_code
    assert normalised(known, member.username) == normalised(unknown, "nobody-here")


def test_repeated_failures_do_not_reveal_which_accounts_exist(member: User) -> None:
    answers = {}
    for login in (member.email, "nobody@example.nhs.uk"):
        cache.clear()
        client = Client()
        for _ in range(12):
            last = client.post(reverse("account_login"), {"login": login, "password": "wrong-password-1"})
        answers[login] = (last.status_code, normalised(last, login))

    assert answers[member.email] == answers["nobody@example.nhs.uk"]


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(member: User) -> None:
    known = Client().post(reverse("account_reset_password"), {"email": member.email})
    unknown = Client().post(reverse("account_reset_password"), {"email": "nobody@example.nhs.uk"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_applying_with_a_members_address_answers_like_any_other_application(member: User) -> None:
    answers = []
    for email in (member.email, "newcomer@example.nhs.uk"):
        cache.clear()
        client = Client()
        response = client.post(
            reverse("communities:apply"),
            {
                "name": "Ann",
                "email": email,
                "organisation": "Northshire",
                "sector": "nhs",
                "job_role": "Nurse",
                "reason": "To learn",
            },
        )
        assert response.status_code == 302, email
        answers.append(normalised(client.get(response["Location"]), email))

    assert answers[0] == answers[1]


def test_signing_up_with_a_taken_address_answers_like_a_new_one(member: User) -> None:
    answers = []
    for n, email in enumerate((member.email, "newcomer@example.nhs.uk")):
        cache.clear()
        response = Client().post(
            reverse("account_signup"),
            {"email": email, "username": f"newcomer{n}", "password1": PASSWORD, "password2": PASSWORD},
        )
        answers.append((response.status_code, response.get("Location")))

    assert answers[0] == answers[1]


# --- host header poisoning ----------------------------------------------------------------------------


def test_a_forged_host_header_is_refused(member: User) -> None:
    response = Client(HTTP_HOST="evil.example").post(
        reverse("account_reset_password"), {"email": member.email}
    )

    assert response.status_code == 400


def test_a_forwarded_host_never_reaches_the_password_reset_link(
    member: User, mailoutbox: list[EmailMessage]
) -> None:
    response = Client(HTTP_X_FORWARDED_HOST="evil.example").post(
        reverse("account_reset_password"), {"email": member.email}
    )

    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "evil.example" not in mailoutbox[0].body
    assert "/accounts/password/reset/key/" in mailoutbox[0].body
