"""Briefing papers in the browser: who sees what, the board's forms, refusals that keep what was
typed, publishing with the patient-data guard, editions and their files, the credit choice."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from conftest import Committed, client_for
from coproduce.accounts.models import CreditChoice, User
from coproduce.communities.models import Space
from coproduce.governance.models import AuditEntry
from coproduce.reports import services
from coproduce.reports.models import Edition, Paper, PaperCredit, Section, Source
from coproduce.wiki import services as wiki
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db

# In the range reserved for testing; valid under modulus 11.
TEST_NHS_NUMBER = "943 476 5919"


def url(name: str, paper: Paper, **extra: object) -> str:
    return reverse(f"reports:{name}", kwargs={"space_slug": paper.space.slug, "pk": paper.pk, **extra})


def draft(space: Space, facilitator: User, *, text: str = "What members told us.") -> Paper:
    """A blank-template paper whose one text section has text, ready to publish."""
    paper = services.paper_create(actor=facilitator, space=space, title="Power and perils", template="blank")
    section = paper.sections.get(kind=Section.Kind.TEXT)
    services.section_write(actor=facilitator, section=section, heading=section.heading, body=text)
    return paper


def a_page(space: Space, author: User) -> Page:
    return wiki.page_create(space=space, actor=author, title="Social media", body="# Risks\nOversharing.\n")


def published(paper: Paper, facilitator: User, committed: Committed) -> Edition:
    with committed():
        response = client_for(facilitator).post(url("publish", paper))
    assert response.status_code == 302
    edition = Edition.objects.get(paper=paper)
    assert response["Location"] == url("edition", paper, number=edition.number)
    return edition


# --- who sees what ---------------------------------------------------------------------------------


def test_an_outsider_finds_no_draft_and_none_of_its_pages(
    members_space: Space, facilitator: User, outsider: User
) -> None:
    paper = draft(members_space, facilitator)
    client = client_for(outsider)

    for name in ("paper", "edit", "board", "preview", "credit"):
        assert client.get(url(name, paper)).status_code == 404, name
    assert client.post(url("publish", paper)).status_code == 404
    assert not Edition.objects.exists()


def test_a_member_finds_no_draft_and_the_list_does_not_name_it(
    members_space: Space, facilitator: User, member: User
) -> None:
    paper = draft(members_space, facilitator)
    client = client_for(member)

    for name in ("paper", "edit", "board", "preview"):
        assert client.get(url(name, paper)).status_code == 404, name
    listing = client.get(reverse("reports:list", args=[members_space.slug]))
    assert listing.status_code == 200
    assert paper.title not in listing.content.decode()
    assert "New paper" not in listing.content.decode()
    assert (
        client.post(reverse("reports:create", args=[members_space.slug]), {"title": "Mine"}).status_code
        == 404
    )


def test_an_anonymous_visitor_finds_no_paper_of_a_members_space(
    members_space: Space, facilitator: User, anonymous: Client, committed: Committed
) -> None:
    paper = draft(members_space, facilitator)
    edition = published(paper, facilitator, committed)

    assert anonymous.get(url("paper", paper)).status_code == 404
    assert anonymous.get(url("edition_file", paper, number=edition.number, fmt="pdf")).status_code == 404


def test_a_reader_sees_a_ready_edition_and_downloads_its_files(
    members_space: Space, facilitator: User, member: User, committed: Committed
) -> None:
    paper = draft(members_space, facilitator)
    edition = published(paper, facilitator, committed)
    edition.refresh_from_db()
    assert edition.status == Edition.Status.READY, edition.error
    client = client_for(member)

    listing = client.get(reverse("reports:list", args=[members_space.slug])).content.decode()
    page = client.get(url("paper", paper))
    shown = client.get(url("edition", paper, number=1)).content.decode()
    pdf = client.get(url("edition_file", paper, number=1, fmt="pdf"))
    docx = client.get(url("edition_file", paper, number=1, fmt="docx"))
    html = client.get(url("edition_file", paper, number=1, fmt="html"))

    assert "Power and perils" in listing
    assert "Edition 1" in listing
    assert page.status_code == 200
    assert url("publish", paper) not in page.content.decode()
    assert "Ready" in shown
    assert url("edition_file", paper, number=1, fmt="pdf") in shown
    assert 'hx-trigger="every 2s"' not in shown  # nothing to wait for
    assert pdf.status_code == 200
    assert pdf.getvalue().startswith(b"%PDF")
    assert pdf["Content-Disposition"].startswith("attachment;")
    assert docx["Content-Disposition"].startswith("attachment;")
    assert docx.getvalue().startswith(b"PK")
    assert html.status_code == 200
    assert b"What members told us." in html.content
    policy = html["Content-Security-Policy"]
    assert "style-src 'self' 'sha256-" in policy
    assert "script-src 'none'" in policy
    assert client.get(url("edition_file", paper, number=1, fmt="odt")).status_code == 404


def test_a_file_lost_from_storage_is_rebuilt_from_the_edition_and_the_reader_is_asked_to_come_back(
    members_space: Space, facilitator: User, member: User, committed: Committed
) -> None:
    paper = draft(members_space, facilitator)
    edition = published(paper, facilitator, committed)
    edition.refresh_from_db()
    edition.pdf_file.storage.delete(str(edition.pdf_file.name))
    client = client_for(member)

    with committed():
        lost = client.get(url("edition_file", paper, number=1, fmt="pdf"))

    assert lost.status_code == 503
    assert lost["Retry-After"] == "60"
    assert "This file is being rebuilt" in lost.content.decode()
    assert AuditEntry.objects.filter(action="edition.rebuild", target_id=str(edition.pk)).count() == 1
    edition.refresh_from_db()
    assert edition.status == Edition.Status.READY, edition.error
    again = client.get(url("edition_file", paper, number=1, fmt="pdf"))
    assert again.status_code == 200
    assert again.getvalue().startswith(b"%PDF")


def test_a_member_sees_no_edition_that_is_not_ready_and_no_file_of_it(
    members_space: Space, facilitator: User, member: User
) -> None:
    paper = draft(members_space, facilitator)
    services.paper_publish(actor=facilitator, paper=paper)  # no commit: it stays pending
    edition = Edition.objects.get(paper=paper)

    assert edition.status == Edition.Status.PENDING
    assert client_for(member).get(url("edition", paper, number=1)).status_code == 404
    for fmt in ("html", "pdf", "docx"):
        assert client_for(facilitator).get(url("edition_file", paper, number=1, fmt=fmt)).status_code == 404


# --- creating and editing ----------------------------------------------------------------------------


def test_a_facilitator_creates_a_paper_from_the_list_and_lands_on_its_board(
    members_space: Space, facilitator: User
) -> None:
    client = client_for(facilitator)
    listing = client.get(reverse("reports:list", args=[members_space.slug])).content.decode()

    response = client.post(
        reverse("reports:create", args=[members_space.slug]),
        {"title": "Social media", "template": "briefing"},
    )

    paper = Paper.objects.get(title="Social media")
    assert "New paper" in listing
    assert response.status_code == 302
    assert response["Location"] == url("board", paper)
    assert [s.heading for s in paper.sections.all()][:2] == ["Summary", "Key messages"]


def test_a_paper_without_a_title_is_refused_with_the_template_kept(
    members_space: Space, facilitator: User
) -> None:
    response = client_for(facilitator).post(
        reverse("reports:create", args=[members_space.slug]), {"title": " ", "template": "blank"}
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert "Enter a title for the paper." in body
    assert re.search(r'value="blank"[^>]*checked', body)
    assert not Paper.objects.exists()


def edit_data(paper: Paper, **changes: str) -> dict[str, str]:
    sections = list(paper.sections.order_by("position"))
    data = {
        "title": paper.title,
        "licence": paper.licence,
        "sections-TOTAL_FORMS": str(len(sections) + 1),
        "sections-INITIAL_FORMS": str(len(sections)),
        "sections-MIN_NUM_FORMS": "0",
        "sections-MAX_NUM_FORMS": "100",
    }
    for i, section in enumerate(sections):
        data |= {
            f"sections-{i}-id": str(section.pk),
            f"sections-{i}-heading": section.heading,
            f"sections-{i}-kind": section.kind,
            f"sections-{i}-body": section.body,
            f"sections-{i}-ORDER": str(i + 1),
        }
    extra = len(sections)
    data |= {f"sections-{extra}-heading": "", f"sections-{extra}-kind": "text", f"sections-{extra}-body": ""}
    return data | changes


def test_the_edit_page_adds_reorders_and_removes_sections(members_space: Space, facilitator: User) -> None:
    paper = services.paper_create(actor=facilitator, space=members_space, title="Power and perils")
    headings = [s.heading for s in paper.sections.order_by("position")]
    removed = paper.sections.get(heading="Key messages")
    extra = len(headings)
    data = edit_data(
        paper,
        **{
            "title": "Power and perils, revised",
            "sections-0-ORDER": "99",  # Summary goes last
            "sections-0-body": "In short.",
            "sections-1-DELETE": "on",  # Key messages goes
            f"sections-{extra}-heading": "Background",  # a new first section
            f"sections-{extra}-body": "Where it started.",
            f"sections-{extra}-ORDER": "0",
        },
    )

    response = client_for(facilitator).post(url("edit", paper), data)

    assert response.status_code == 302
    paper.refresh_from_db()
    assert paper.title == "Power and perils, revised"
    assert [s.heading for s in paper.sections.order_by("position")] == [
        "Background",
        *headings[2:],
        "Summary",
    ]
    assert paper.sections.get(heading="Summary").body == "In short."
    assert not Section.objects.filter(pk=removed.pk).exists()
    assert AuditEntry.objects.filter(action="paper.update").exists()


def test_an_edit_with_an_empty_heading_keeps_everything_typed(
    members_space: Space, facilitator: User
) -> None:
    paper = draft(members_space, facilitator)
    data = edit_data(
        paper,
        **{"title": "A new title", "sections-0-heading": "", "sections-0-body": "My unsaved paragraph."},
    )

    response = client_for(facilitator).post(url("edit", paper), data)

    body = response.content.decode()
    assert response.status_code == 400
    assert "Enter a heading for the section." in body
    assert "My unsaved paragraph." in body
    assert 'value="A new title"' in body
    paper.refresh_from_db()
    assert paper.title == "Power and perils"


def test_an_edit_with_an_nhs_number_says_which_section_and_keeps_the_text(
    members_space: Space, facilitator: User
) -> None:
    paper = draft(members_space, facilitator)
    data = edit_data(paper, **{"sections-0-body": f"Patient {TEST_NHS_NUMBER} said so."})

    response = client_for(facilitator).post(url("edit", paper), data)

    body = response.content.decode()
    assert response.status_code == 400
    assert "Section 1: Remove" in body
    assert "NHS number" in body
    assert f"Patient {TEST_NHS_NUMBER} said so." in body
    assert TEST_NHS_NUMBER not in Section.objects.get(paper=paper, position=0).body


# --- the synthesis board ----------------------------------------------------------------------------


def test_the_facilitator_moves_a_card_into_a_section_with_the_board_form(
    members_space: Space, facilitator: User, member: User
) -> None:
    page = a_page(members_space, member)
    paper = draft(members_space, facilitator)
    section = paper.sections.get(kind=Section.Kind.TEXT)
    client = client_for(facilitator)
    before = client.get(url("board", paper)).content.decode()

    response = client.post(
        url("board", paper),
        {"action": "place", "key": f"page:{page.pk}", "section": section.pk, "used": "used"},
    )

    source = Source.objects.get(paper=paper, key=f"page:{page.pk}")
    assert "Not sorted yet" in before
    assert "Social media" in before
    assert response.status_code == 302
    assert response["Location"].endswith(f"#card-page-{page.pk}")
    assert (source.section, source.used, source.label) == (section, True, 1)
    after = client.get(url("board", paper)).content.decode()
    column = after[after.index(f'id="section-{section.pk}"') :]
    assert "S1" in column
    assert "Social media" in column
    assert AuditEntry.objects.filter(action="paper.source_place").count() == 1


def test_a_dragged_card_is_saved_and_answered_without_a_page(
    members_space: Space, facilitator: User, member: User
) -> None:
    page = a_page(members_space, member)
    paper = draft(members_space, facilitator)
    section = paper.sections.get(kind=Section.Kind.TEXT)

    response = client_for(facilitator).post(
        url("board", paper),
        {"action": "place", "key": f"page:{page.pk}", "section": section.pk, "used": "not_used"},
        headers={"X-Board": "drag"},
    )

    assert response.status_code == 204
    assert Source.objects.get(paper=paper).used is False


def test_a_card_that_is_not_there_is_refused_on_the_board(members_space: Space, facilitator: User) -> None:
    paper = draft(members_space, facilitator)

    response = client_for(facilitator).post(
        url("board", paper), {"action": "place", "key": "page:999999", "section": "", "used": "used"}
    )

    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert not Source.objects.exists()


def test_section_text_is_saved_beside_its_cards(members_space: Space, facilitator: User) -> None:
    paper = draft(members_space, facilitator)
    section = paper.sections.get(kind=Section.Kind.TEXT)

    response = client_for(facilitator).post(
        url("board", paper),
        {"action": "write", "section": section.pk, "heading": "Summary", "body": "Members said [S1]."},
    )

    section.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#section-{section.pk}")
    assert (section.heading, section.body) == ("Summary", "Members said [S1].")


def test_section_text_with_an_nhs_number_is_refused_and_kept_on_the_board(
    members_space: Space, facilitator: User
) -> None:
    paper = draft(members_space, facilitator, text="Saved before.")
    section = paper.sections.get(kind=Section.Kind.TEXT)
    typed = f"A long paragraph about patient {TEST_NHS_NUMBER} and what happened next."

    response = client_for(facilitator).post(
        url("board", paper),
        {"action": "write", "section": section.pk, "heading": "Introduction", "body": typed},
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert typed in body
    assert f'href="#section-{section.pk}"' in body
    section.refresh_from_db()
    assert section.body == "Saved before."


# --- preview and publishing ---------------------------------------------------------------------------


def test_the_preview_is_the_draft_marked_as_such_under_a_policy_for_its_own_style(
    members_space: Space, facilitator: User
) -> None:
    paper = draft(members_space, facilitator)

    response = client_for(facilitator).get(url("preview", paper))

    assert response.status_code == 200
    assert b"Draft preview" in response.content
    assert b"What members told us." in response.content
    assert "'sha256-" in response["Content-Security-Policy"]
    assert not Edition.objects.exists()


def test_publishing_with_an_nhs_number_in_the_text_shows_where_and_publishes_nothing(
    members_space: Space, facilitator: User
) -> None:
    paper = draft(members_space, facilitator)
    section = paper.sections.get(kind=Section.Kind.TEXT)
    # Text saved before the guard knew this pattern, say: the guard checks the whole paper again.
    Section.objects.filter(pk=section.pk).update(body=f"Seen by patient {TEST_NHS_NUMBER}.")

    response = client_for(facilitator).post(url("publish", paper))

    body = response.content.decode()
    assert response.status_code == 400
    assert "The paper cannot be published yet" in body
    assert "Section 1 “Introduction”" in body
    assert "NHS number" in body
    assert f"{url('board', paper)}#section-{section.pk}" in body
    assert not Edition.objects.exists()


def test_publishing_a_section_without_text_says_which(members_space: Space, facilitator: User) -> None:
    paper = services.paper_create(actor=facilitator, space=members_space, title="Empty", template="blank")

    response = client_for(facilitator).post(url("publish", paper))

    body = response.content.decode()
    assert response.status_code == 400
    assert "Section 1 “Introduction”: This section has no text yet." in body
    assert not Edition.objects.exists()


def test_publishing_shows_progress_that_polls_until_ready(
    members_space: Space, facilitator: User, committed: Committed
) -> None:
    paper = draft(members_space, facilitator)
    services.paper_publish(actor=facilitator, paper=paper)  # no commit: pending
    client = client_for(facilitator)

    pending = client.get(url("edition", paper, number=1)).content.decode()
    again = client.post(url("publish", paper))
    fragment = client.get(url("edition_status", paper, number=1)).content.decode()

    assert "<progress" in pending
    assert 'hx-trigger="every 2s"' in pending
    assert url("edition_status", paper, number=1) in pending
    assert again.status_code == 409
    assert "still being made" in again.content.decode()
    assert fragment.startswith('<div id="edition-status"')
    assert "Waiting to render" in fragment
    services.edition_render(edition_id=Edition.objects.get().pk)
    done = client.get(url("edition_status", paper, number=1)).content.decode()
    assert "Ready" in done
    assert "hx-trigger" not in done
    assert "Download" in done


def test_a_failed_edition_shows_the_reason_and_can_be_retried(
    members_space: Space, facilitator: User, committed: Committed
) -> None:
    paper = draft(members_space, facilitator)
    services.paper_publish(actor=facilitator, paper=paper)
    Edition.objects.update(status=Edition.Status.FAILED, error="PDF: the renderer ran out of memory.")
    client = client_for(facilitator)

    shown = client.get(url("edition", paper, number=1)).content.decode()
    nothing = client.get(url("edition_file", paper, number=1, fmt="pdf"))
    with committed():
        response = client.post(url("edition_retry", paper, number=1))

    assert "the renderer ran out of memory" in shown
    assert "Retry" in shown
    assert nothing.status_code == 404
    assert response.status_code == 302
    assert Edition.objects.get().status == Edition.Status.READY


# --- credit ----------------------------------------------------------------------------------------


def test_a_member_chooses_initials_for_one_paper_and_then_follows_the_profile_again(
    members_space: Space, facilitator: User, member: User
) -> None:
    paper = draft(members_space, facilitator)
    client = client_for(member)

    form = client.get(url("credit", paper)).content.decode()
    chosen = client.post(url("credit", paper), {"credit_as": CreditChoice.INITIALS})
    override = PaperCredit.objects.get(paper=paper, user=member).credit_as
    back = client.post(url("credit", paper), {"credit_as": "profile"})

    assert "As in my profile (full name and organisation)" in form
    assert chosen.status_code == 302
    assert override == CreditChoice.INITIALS
    assert back.status_code == 302
    assert not PaperCredit.objects.exists()
    assert AuditEntry.objects.filter(action="paper.credit_choose").count() == 2


def test_a_member_chooses_in_the_profile_how_papers_credit_them(member: User) -> None:
    data = {"name": member.name, "organisation": "Northshire Council", "sector": member.sector}
    client = client_for(member)

    client.post(reverse("accounts:profile"), data | {"credit_as": CreditChoice.ANONYMOUS})
    member.refresh_from_db()
    chosen = member.credit_as
    client.post(reverse("accounts:profile"), data)  # left out: the choice stays
    member.refresh_from_db()

    assert chosen == CreditChoice.ANONYMOUS
    assert member.credit_as == CreditChoice.ANONYMOUS
    entry = AuditEntry.objects.filter(action="account.profile_update").first()
    assert entry is not None
    assert entry.after["credit_as"] == CreditChoice.ANONYMOUS
    assert "How briefing papers credit you" in client.get(reverse("accounts:profile")).content.decode()
