"""A member edits a wiki page, meets a conflicting edit made meanwhile, resolves it and reads the diff."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.wiki import services
from coproduce.wiki.models import Page as WikiPage
from tests.browser.conftest import AxeCheck, LogIn

pytestmark = pytest.mark.browser

BODY = (
    "## What we heard\n\n"
    "- Digital exclusion in care homes.\n"
    "- Staff turnover.\n"
    "- Funding cliffs.\n\n"
    "See the [[Action plan]].\n"
)


def test_a_member_resolves_an_edit_conflict_and_reads_the_diff(
    page: Page,
    site: str,
    log_in: LogIn,
    axe_check: AxeCheck,
    member: User,
    facilitator: User,
    members_space: Space,
) -> None:
    wiki_page = services.page_create(
        space=members_space, actor=facilitator, title="Emerging issues", body=BODY
    )
    log_in(page, member)

    # 1. From the space's wiki to the page, and into its editor.
    page.goto(f"/spaces/{members_space.slug}/wiki/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Wiki of Masterclass")
    axe_check(page)
    page.get_by_role("link", name="Emerging issues").click()
    expect(page.locator("article.wiki-content")).to_contain_text("Digital exclusion in care homes.")
    expect(page.get_by_role("link", name=re.compile("Action plan"))).to_have_attribute(
        "href", re.compile(r"/wiki/new/\?title=Action")
    )
    axe_check(page)
    page.get_by_role("link", name="Edit this page").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit")
    axe_check(page)

    # 2. The member changes a line; meanwhile the facilitator changes the same line and saves.
    text = page.get_by_label("Text", exact=True)
    text.fill(BODY.replace("Staff turnover.", "Staff turnover, the biggest risk this year."))
    page.get_by_label("Summary of your changes").fill("Say which risk is biggest")
    services.page_save(
        page=wiki_page,
        actor=facilitator,
        body=BODY.replace("Staff turnover.", "Staff turnover and sickness absence."),
        base_revision=1,
        summary="Sickness too",
    )

    # 3. Saving meets the conflict: nothing is lost, both versions are shown.
    page.get_by_role("button", name="Save the page").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Someone else changed this page")
    conflicted = text.input_value()
    assert "<<<<<<<" in conflicted
    assert "Staff turnover, the biggest risk this year." in conflicted
    assert "Staff turnover and sickness absence." in conflicted
    expect(page.get_by_label("Summary of your changes")).to_have_value("Say which risk is biggest")
    expect(page.get_by_role("table", name=re.compile("Their version compared with yours"))).to_be_visible()
    axe_check(page)

    # 4. Resolve the conflict in the text box and save again.
    text.fill(
        BODY.replace("Staff turnover.", "Staff turnover and sickness absence, the biggest risk this year.")
    )
    page.get_by_role("button", name="Save the page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Emerging issues")
    expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text("revision 3")
    expect(page.locator("article.wiki-content")).to_contain_text("sickness absence, the biggest risk")
    axe_check(page)
    wiki_page.refresh_from_db()
    assert wiki_page.head == 3
    assert WikiPage.objects.get(pk=wiki_page.pk).current.summary == "Say which risk is biggest"  # type: ignore[union-attr]

    # 5. The history compares the two latest revisions by default.
    page.get_by_role("link", name="History of this page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("History of Emerging issues")
    axe_check(page)
    page.get_by_role("button", name="Compare the chosen revisions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Changes to Emerging issues")
    table = page.get_by_role("table", name="Changes line by line")
    expect(table.locator("ins").first).to_contain_text("the biggest risk this year")
    expect(table).to_contain_text("[added:")
    assert "from=2" in page.url
    assert "to=3" in page.url
    axe_check(page)

    # 6. The same changes as a unified diff.
    page.get_by_role("link", name="Show the changes as a unified diff").click()
    expect(page.locator("pre.wiki-source")).to_contain_text(
        "+- Staff turnover and sickness absence, the biggest"
    )
    axe_check(page)


def test_a_facilitator_makes_a_template_uses_it_and_reverts_a_page(
    page: Page,
    site: str,
    log_in: LogIn,
    axe_check: AxeCheck,
    facilitator: User,
    members_space: Space,
) -> None:
    log_in(page, facilitator)

    # 1. Add a page template to the space.
    page.goto(f"/spaces/{members_space.slug}/wiki/")
    page.get_by_role("link", name="Manage the page templates of this space").click()
    axe_check(page)
    page.get_by_label("Name").fill("Meeting notes")
    page.get_by_label("Starting text").fill("## Attendees\n\n## Actions\n")
    page.get_by_role("button", name="Add the template").click()
    expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text("Meeting notes")
    page.get_by_role("link", name=re.compile("Meeting notes")).click()
    axe_check(page)

    # 2. Create a page from it, under no parent.
    page.goto(f"/spaces/{members_space.slug}/wiki/new/?title=May%20meeting")
    axe_check(page)
    page.get_by_label("Start from a template (optional)").select_option(label="Meeting notes")
    page.get_by_role("button", name="Use this template").click()
    expect(page.get_by_label("Title")).to_have_value("May meeting")
    expect(page.get_by_label("Text", exact=True)).to_have_value(re.compile("## Attendees"))
    page.get_by_label("Text", exact=True).fill("## Attendees\n\nRowan\n\n## Actions\n\nSee [[Agenda]].\n")
    page.get_by_role("button", name="Create the page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("May meeting")
    created = WikiPage.objects.get(space=members_space, title="May meeting")
    services.page_save(page=created, actor=facilitator, body="Replaced by mistake.\n", base_revision=1)

    # 3. A red link, what links here, one old revision, and reverting to it.
    page.goto(f"/spaces/{members_space.slug}/wiki/{created.slug}/links-here/")
    axe_check(page)
    page.goto(f"/spaces/{members_space.slug}/wiki/{created.slug}/revisions/1/")
    expect(page.locator("article.wiki-content")).to_contain_text("Rowan")
    axe_check(page)
    page.get_by_role("link", name="Revert to this revision").click()
    axe_check(page)
    page.get_by_role("button", name="Revert to revision 1").click()
    expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text("new revision 3")
    expect(page.locator("article.wiki-content")).to_contain_text("Rowan")
    page.get_by_role("link", name="Agenda").click()
    expect(page.get_by_label("Title")).to_have_value("Agenda")
