"""Background work for the wiki: thin tasks that take ids and call a service."""

from __future__ import annotations

from django.tasks import task

from coproduce.wiki import attachments


@task
def scan_attachment(attachment_id: int) -> str:
    """Scan a held attachment for patient data (large uploads): release or quarantine it."""
    return attachments.attachment_scan(attachment_id=attachment_id)
