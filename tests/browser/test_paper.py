"""A facilitator builds a briefing paper from the space's contributions and publishes it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.reports import services
from coproduce.reports.models import Edition, Source
from coproduce.wiki import services as wiki
from tests.browser.conftest import AxeCheck, LogIn

pytestmark = pytest.mark.browser


def test_a_facilitator_sorts_a_card_writes_a_section_and_publishes_the_paper(
    page: Page,
    site: str,
    log_in: LogIn,
    axe_check: AxeCheck,
    facilitator: User,
    member: User,
    members_space: Space,
) -> None:
    contribution = wiki.page_create(
        space=members_space,
        actor=member,
        title="Social media at work",
        body="# Risks\nOversharing on open groups.\n",
    )
    log_in(page, facilitator)

    # 1. A new paper, from the space's list of papers.
    page.goto(f"/spaces/{members_space.slug}/papers/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Briefing papers")
    axe_check(page)
    page.get_by_label("Title").fill("The power and perils of social media")
    page.get_by_label("A blank paper with one section").check()
    page.get_by_role("button", name="Create the paper").click()

    # 2. The board: the page is a card, not sorted yet.
    expect(page.get_by_role("heading", level=1)).to_have_text("Synthesis board")
    card = page.locator(f"#card-page-{contribution.pk}")
    unsorted = page.get_by_role("region", name=re.compile("Not sorted yet"))
    expect(unsorted.locator(f"#card-page-{contribution.pk}")).to_be_visible()
    axe_check(page)

    # 3. Move it into the first section with the card's own form, using the keyboard.
    card.get_by_label("Move to section").select_option(label="1. Introduction")
    card.get_by_label("Used", exact=True).check()
    card.get_by_role("button", name=re.compile("^Save")).focus()
    page.keyboard.press("Enter")
    section = page.get_by_role("region", name="1. Introduction")
    moved = section.locator(f"#card-page-{contribution.pk}")
    expect(moved).to_contain_text("S1")
    expect(moved.get_by_label("Used", exact=True)).to_be_checked()
    source = Source.objects.get(key=f"page:{contribution.pk}")
    assert (source.section is not None, source.used, source.label) == (True, True, 1)

    # 4. Write the section's text beside its card, citing it.
    section.get_by_label("Section text").fill("Members worry about oversharing [S1].")
    section.get_by_role("button", name=re.compile("Save the text")).click()
    expect(page.get_by_text("The text of “Introduction” was saved.")).to_be_visible()
    expect(page.get_by_role("region", name="1. Introduction").get_by_label("Section text")).to_have_value(
        "Members worry about oversharing [S1]."
    )
    axe_check(page)

    # 5. The draft's preview is served under a policy that allows its own style and nothing else.
    page.goto(f"/spaces/{members_space.slug}/papers/{source.paper_id}/preview/")
    expect(page.get_by_text("Draft preview")).to_be_visible()
    expect(page.locator("a.citation").first).to_have_text("[S1]")

    # 6. The paper's page; publish; the edition page shows it ready with its files.
    page.goto(f"/spaces/{members_space.slug}/papers/{source.paper_id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("The power and perils of social media")
    axe_check(page)
    page.get_by_role("button", name="Publish edition 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edition 1")
    expect(page.locator("#edition-status")).to_contain_text("Ready", timeout=30_000)
    expect(page.get_by_role("link", name=re.compile("^PDF"))).to_be_visible()
    assert Edition.objects.get(paper_id=source.paper_id).status == Edition.Status.READY
    axe_check(page)

    # 7. The HTML edition opens in the browser, its inline style allowed by hash.
    page.get_by_role("link", name=re.compile(r"^Web page \(HTML\)")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The power and perils of social media")
    expect(page.get_by_text("Members worry about oversharing")).to_be_visible()


def test_a_card_dragged_onto_a_section_lands_there(
    page: Page,
    site: str,
    log_in: LogIn,
    facilitator: User,
    member: User,
    members_space: Space,
) -> None:
    contribution = wiki.page_create(
        space=members_space, actor=member, title="Open groups", body="Be careful.\n"
    )
    paper = services.paper_create(actor=facilitator, space=members_space, title="Perils", template="blank")
    log_in(page, facilitator)
    page.goto(f"/spaces/{members_space.slug}/papers/{paper.pk}/board/")

    page.locator(f"#card-page-{contribution.pk}").drag_to(page.get_by_role("region", name="1. Introduction"))

    moved = page.get_by_role("region", name="1. Introduction").locator(f"#card-page-{contribution.pk}")
    expect(moved).to_contain_text("S1")
    source = Source.objects.get(paper=paper)
    assert source.section == paper.sections.get()


def test_the_edition_page_follows_the_render_until_the_files_are_ready(
    page: Page,
    site: str,
    log_in: LogIn,
    axe_check: AxeCheck,
    facilitator: User,
    members_space: Space,
    settings: Settings,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}  # nobody renders
    paper = services.paper_create(actor=facilitator, space=members_space, title="Perils", template="blank")
    intro = paper.sections.get()
    services.section_write(actor=facilitator, section=intro, heading=intro.heading, body="What we heard.")
    edition = services.paper_publish(actor=facilitator, paper=paper)
    log_in(page, facilitator)

    page.goto(f"/spaces/{members_space.slug}/papers/{paper.pk}/editions/{edition.number}/")
    expect(page.locator("#edition-status")).to_contain_text("Waiting to render")
    expect(page.locator("progress")).to_be_visible()
    axe_check(page)
    services.edition_render(edition_id=edition.pk)  # the worker, meanwhile

    expect(page.locator("#edition-status")).to_contain_text("Ready", timeout=10_000)
    expect(page.get_by_role("link", name=re.compile("^Word document"))).to_be_visible()
    expect(page.locator("progress")).to_have_count(0)
