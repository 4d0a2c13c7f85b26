"""Applying to join, and the admins' review queue, in the browser."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from conftest import Committed, client_for
from coproduce.accounts.models import Role, User
from coproduce.communities import services
from coproduce.communities.models import AllowedDomain, Application
from coproduce.communities.tests.helpers import APPLICATION, TEST_NHS_NUMBER
from coproduce.governance.models import AuditEntry
from coproduce.lib.errors import Conflict

pytestmark = pytest.mark.django_db


def submit(**changes: str) -> Application:
    return services.application_submit(**{**APPLICATION, **changes}, ip="192.0.2.1")


def html_email(message: mail.EmailMessage) -> str:
    assert isinstance(message, mail.EmailMultiAlternatives)
    return str(message.alternatives[0][0])


# --- the application form ---------------------------------------------------


def test_anyone_can_see_the_application_form(anonymous: Client) -> None:
    response = anonymous.get("/apply/")
    assert response.status_code == 200
    assert b"Why would you like to join?" in response.content


def test_applying_stores_the_application_audits_it_and_e_mails_the_applicant(
    anonymous: Client, committed: Committed
) -> None:
    with committed():
        response = anonymous.post("/apply/", APPLICATION)
    assert response.status_code == 302
    assert response["Location"] == "/apply/thanks/"
    application = Application.objects.get()
    assert (application.name, application.status, application.sector) == (
        "Chris Taylor",
        "pending",
        "social_care",
    )
    entry = AuditEntry.objects.get(action="application.submit")
    assert entry.actor is None
    assert entry.target_id == str(application.pk)
    assert entry.after["status"] == "pending"
    assert [m.to for m in mail.outbox] == [["chris@example.gov.uk"]]
    assert "received your application" in mail.outbox[0].subject
    assert "Chris Taylor" in mail.outbox[0].body
    assert "Chris Taylor" in html_email(mail.outbox[0])
    thanks = anonymous.get("/apply/thanks/")
    assert b"Thank you for applying" in thanks.content


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Enter your full name."),
        ("email", "", "Enter your e-mail address."),
        ("email", "not-an-address", "Enter an e-mail address in the correct format"),
        ("organisation", "", "Enter the organisation you work or study in."),
        ("sector", "pharma", "Choose one of the sectors listed."),
        ("sector", "", "Choose your sector."),
        ("reason", "", "Tell us why you would like to join."),
        ("reason", "x" * 2001, "at most 2000 characters"),
    ],
)
def test_a_bad_field_is_named_in_the_form_and_everything_typed_is_kept(
    anonymous: Client, field: str, value: str, message: str
) -> None:
    response = anonymous.post("/apply/", {**APPLICATION, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert b"There is a problem" in response.content
    assert b"Eastgate County Council" in response.content or field == "organisation"
    assert b"I support care homes adopting online tools." in response.content or field == "reason"
    assert not Application.objects.exists()


def test_a_second_pending_application_from_the_same_address_is_refused(anonymous: Client) -> None:
    submit()
    response = anonymous.post("/apply/", {**APPLICATION, "email": "Chris@Example.gov.uk"})
    assert response.status_code == 200
    assert services.DUPLICATE_APPLICATION in response.content.decode()
    assert Application.objects.count() == 1


def test_the_service_refuses_a_duplicate_pending_application_with_a_field_error() -> None:
    submit()
    with pytest.raises(ValidationError) as caught:
        submit(name="Someone else")
    assert caught.value.message_dict == {"email": [services.DUPLICATE_APPLICATION]}


def test_an_nhs_number_in_the_reason_is_refused_with_a_form_error_and_the_text_kept(
    anonymous: Client,
) -> None:
    reason = f"My patient {TEST_NHS_NUMBER} would benefit."
    response = anonymous.post("/apply/", {**APPLICATION, "reason": reason})
    assert response.status_code == 200
    page = response.content.decode()
    assert "an NHS number at characters 12\N{EN DASH}23" in page
    assert reason in page
    assert "Eastgate County Council" in page
    assert not Application.objects.exists()
    assert not AuditEntry.objects.exists()


def test_applications_are_rate_limited_per_address_with_a_429_page(anonymous: Client) -> None:
    statuses = [
        anonymous.post("/apply/", {**APPLICATION, "email": f"person{i}@example.org"}).status_code
        for i in range(6)
    ]
    assert statuses == [302] * 5 + [429]
    limited = anonymous.post("/apply/", {**APPLICATION, "email": "late@example.org"})
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert b"Too many applications" in limited.content
    assert Application.objects.count() == 5


def test_another_address_is_not_limited_by_someone_elses_applications(anonymous: Client) -> None:
    for i in range(5):
        submit(email=f"person{i}@example.org")
    response = anonymous.post("/apply/", APPLICATION, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 302


# --- the allow-list ---------------------------------------------------------


def test_an_applicant_at_an_allow_listed_domain_is_approved_at_once(
    anonymous: Client, committed: Committed
) -> None:
    AllowedDomain.objects.create(domain="nhs.net")
    with committed():
        response = anonymous.post("/apply/", {**APPLICATION, "email": "chris.taylor@trust.nhs.net"})
    assert response.status_code == 302
    application = Application.objects.get()
    assert application.status == "approved"
    assert application.decided_by is None
    assert "nhs.net" in application.decision_reason
    user = User.objects.get(email="chris.taylor@trust.nhs.net")
    assert (user.role, user.username, user.name, user.sector) == (
        "member",
        "chris.taylor",
        "Chris Taylor",
        "social_care",
    )
    assert [e.action for e in AuditEntry.objects.order_by("id")] == [
        "application.submit",
        "membership.grant",
        "application.approve",
    ]
    assert len(mail.outbox) == 1
    assert "approved" in mail.outbox[0].subject
    assert b"You are a member" in anonymous.get("/apply/thanks/").content


def test_a_look_alike_domain_is_not_allow_listed() -> None:
    AllowedDomain.objects.create(domain="nhs.net")
    assert submit(email="chris@notnhs.net").status == "pending"
    assert submit(email="kim@nhs.net.example.org").status == "pending"


# --- the review queue: who may see it ---------------------------------------


def test_an_admin_sees_pending_applications(admin: User) -> None:
    submit()
    response = client_for(admin).get("/applications/")
    assert response.status_code == 200
    assert b"Chris Taylor" in response.content


@pytest.mark.parametrize("persona", ["member", "facilitator", "moderator", "outsider"])
def test_people_who_are_not_admins_cannot_see_the_queue(persona: str, request: pytest.FixtureRequest) -> None:
    user: User = request.getfixturevalue(persona)
    application = submit()
    client = client_for(user)
    assert client.get("/applications/").status_code == 403
    assert client.get(f"/applications/{application.pk}/").status_code == 403
    assert client.post(f"/applications/{application.pk}/approve/", {}).status_code == 403
    assert (
        client.post(
            "/applications/bulk/", {"applications": [application.pk], "decision": "approve"}
        ).status_code
        == 403
    )
    application.refresh_from_db()
    assert application.status == "pending"


def test_anonymous_visitors_are_sent_to_log_in(anonymous: Client) -> None:
    application = submit()
    for path in ("/applications/", f"/applications/{application.pk}/"):
        response = anonymous.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert anonymous.post(f"/applications/{application.pk}/approve/").status_code == 302
    application.refresh_from_db()
    assert application.status == "pending"


def test_the_queue_filters_by_status(admin: User) -> None:
    submit()
    rejected = submit(email="other@example.org", name="Robin Other")
    services.application_reject(application=rejected, actor=admin, reason="Not in scope.")
    client = client_for(admin)
    pending = client.get("/applications/").content
    assert b"Chris Taylor" in pending
    assert b"Robin Other" not in pending
    only_rejected = client.get("/applications/?status=rejected").content
    assert b"Robin Other" in only_rejected
    assert b"Chris Taylor" not in only_rejected
    assert b"Robin Other" in client.get("/applications/?status=all").content


def test_an_admin_sees_an_applications_details(admin: User) -> None:
    application = submit(professional_registration="NMC 12A3456E")
    response = client_for(admin).get(f"/applications/{application.pk}/")
    assert response.status_code == 200
    for text in (
        b"chris@example.gov.uk",
        b"Commissioning manager",
        b"NMC 12A3456E",
        b"adopting online tools",
    ):
        assert text in response.content


# --- approving and rejecting -------------------------------------------------


def test_approving_creates_a_member_who_sets_a_password_from_the_e_mail_and_logs_in(
    admin: User, committed: Committed
) -> None:
    application = submit()
    mail.outbox.clear()
    with committed():
        response = client_for(admin).post(
            f"/applications/{application.pk}/approve/", {"approve-reason": "Welcome!"}
        )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "approved"
    assert application.decided_by == admin
    user = User.objects.get(email="chris@example.gov.uk")
    assert application.user == user
    assert (user.role, user.username, user.organisation, user.job_role) == (
        "member",
        "chris",
        "Eastgate County Council",
        "Commissioning manager",
    )
    assert not user.has_usable_password()
    assert EmailAddress.objects.filter(
        user=user, email="chris@example.gov.uk", verified=True, primary=True
    ).exists()
    entry = AuditEntry.objects.get(action="application.approve")
    assert entry.actor == admin
    assert entry.changes["status"] == ("pending", "approved")
    assert entry.after["user"] == "chris"

    [message] = mail.outbox
    assert message.to == ["chris@example.gov.uk"]
    assert "Welcome!" in message.body
    link = re.search(r"http://\S+/accounts/password/reset/key/\S+/", str(message.body))
    assert link is not None
    assert link.group(0) in html_email(message)

    applicant = Client()
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    form_page = applicant.get("/" + path, follow=True)
    assert form_page.status_code == 200
    set_password_path = form_page.redirect_chain[-1][0] if form_page.redirect_chain else "/" + path
    password = "a-new-and-long-passphrase-77"
    done = applicant.post(set_password_path, {"password1": password, "password2": password})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.has_usable_password()
    logged_in = applicant.post("/accounts/login/", {"login": "chris", "password": password})
    assert logged_in.status_code == 302
    assert applicant.get("/spaces/").wsgi_request.user == user


def test_approving_an_application_from_someone_with_an_account_links_it(admin: User, outsider: User) -> None:
    application = submit(email=outsider.email)
    services.application_approve(application=application, actor=admin)
    outsider.refresh_from_db()
    assert outsider.role == Role.MEMBER
    assert Application.objects.get().user == outsider
    assert User.objects.filter(email=outsider.email).count() == 1


def test_usernames_made_from_e_mail_addresses_are_unique(admin: User, member: User) -> None:
    application = submit(email="Meera@Elsewhere.org")
    approved = services.application_approve(application=application, actor=admin)
    assert approved.user is not None
    assert approved.user.username == "meera2"


def test_rejecting_tells_the_applicant_the_reason_and_is_audited(admin: User, committed: Committed) -> None:
    application = submit()
    mail.outbox.clear()
    with committed():
        response = client_for(admin).post(
            f"/applications/{application.pk}/reject/", {"reject-reason": "Please apply through your trust."}
        )
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.decision_reason) == (
        "rejected",
        "Please apply through your trust.",
    )
    assert not User.objects.filter(email="chris@example.gov.uk").exists()
    entry = AuditEntry.objects.get(action="application.reject")
    assert entry.changes["status"] == ("pending", "rejected")
    assert entry.after["reason"] == "Please apply through your trust."
    [message] = mail.outbox
    assert message.to == ["chris@example.gov.uk"]
    assert "not approved" in message.subject
    assert "Please apply through your trust." in message.body
    assert "Please apply through your trust." in html_email(message)


def test_rejecting_without_a_reason_is_refused_with_a_form_error(admin: User, committed: Committed) -> None:
    application = submit()
    mail.outbox.clear()
    with committed():
        response = client_for(admin).post(f"/applications/{application.pk}/reject/", {"reject-reason": "  "})
    assert response.status_code == 200
    assert b"Give a reason for rejecting the application." in response.content
    application.refresh_from_db()
    assert application.status == "pending"
    assert mail.outbox == []
    with pytest.raises(ValidationError) as caught:
        services.application_reject(application=application, actor=admin, reason="")
    assert "reason" in caught.value.message_dict


def test_an_nhs_number_in_a_rejection_reason_is_refused_and_the_reason_kept(admin: User) -> None:
    application = submit()
    reason = f"You mentioned {TEST_NHS_NUMBER}."
    response = client_for(admin).post(f"/applications/{application.pk}/reject/", {"reject-reason": reason})
    assert response.status_code == 200
    assert "NHS number" in response.content.decode()
    assert reason in response.content.decode()
    application.refresh_from_db()
    assert application.status == "pending"


def test_deciding_an_application_twice_is_a_conflict(admin: User) -> None:
    application = submit()
    services.application_approve(application=application, actor=admin)
    with pytest.raises(Conflict):
        services.application_reject(application=application, actor=admin, reason="Changed my mind.")
    response = client_for(admin).post(f"/applications/{application.pk}/reject/", {"reject-reason": "Again"})
    assert response.status_code == 200
    assert b"already been decided" in response.content
    assert Application.objects.get().status == "approved"


def test_the_services_refuse_people_who_are_not_admins(member: User, moderator: User) -> None:
    application = submit()
    for person in (member, moderator):
        with pytest.raises(PermissionDenied):
            services.application_approve(application=application, actor=person)
        with pytest.raises(PermissionDenied):
            services.application_reject(application=application, actor=person, reason="No.")
    assert Application.objects.get().status == "pending"


# --- several at once ---------------------------------------------------------


def test_an_admin_approves_several_applications_at_once(admin: User, committed: Committed) -> None:
    applications = [submit(email=f"person{i}@example.org", name=f"Person {i}") for i in range(3)]
    left_alone = submit(email="later@example.org")
    mail.outbox.clear()
    with committed():
        response = client_for(admin).post(
            "/applications/bulk/", {"applications": [a.pk for a in applications], "decision": "approve"}
        )
    assert response.status_code == 302
    assert set(Application.objects.filter(status="approved").values_list("pk", flat=True)) == {
        a.pk for a in applications
    }
    left_alone.refresh_from_db()
    assert left_alone.status == "pending"
    assert User.objects.filter(role="member", email__startswith="person").count() == 3
    assert AuditEntry.objects.filter(action="application.approve", actor=admin).count() == 3
    assert sorted(m.to[0] for m in mail.outbox) == [f"person{i}@example.org" for i in range(3)]


def test_rejecting_several_at_once_needs_a_reason(admin: User, committed: Committed) -> None:
    applications = [submit(email=f"person{i}@example.org") for i in range(2)]
    client = client_for(admin)
    ids = [a.pk for a in applications]
    refused = client.post("/applications/bulk/", {"applications": ids, "decision": "reject", "reason": ""})
    assert refused.status_code == 200
    assert b"Give a reason for rejecting the selected applications." in refused.content
    assert Application.objects.filter(status="pending").count() == 2
    mail.outbox.clear()
    with committed():
        done = client.post(
            "/applications/bulk/", {"applications": ids, "decision": "reject", "reason": "Full up."}
        )
    assert done.status_code == 302
    assert Application.objects.filter(status="rejected", decision_reason="Full up.").count() == 2
    assert len(mail.outbox) == 2


def test_bulk_deciding_with_nothing_selected_says_so(admin: User) -> None:
    response = client_for(admin).post("/applications/bulk/", {"decision": "approve"})
    assert response.status_code == 200
    assert b"Select at least one application." in response.content


def test_bulk_deciding_an_application_already_decided_reports_it(admin: User) -> None:
    application = submit()
    services.application_approve(application=application, actor=admin)
    response = client_for(admin).post(
        "/applications/bulk/", {"applications": [application.pk], "decision": "reject"}
    )
    assert response.status_code == 200
    assert b"already been decided" in response.content
