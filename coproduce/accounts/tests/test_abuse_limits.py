"""Abuse limits: log-in, sign-up, password reset, applications, page saves, comments and flags are
limited per account and per address, and answer 429 with Retry-After, keeping what was typed."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD, client_for, make_person
from coproduce.accounts.models import Role, User
from coproduce.communities.models import Space
from coproduce.lib import ratelimit
from coproduce.wiki import services as wiki
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db

TOO_MANY = "You have tried this too many times in a short while."


def from_address(address: str, user: User | None = None) -> Client:
    client = Client(REMOTE_ADDR=address)
    if user is not None:
        client.force_login(user)
    return client


def retry_after(response: object) -> int:
    value = response["Retry-After"]  # type: ignore[index]
    assert value.isdigit(), value
    return int(value)


# --- the limiter itself ----------------------------------------------------------------------


def test_a_limit_per_account_refuses_the_account_past_the_limit_and_says_when_to_retry() -> None:
    for _ in range(2):
        ratelimit.hit(scope="test", key="account-1", limit=2, window=60)

    with pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.hit(scope="test", key="account-1", limit=2, window=60)

    assert 1 <= refused.value.retry_after <= 60
    ratelimit.hit(scope="test", key="account-2", limit=2, window=60)  # another account is not refused


def test_during_a_request_several_accounts_at_one_address_share_a_larger_limit(
    settings: Any,
) -> None:
    settings.RATE_LIMIT_ADDRESS_FACTOR = 2
    with ratelimit.request_scope("192.0.2.1"):
        for account in ("a", "b"):
            ratelimit.hit(scope="test", key=account, limit=1, window=60)
        with pytest.raises(ratelimit.RateLimited):
            ratelimit.hit(scope="test", key="e", limit=1, window=60)
        assert ratelimit.last_refusal() is not None
    with ratelimit.request_scope("192.0.2.2"):
        ratelimit.hit(scope="test", key="e", limit=1, window=60)  # from elsewhere: allowed
        assert ratelimit.last_refusal() is None


def test_with_rate_limits_switched_off_nothing_is_refused(settings: Any) -> None:
    settings.RATE_LIMITS_ENABLED = False
    for _ in range(5):
        ratelimit.hit(scope="test", key="a", limit=1, window=60)


# --- log-in, sign-up, password reset (allauth's limits, our answer) -------------------------


def test_too_many_log_ins_from_one_address_answer_429_keeping_the_name_typed(
    settings: Any, member: User
) -> None:
    settings.ACCOUNT_RATE_LIMITS = {"login": "2/m/ip"}
    client = Client()
    for _ in range(2):
        client.post(reverse("account_login"), {"login": "someone-typed-this", "password": "wrong"})

    response = client.post(reverse("account_login"), {"login": "someone-typed-this", "password": "wrong"})

    body = response.content.decode()
    assert response.status_code == 429
    assert retry_after(response) == 60
    assert TOO_MANY in body
    assert 'value="someone-typed-this"' in body
    assert "nhsuk-error-summary" in body
    other = Client(REMOTE_ADDR="192.0.2.9").post(
        reverse("account_login"), {"login": member.username, "password": PASSWORD}
    )
    assert other.status_code == 302  # someone at another address is not refused


def test_too_many_failed_log_ins_for_one_name_answer_429_with_a_clear_message(member: User) -> None:
    client = Client()
    for _ in range(5):  # allauth's "5/5m/key": five failures for one name
        assert (
            client.post(reverse("account_login"), {"login": member.username, "password": "no"}).status_code
            == 200
        )

    response = client.post(reverse("account_login"), {"login": member.username, "password": PASSWORD})

    body = response.content.decode()
    assert response.status_code == 429
    assert retry_after(response) == 300
    assert "too many attempts to log in" in body
    assert "reset your password" in body
    assert f'value="{member.username}"' in body
    assert "_auth_user_id" not in response.wsgi_request.session


def test_too_many_sign_ups_from_one_address_answer_429_keeping_the_form(settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {"signup": "1/m/ip"}
    client = Client()
    first = {"email": "one@example.org", "username": "one", "password1": PASSWORD, "password2": PASSWORD}
    assert client.post(reverse("account_signup"), first).status_code == 302

    second = {"email": "two@example.org", "username": "two", "password1": PASSWORD, "password2": PASSWORD}
    response = client.post(reverse("account_signup"), second)

    body = response.content.decode()
    assert response.status_code == 429
    assert retry_after(response) == 60
    assert 'value="two@example.org"' in body
    assert 'value="two"' in body
    assert PASSWORD not in body
    assert not User.objects.filter(username="two").exists()


def test_sign_ups_naming_one_email_address_are_limited_so_it_is_not_flooded(member: User) -> None:
    client = Client()
    for n in range(3):  # each sends an e-mail to the address (a verification, or "you already have one")
        data = {"email": member.email, "username": f"copy{n}", "password1": PASSWORD, "password2": PASSWORD}
        assert client.post(reverse("account_signup"), data).status_code == 302

    data = {"email": member.email, "username": "copy9", "password1": PASSWORD, "password2": PASSWORD}
    response = client.post(reverse("account_signup"), data)

    assert response.status_code == 429
    assert 1 <= retry_after(response) <= 3600
    assert 'value="copy9"' in response.content.decode()


def test_too_many_password_resets_for_one_address_answer_429_keeping_the_address(
    settings: Any, member: User, mailoutbox: list[object]
) -> None:
    settings.ACCOUNT_RATE_LIMITS = {"reset_password": "20/m/ip,1/h/key"}
    client = Client()
    assert client.post(reverse("account_reset_password"), {"email": member.email}).status_code == 302

    response = client.post(reverse("account_reset_password"), {"email": member.email})

    assert response.status_code == 429
    assert retry_after(response) == 3600
    assert f'value="{member.email}"' in response.content.decode()
    assert len(mailoutbox) == 1


def test_a_reset_for_an_unknown_address_is_limited_the_same_way(settings: Any, db: None) -> None:
    settings.ACCOUNT_RATE_LIMITS = {"reset_password": "20/m/ip,1/h/key"}
    client = Client()
    assert client.post(reverse("account_reset_password"), {"email": "nobody@example.org"}).status_code == 302

    assert client.post(reverse("account_reset_password"), {"email": "nobody@example.org"}).status_code == 429


# --- applications ----------------------------------------------------------------------------


def application(n: int) -> dict[str, str]:
    return {
        "name": f"Applicant {n}",
        "email": f"applicant{n}@example.org",
        "organisation": "Example Trust",
        "sector": "nhs",
        "job_role": "Nurse",
        "reason": "I would like to contribute to the workshop.",
    }


def test_too_many_applications_from_one_address_answer_429_in_html_and_api(db: None) -> None:
    client = Client()
    for n in range(5):
        assert client.post(reverse("communities:apply"), application(n)).status_code == 302

    page = client.post(reverse("communities:apply"), application(6))
    api = client.post("/api/v1/applications", application(7), content_type="application/json")

    assert page.status_code == 429
    assert retry_after(page) >= 1
    assert "applicant6@example.org" in page.content.decode()
    assert api.status_code == 429
    assert api.json()["error"]["code"] == "rate_limited"
    assert retry_after(api) >= 1
    assert (
        Client(REMOTE_ADDR="192.0.2.7").post(reverse("communities:apply"), application(8)).status_code == 302
    )


# --- posting: page saves, comments, flags ----------------------------------------------------


@pytest.fixture
def page(members_space: Space, facilitator: User) -> Page:
    return wiki.page_create(
        space=members_space, actor=facilitator, title="Hints and tips", body="First draft."
    )


def edit_data(page: Page, body: str) -> dict[str, object]:
    return {"title": page.title, "body": body, "summary": "", "base_revision": page.head}


def test_too_many_page_saves_by_one_account_answer_429_and_give_back_the_text(
    settings: Any, member: User, page: Page
) -> None:
    settings.PAGE_SAVES_PER_HOUR = 1
    client = client_for(member)
    url = reverse("wiki:edit", args=[page.space.slug, page.slug])
    assert client.post(url, edit_data(page, "Second draft.")).status_code == 302
    page.refresh_from_db()

    response = client.post(url, edit_data(page, "Third draft, typed with care."))

    assert response.status_code == 429
    assert 1 <= retry_after(response) <= 3600
    assert "Third draft, typed with care." in response.content.decode()
    page.refresh_from_db()
    assert page.head == 2


def test_too_many_page_saves_through_the_api_answer_429_rate_limited(
    settings: Any, member: User, page: Page
) -> None:
    settings.PAGE_SAVES_PER_HOUR = 1
    client = client_for(member)
    url = f"/api/v1/spaces/{page.space.slug}/pages/{page.slug}"
    first = client.put(url, {"body": "Second.", "base_revision": 1}, content_type="application/json")
    assert first.status_code == 200, first.content

    response = client.put(url, {"body": "Third.", "base_revision": 2}, content_type="application/json")

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert retry_after(response) >= 1


def test_page_saves_by_several_accounts_at_one_address_share_its_limit(
    settings: Any, member: User, page: Page
) -> None:
    settings.PAGE_SAVES_PER_HOUR = 1
    settings.RATE_LIMIT_ADDRESS_FACTOR = 1
    colleague = make_person("cora", Role.MEMBER, name="Cora Colleague")
    url = reverse("wiki:edit", args=[page.space.slug, page.slug])
    assert from_address("192.0.2.10", member).post(url, edit_data(page, "By Meera.")).status_code == 302
    page.refresh_from_db()

    same_place = from_address("192.0.2.10", colleague).post(url, edit_data(page, "By Cora."))
    elsewhere = from_address("192.0.2.11", colleague).post(url, edit_data(page, "By Cora, at home."))

    assert same_place.status_code == 429
    assert elsewhere.status_code == 302


def test_too_many_comments_answer_429_with_retry_after_and_keep_the_comment(member: User, page: Page) -> None:
    client = client_for(member)
    url = reverse("discussions:create", args=[page.space.slug, page.slug])
    for n in range(10):  # discussions.services.COMMENTS_PER_MINUTE
        assert client.post(url, {"body": f"Comment {n}."}).status_code == 302

    response = client.post(url, {"body": "One comment too many."})

    assert response.status_code == 429
    assert 1 <= retry_after(response) <= 60
    assert "One comment too many." in response.content.decode()


def test_too_many_comments_through_the_api_answer_429_rate_limited(member: User, page: Page) -> None:
    client = client_for(member)
    url = f"/api/v1/spaces/{page.space.slug}/pages/{page.slug}/comments"
    for n in range(10):
        response = client.post(url, {"body": f"Comment {n}."}, content_type="application/json")
        assert response.status_code == 201, response.content

    response = client.post(url, {"body": "Too many."}, content_type="application/json")

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert retry_after(response) >= 1


def test_too_many_flags_answer_429_with_retry_after_per_account_and_per_address(
    settings: Any, member: User, page: Page
) -> None:
    settings.FLAGS_PER_HOUR = 1
    settings.RATE_LIMIT_ADDRESS_FACTOR = 1
    second = wiki.page_create(space=page.space, actor=member, title="Second page", body="Text.")
    colleague = make_person("cora", Role.MEMBER, name="Cora Colleague")
    flag = {"reason": "misleading", "note": "This advice looks out of date."}
    client = from_address("192.0.2.20", member)
    assert (
        client.post(reverse("governance:flag_page", args=[page.space.slug, page.slug]), flag).status_code
        == 302
    )

    again = client.post(reverse("governance:flag_page", args=[second.space.slug, second.slug]), flag)
    same_address = from_address("192.0.2.20", colleague).post(
        reverse("governance:flag_page", args=[second.space.slug, second.slug]), flag
    )
    other_address = from_address("192.0.2.21", colleague).post(
        reverse("governance:flag_page", args=[second.space.slug, second.slug]), flag
    )

    assert again.status_code == 429
    assert 1 <= retry_after(again) <= 3600
    assert "This advice looks out of date." in again.content.decode()
    assert same_address.status_code == 429
    assert other_address.status_code == 302
