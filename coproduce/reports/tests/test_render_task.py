"""Rendering editions in the background: claims with a lease, failures, retries, stale workers."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from django.utils import timezone

from conftest import Committed
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.reports import services
from coproduce.reports.models import Edition
from coproduce.reports.tests.test_services import make_scene

Status = Edition.Status


def _published(space: Space, facilitator: User, member: User) -> Edition:
    scene = make_scene(space, facilitator, member)
    return services.paper_publish(actor=facilitator, paper=scene.paper)  # stays pending: no commit


def test_publishing_renders_the_three_files_after_commit(
    members_space: Space, facilitator: User, member: User, committed: Committed
) -> None:
    scene = make_scene(members_space, facilitator, member)

    with committed():
        edition = services.paper_publish(actor=facilitator, paper=scene.paper)

    edition.refresh_from_db()
    assert (edition.status, edition.progress, edition.attempts, edition.error) == (Status.READY, 100, 1, "")
    assert str(edition.pdf_file.name).endswith("/the-power-and-perils-edition-1.pdf")
    assert edition.pdf_file.read().startswith(b"%PDF")
    assert zipfile.is_zipfile(io.BytesIO(edition.docx_file.read()))
    html = edition.html_file.read().decode()
    assert "The power and perils" in html
    assert 'id="source-1"' in html
    assert edition.rendered_at is not None


def test_a_ready_edition_is_not_rendered_again(members_space: Space, facilitator: User, member: User) -> None:
    edition = _published(members_space, facilitator, member)
    services.edition_render(edition_id=edition.pk, worker="first")
    edition.refresh_from_db()
    name = edition.pdf_file.name

    services.edition_render(edition_id=edition.pk, worker="second")

    edition.refresh_from_db()
    assert (edition.claimed_by, edition.attempts, edition.pdf_file.name) == ("first", 1, name)


def test_a_live_claim_keeps_other_workers_out(members_space: Space, facilitator: User, member: User) -> None:
    edition = _published(members_space, facilitator, member)
    Edition.objects.filter(pk=edition.pk).update(
        status=Status.RENDERING,
        claimed_by="busy",
        claimed_until=timezone.now() + timedelta(minutes=5),
        attempts=1,
    )

    services.edition_render(edition_id=edition.pk, worker="other")

    edition.refresh_from_db()
    assert (edition.status, edition.claimed_by, edition.attempts) == (Status.RENDERING, "busy", 1)
    assert not edition.pdf_file


def test_an_expired_claim_lets_another_worker_take_over(
    members_space: Space, facilitator: User, member: User
) -> None:
    edition = _published(members_space, facilitator, member)
    Edition.objects.filter(pk=edition.pk).update(
        status=Status.RENDERING,
        claimed_by="killed",
        claimed_until=timezone.now() - timedelta(seconds=1),
        attempts=1,
    )

    assert services.editions_reclaim_stale(now=timezone.now()) == 1  # the task runs at once in tests

    edition.refresh_from_db()
    assert (edition.status, edition.attempts) == (Status.READY, 2)
    assert edition.claimed_by != "killed"


def test_a_render_that_keeps_dying_ends_failed_not_pending_for_ever(
    members_space: Space, facilitator: User, member: User, settings: object
) -> None:
    edition = _published(members_space, facilitator, member)
    Edition.objects.filter(pk=edition.pk).update(
        status=Status.RENDERING,
        claimed_by="killed",
        claimed_until=timezone.now() - timedelta(seconds=1),
        attempts=settings.RENDER_ATTEMPTS,  # type: ignore[attr-defined]
    )

    assert services.editions_reclaim_stale(now=timezone.now()) == 1

    edition.refresh_from_db()
    assert edition.status == Status.FAILED
    assert edition.error == f"The render stopped before it finished (tried {settings.RENDER_ATTEMPTS} times)"  # type: ignore[attr-defined]


def test_a_pending_edition_whose_task_was_lost_is_sent_again(
    members_space: Space, facilitator: User, member: User
) -> None:
    edition = _published(members_space, facilitator, member)
    Edition.objects.filter(pk=edition.pk).update(published_at=timezone.now() - timedelta(days=1))

    services.editions_reclaim_stale(now=timezone.now())

    edition.refresh_from_db()
    assert edition.status == Status.READY


def test_a_failing_render_shows_failed_with_the_reason_and_no_files_and_can_be_retried(
    members_space: Space, facilitator: User, member: User, committed: Committed
) -> None:
    edition = _published(members_space, facilitator, member)
    good = edition.snapshot
    Edition.objects.filter(pk=edition.pk).update(snapshot={**good, "sections": [{"heading": "broken"}]})

    services.edition_render(edition_id=edition.pk, worker="w")

    edition.refresh_from_db()
    assert edition.status == Status.FAILED
    assert edition.error.startswith("Failed while reading the frozen edition:")
    assert not edition.html_file
    assert not edition.pdf_file
    assert not edition.docx_file
    assert not edition.claimed_until

    Edition.objects.filter(pk=edition.pk).update(snapshot=good)
    with committed():
        services.edition_retry(actor=facilitator, edition=edition)

    edition.refresh_from_db()
    assert (edition.status, edition.error, edition.attempts) == (Status.READY, "", 1)
    assert edition.pdf_file.read().startswith(b"%PDF")
