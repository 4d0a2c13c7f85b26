"""The facilitator of the case study builds the demo's briefing paper in the browser and publishes it.

The demo community is loaded without its paper; Robin (the masterclass's facilitator) then does what
the demo loader does for the first edition, through the pages a facilitator would use: a paper from
the briefing template, the delegates' contributions sorted onto its sections (with the keyboard and
by dragging), every section written beside its cards, the draft previewed, the edition published,
rendered and opened. Axe scans each page on the way.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from conftest import PASSWORD
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.core import demo, demo_paper
from coproduce.reports.models import Edition, Paper, Source
from tests.browser.conftest import AxeCheck, LogIn

pytestmark = pytest.mark.browser

# The demo paper's sections, and which of the delegates' contributions each one draws on.
TEXT = {
    "Summary": "Delegates co-wrote what they learned after the masterclass {powers} {perils}.",
    "Key messages": "Patients value hearing from patients {jo}. Small communities recognise people {tom}.",
    "Findings": "Discussions become available within days {powers}; confidentiality is a peril {perils}.",
    "Recommendations": "Agree an acceptable-use note {outcome} and share a guide with volunteers {dee}.",
    "Method": "Delegates wrote the pages and discussed them; every citation links to its source.",
    "Appendix": "The pages and discussions remain in the masterclass space.",
}
PLACES = {
    "powers": "Findings",
    "perils": "Findings",
    "jo": "Key messages",
    "tom": "Key messages",
    "outcome": "Recommendations",
    "dee": "Recommendations",
}


def card_id(key: str) -> str:
    return "#card-" + re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")


def region(page: Page, number: int, heading: str) -> Locator:
    return page.get_by_role("region", name=f"{number}. {heading}")


def test_the_facilitator_builds_and_publishes_the_demo_paper(
    page: Page, site: str, log_in: LogIn, axe_check: AxeCheck
) -> None:
    demo.load_demo(password=PASSWORD, paper=False)
    robin = User.objects.get(username="robin")
    space = Space.objects.get(slug=demo.MASTERCLASS_SLUG)
    keys = demo_paper._keys(space)
    failed: list[str] = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    log_in(page, robin)

    # 1. A paper from the briefing template.
    page.goto(f"/spaces/{space.slug}/papers/")
    axe_check(page)
    page.get_by_label("Title").fill(demo_paper.TITLE)
    page.get_by_label(re.compile("^A briefing paper")).check()
    page.get_by_role("button", name="Create the paper").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Synthesis board")
    paper = Paper.objects.get(title=demo_paper.TITLE)
    numbers = {section.heading: n for n, section in enumerate(paper.sections.order_by("position"), 1)}
    axe_check(page)

    # 2. Every contribution is a card; each is sorted into its section and marked used. The first
    #    is dragged; the others go with the card's own form, submitted from the keyboard.
    for n, (name, heading) in enumerate(PLACES.items()):
        card = page.locator(card_id(keys[name]))
        expect(card).to_be_visible()
        if n == 0:
            card.drag_to(region(page, numbers[heading], heading))
            card = region(page, numbers[heading], heading).locator(card_id(keys[name]))
            expect(card).to_contain_text("S1")
        else:
            card.get_by_label("Move to section").select_option(label=f"{numbers[heading]}. {heading}")
        card.get_by_label("Used", exact=True).check()
        card.get_by_role("button", name=re.compile("^Save")).focus()
        page.keyboard.press("Enter")
        placed = region(page, numbers[heading], heading).locator(card_id(keys[name]))
        expect(placed.get_by_label("Used", exact=True)).to_be_checked()
    labels = dict(Source.objects.filter(paper=paper, used=True).values_list("key", "label"))
    assert set(labels) == {keys[name] for name in PLACES}
    assert failed == [], "dragging a card fell back to submitting its form"
    axe_check(page)

    # 3. Each text section is written beside its cards, citing them by label.
    cite = {name: f"[S{labels[keys[name]]}]" for name in PLACES}
    for heading, text in TEXT.items():
        section = region(page, numbers[heading], heading)
        section.get_by_label("Section text").fill(text.format(**cite))
        section.get_by_role("button", name=re.compile("Save the text")).click()
        expect(page.get_by_text(f"The text of “{heading}” was saved.")).to_be_visible()
    axe_check(page)

    # 4. The draft preview cites the sources and credits the delegates behind them.
    page.goto(f"/spaces/{space.slug}/papers/{paper.pk}/preview/")
    expect(page.get_by_text("Draft preview")).to_be_visible()
    expect(page.locator(f'a.citation[href="#source-{labels[keys["powers"]]}"]').first).to_be_visible()

    # 5. Publish; the edition page follows the render until its files are ready.
    page.goto(f"/spaces/{space.slug}/papers/{paper.pk}/")
    axe_check(page)
    page.get_by_role("button", name="Publish edition 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edition 1")
    expect(page.locator("#edition-status")).to_contain_text("Ready", timeout=60_000)
    expect(page.get_by_role("link", name=re.compile("^PDF"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Word document"))).to_be_visible()
    axe_check(page)
    edition = Edition.objects.get(paper=paper)
    assert edition.status == Edition.Status.READY, edition.error
    credited = {credit["name"]: credit["role"] for credit in edition.snapshot["credits"]}
    assert credited["Robin Ashdown (Ashdown Associates)"] == "facilitator", credited
    assert credited["Jo Patel (Eastgate Patients' Forum)"] == "contributor", credited
    assert credited["Grace Okafor (University of Eastgate)"] == "contributor", credited  # edited "powers"
    assert not any("Sam Lee" in name for name in credited), credited  # wrote only the tips, not used

    # 6. The web edition: every section, its sources, and the people credited.
    page.get_by_role("link", name=re.compile(r"^Web page \(HTML\)")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(demo_paper.TITLE)
    for heading in [*TEXT, "Contributors", "Sources"]:
        expect(page.get_by_role("heading", name=heading, exact=True).first).to_be_visible()
    expect(page.get_by_text("Discussions become available within days")).to_be_visible()
    expect(page.get_by_text("Jo Patel (Eastgate Patients' Forum)").first).to_be_visible()
