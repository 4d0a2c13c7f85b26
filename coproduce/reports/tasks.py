"""Background work for papers: a thin task that takes an edition's id and calls the service."""

from __future__ import annotations

from django.tasks import task


@task
def render_edition(edition_id: int) -> None:
    # Imported here: the services enqueue this task, so a module-level import would be circular.
    from coproduce.reports import services

    services.edition_render(edition_id=edition_id)
