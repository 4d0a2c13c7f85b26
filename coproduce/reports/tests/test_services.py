"""Writing and publishing papers: permission, validation, the patient-data guard, limits, audit."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.discussions import services as discussions
from coproduce.discussions.models import Comment
from coproduce.governance.models import AuditEntry
from coproduce.governance.safety import UnsafeContent
from coproduce.lib.errors import Conflict
from coproduce.lib.ratelimit import RateLimited
from coproduce.reports import access, services
from coproduce.reports.models import Edition, Paper, PaperRevision, Section, Source
from coproduce.reports.selectors import board_for, papers_in_space
from coproduce.reports.services import SectionInput, SourcePick
from coproduce.wiki import services as wiki
from coproduce.wiki.models import Page

TEST_NHS_NUMBER = "943 476 5919"


@dataclass
class Scene:
    paper: Paper
    page: Page
    comment: Comment


def make_scene(space: Space, facilitator: User, author: User, commenter: User | None = None) -> Scene:
    """A page by `author` (revision 1) and a comment on it, used in a paper by `facilitator`."""
    page = wiki.page_create(space=space, actor=author, title="Powers", body="# Sharing\nRapid sharing.\n")
    comment = discussions.comment_create(page=page, actor=commenter or author, body="Agreed.")
    paper = services.paper_create(actor=facilitator, space=space, title="The power and perils")
    sections = list(paper.sections.all())
    inputs = [
        SectionInput(
            id=s.pk, heading=s.heading, kind=s.kind, body="" if s.kind == "contributors" else "Text [S1]."
        )
        for s in sections
    ]
    inputs[0].sources = [SourcePick(key=f"page:{page.pk}"), SourcePick(key=f"comment:{comment.pk}")]
    services.paper_update(actor=facilitator, paper=paper, sections=inputs)
    return Scene(paper=paper, page=page, comment=comment)


def test_a_facilitator_creates_a_paper_from_the_briefing_template(
    members_space: Space, facilitator: User
) -> None:
    paper = services.paper_create(actor=facilitator, space=members_space, title="  A  paper ")

    assert paper.title == "A paper"
    assert [s.heading for s in paper.sections.all()][:2] == ["Summary", "Key messages"]
    assert paper.sections.filter(kind=Section.Kind.CONTRIBUTORS).count() == 1
    assert PaperRevision.objects.filter(paper=paper, number=1, author=facilitator).exists()
    assert AuditEntry.objects.filter(action="paper.create", target_id=str(paper.pk)).exists()


def test_a_member_may_not_create_a_paper(members_space: Space, member: User) -> None:
    with pytest.raises(PermissionDenied):
        services.paper_create(actor=member, space=members_space, title="Mine")


def test_an_update_places_sources_in_order_and_records_a_revision(
    members_space: Space, facilitator: User, member: User
) -> None:
    scene = make_scene(members_space, facilitator, member)

    placed = list(Source.objects.filter(paper=scene.paper).order_by("position"))
    assert [(s.key, s.label, s.used, s.revision) for s in placed] == [
        (f"page:{scene.page.pk}", 1, True, 1),
        (f"comment:{scene.comment.pk}", 2, True, None),
    ]
    assert scene.paper.head == 2
    assert AuditEntry.objects.filter(action="paper.update").count() == 1


def test_an_update_with_an_empty_heading_says_which_section(members_space: Space, facilitator: User) -> None:
    paper = services.paper_create(actor=facilitator, space=members_space, title="P", template="blank")

    with pytest.raises(ValidationError) as raised:
        services.paper_update(actor=facilitator, paper=paper, sections=[SectionInput(heading=" ")])

    assert "sections[0].heading" in raised.value.message_dict


def test_an_update_refuses_a_source_the_facilitator_cannot_see(
    members_space: Space, private_space: Space, facilitator: User, admin: User
) -> None:
    hidden = wiki.page_create(space=private_space, actor=admin, title="Elsewhere", body="x")
    paper = services.paper_create(actor=facilitator, space=members_space, title="P", template="blank")

    with pytest.raises(ValidationError) as raised:
        services.paper_update(
            actor=facilitator,
            paper=paper,
            sections=[SectionInput(heading="Intro", sources=[SourcePick(key=f"page:{hidden.pk}")])],
        )

    assert "sections[0].sources" in raised.value.message_dict


def test_omitted_sections_are_deleted_and_their_sources_go_back_to_unsorted(
    members_space: Space, facilitator: User, member: User
) -> None:
    scene = make_scene(members_space, facilitator, member)
    keep = list(scene.paper.sections.all())[1:]

    services.paper_update(
        actor=facilitator,
        paper=scene.paper,
        sections=[SectionInput(id=s.pk, heading=s.heading) for s in keep],
    )

    assert not Source.objects.filter(paper=scene.paper, section__isnull=False).exists()
    assert Source.objects.filter(paper=scene.paper).count() == 2


def test_source_place_moves_a_card_and_marks_it_not_used(
    members_space: Space, facilitator: User, member: User
) -> None:
    scene = make_scene(members_space, facilitator, member)
    target = list(scene.paper.sections.all())[2]

    source = services.source_place(
        actor=facilitator, paper=scene.paper, key=f"comment:{scene.comment.pk}", section=target, used=False
    )

    assert (source.section_id, source.used, source.label) == (target.pk, False, 2)
    assert AuditEntry.objects.filter(action="paper.source_place").exists()


def test_not_decided_on_the_board_clears_a_judgement_and_a_card_moved_into_a_section_counts_as_used(
    members_space: Space, facilitator: User, member: User
) -> None:
    scene = make_scene(members_space, facilitator, member)
    sections = list(scene.paper.sections.all())
    key = f"comment:{scene.comment.pk}"

    undecided = services.source_place(
        actor=facilitator, paper=scene.paper, key=key, section=sections[0], used=None
    )
    moved = services.source_place(
        actor=facilitator, paper=scene.paper, key=key, section=sections[1], used=None
    )

    assert (undecided.used, moved.section_id, moved.used) == (None, sections[1].pk, True)


def test_source_place_refuses_an_unknown_key(members_space: Space, facilitator: User) -> None:
    paper = services.paper_create(actor=facilitator, space=members_space, title="P")

    with pytest.raises(ValidationError) as raised:
        services.source_place(actor=facilitator, paper=paper, key="page:999999", section=None, used=None)

    assert "key" in raised.value.message_dict


def test_publishing_freezes_an_edition_with_version_licence_and_how_to_cite(
    members_space: Space, facilitator: User, member: User
) -> None:
    scene = make_scene(members_space, facilitator, member)

    edition = services.paper_publish(actor=facilitator, paper=scene.paper)

    assert (edition.number, edition.version, edition.status) == (1, "1.0", Edition.Status.PENDING)
    assert edition.licence == "Open Government Licence v3.0"
    year = timezone.localdate().year
    assert f"({year}). The power and perils. Edition 1 (version 1.0)." in edition.how_to_cite
    assert f"/spaces/{members_space.slug}/papers/{scene.paper.pk}/editions/1/" in edition.how_to_cite
    assert "Meera Member (Example NHS Trust)" in edition.how_to_cite
    html = edition.snapshot["sections"][0]["html"]
    assert '<a class="citation" href="#source-1">[S1]</a>' in html
    assert AuditEntry.objects.filter(action="paper.publish").exists()


def test_publishing_is_refused_while_a_text_section_is_empty(members_space: Space, facilitator: User) -> None:
    paper = services.paper_create(actor=facilitator, space=members_space, title="P", template="blank")

    with pytest.raises(services.PaperNotReady) as raised:
        services.paper_publish(actor=facilitator, paper=paper)

    assert raised.value.problems == [
        services.Problem("Section 1 “Introduction”", "This section has no text yet.")
    ]
    assert not Edition.objects.exists()


def test_publishing_is_refused_when_a_used_source_is_no_longer_available(
    members_space: Space, facilitator: User, member: User
) -> None:
    scene = make_scene(members_space, facilitator, member)
    Page.objects.filter(pk=scene.page.pk).delete()

    with pytest.raises(services.PaperNotReady) as raised:
        services.paper_publish(actor=facilitator, paper=scene.paper)

    assert [p.where for p in raised.value.problems] == ["S1 “Powers”", "S2 “Comment on “Powers””"]
    assert not Edition.objects.exists()


def test_publishing_is_refused_when_the_paper_holds_an_nhs_number_and_says_where(
    members_space: Space, facilitator: User, member: User
) -> None:
    scene = make_scene(members_space, facilitator, member)
    second = list(scene.paper.sections.all())[1]
    Section.objects.filter(pk=second.pk).update(body=f"Patient {TEST_NHS_NUMBER} said so.")

    with pytest.raises(UnsafeContent) as raised:
        services.paper_publish(actor=facilitator, paper=scene.paper)

    assert list(raised.value.findings) == ["Section 2 “Key messages”"]
    assert not Edition.objects.exists()


def test_an_update_refuses_an_nhs_number(members_space: Space, facilitator: User) -> None:
    paper = services.paper_create(actor=facilitator, space=members_space, title="P", template="blank")

    with pytest.raises(UnsafeContent) as raised:
        services.paper_update(
            actor=facilitator, paper=paper, sections=[SectionInput(heading="Intro", body=TEST_NHS_NUMBER)]
        )

    assert list(raised.value.findings) == ["sections[0].body"]


def test_a_second_publish_while_rendering_is_a_conflict(
    members_space: Space, facilitator: User, member: User
) -> None:
    scene = make_scene(members_space, facilitator, member)
    services.paper_publish(actor=facilitator, paper=scene.paper)  # on_commit never runs: stays pending

    with pytest.raises(Conflict) as raised:
        services.paper_publish(actor=facilitator, paper=scene.paper)

    assert raised.value.code == "render_in_progress"


def test_publishing_is_rate_limited_per_facilitator(
    members_space: Space, facilitator: User, member: User, settings: object
) -> None:
    settings.RATE_LIMITS_ENABLED = True  # type: ignore[attr-defined]
    settings.PAPER_RENDERS_PER_HOUR = 2  # type: ignore[attr-defined]
    scene = make_scene(members_space, facilitator, member)
    for _ in range(2):
        services.paper_publish(actor=facilitator, paper=scene.paper)
        Edition.objects.update(status=Edition.Status.FAILED)

    with pytest.raises(RateLimited):
        services.paper_publish(actor=facilitator, paper=scene.paper)

    assert Edition.objects.count() == 2


def test_retrying_an_edition_that_did_not_fail_is_a_conflict(
    members_space: Space, facilitator: User, member: User
) -> None:
    scene = make_scene(members_space, facilitator, member)
    edition = services.paper_publish(actor=facilitator, paper=scene.paper)

    with pytest.raises(Conflict) as raised:
        services.edition_retry(actor=facilitator, edition=edition)

    assert raised.value.code == "edition_not_failed"


def test_a_member_chooses_and_removes_a_per_paper_credit(
    members_space: Space, facilitator: User, member: User
) -> None:
    paper = services.paper_create(actor=facilitator, space=members_space, title="P")

    services.credit_choose(actor=member, paper=paper, credit_as="initials")
    assert paper.credit_overrides.get(user=member).credit_as == "initials"
    services.credit_choose(actor=member, paper=paper, credit_as=None)

    assert not paper.credit_overrides.exists()
    assert AuditEntry.objects.filter(action="paper.credit_choose").count() == 2
    with pytest.raises(ValidationError):
        services.credit_choose(actor=member, paper=paper, credit_as="famous")


def test_the_demo_paper_is_published_and_rendered_from_the_masterclass_contributions(db: None) -> None:
    from coproduce.communities.models import Space as SpaceModel
    from coproduce.core import demo, demo_paper

    demo.load_demo(password="a-demo-passphrase-42")
    space = SpaceModel.objects.get(slug=demo.MASTERCLASS_SLUG)
    people = {user.username: user for user in User.objects.all()}

    paper = demo_paper.load_paper(space=space, people=people)

    edition = paper.editions.get()
    assert (edition.number, edition.status) == (1, Edition.Status.READY)
    assert edition.pdf_file.read().startswith(b"%PDF")
    snapshot = edition.snapshot
    assert len(snapshot["sources"]) == 7
    assert snapshot["unnamed_count"] == 1  # Dee chose not to be named on this paper
    names = [c["name"] for c in snapshot["credits"]]
    assert names[0] == "Robin Ashdown (Ashdown Associates)"
    assert "J. P." in names
    assert not any("Dee" in name or "Alex Morgan" in name for name in names)  # Dee: not named; Alex: no part
    assert ("Morgan Reid (Northshire Primary Care Trust)", "reviewer") in [
        (c["name"], c["role"]) for c in snapshot["credits"]
    ]
    assert 'class="citation"' in snapshot["sections"][0]["html"]


def test_the_board_shows_placed_cards_in_their_sections_and_gone_ones_as_unavailable(
    members_space: Space, facilitator: User, member: User
) -> None:
    scene = make_scene(members_space, facilitator, member)
    Comment.objects.filter(pk=scene.comment.pk).update(state=Comment.State.DELETED)

    board = board_for(paper=scene.paper, viewer=facilitator)

    first = board.columns[0].cards
    assert [(c.card.key, c.available) for c in first] == [
        (f"page:{scene.page.pk}", True),
        (f"comment:{scene.comment.pk}", False),
    ]
    assert f"page:{scene.page.pk}#1" in {c.card.key for c in board.unsorted}
    assert all(c.source is None for c in board.unsorted)


def test_drafts_never_leak_and_readers_see_only_ready_editions(
    members_space: Space, facilitator: User, member: User
) -> None:
    scene = make_scene(members_space, facilitator, member)
    edition = services.paper_publish(actor=facilitator, paper=scene.paper)

    assert access.get_paper_for_editor(facilitator, scene.paper.pk, members_space.slug) == scene.paper
    with pytest.raises(Http404):
        access.get_paper_for_editor(member, scene.paper.pk)
    with pytest.raises(Http404):
        access.get_paper_for_reader(member, scene.paper.pk)
    assert papers_in_space(space=members_space, viewer=member) == []
    assert access.get_edition_for_reader(facilitator, scene.paper.pk, 1).pk == edition.pk

    Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.READY)

    assert access.get_edition_for_reader(member, scene.paper.pk, 1).pk == edition.pk
    assert papers_in_space(space=members_space, viewer=member) == [scene.paper]
    with pytest.raises(Http404):
        access.get_paper_for_reader(member, scene.paper.pk, "open-notes")
