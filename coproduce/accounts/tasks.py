"""Background work for accounts: thin tasks that load rows by id and send e-mail."""

from __future__ import annotations

from django.tasks import task

from coproduce.accounts import emails
from coproduce.accounts.models import User


@task
def send_lockout_notice(user_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is not None and user.email and user.locked_until is not None:
        emails.lockout_notice(user)
