"""Background work for membership: thin tasks that load rows by id and send e-mail."""

from __future__ import annotations

from django.tasks import task

from coproduce.communities import emails
from coproduce.communities.models import Application


@task
def send_application_received(application_id: int) -> None:
    application = Application.objects.filter(pk=application_id).first()
    if application is not None:
        emails.application_received(application)


@task
def send_application_decision(application_id: int) -> None:
    application = Application.objects.select_related("user").filter(pk=application_id).first()
    if application is not None:
        emails.application_decided(application)


@task
def send_invitation(invitation_id: int) -> None:
    # Imported here: services enqueue this task, so a module-level import would be circular.
    from coproduce.communities.services import invitation_send

    invitation_send(invitation_id=invitation_id)
