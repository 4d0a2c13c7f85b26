"""The demo's briefing paper, built by the facilitator from the masterclass's pages and discussions.

It places the contributions on the paper's board, writes each section citing them ([S1] ...),
publishes the first edition and renders it at once (the demo does not wait for the worker).
"""

from __future__ import annotations

from coproduce.accounts.models import CreditChoice, User
from coproduce.communities.models import Space
from coproduce.discussions.models import Comment, Thread
from coproduce.reports import services
from coproduce.reports.models import Paper, Source
from coproduce.reports.services import SectionInput, SourcePick
from coproduce.wiki.models import Page

TITLE = "The power and perils of using social networking tools in the NHS"

# Section heading -> (the sources placed in it, by name below; the text, citing any source as {name}).
SECTIONS: dict[str, tuple[list[str], str]] = {
    "Summary": (
        [],
        "On 15 May 2008 the NHS Faculty of Health Informatics held a masterclass at the British "
        "Library on social networking tools in the NHS. Delegates from health, social care, "
        "universities, industry and patient groups then co-wrote what they had learned in this "
        "space. This paper brings their contributions together: the tools help people share "
        "quickly and work together across organisations {powers}, but they carry real risks for "
        "confidentiality and professional boundaries {perils}.",
    ),
    "Key messages": (
        ["jo", "tom"],
        "- Patients value hearing from other patients before an appointment {jo}.\n"
        "- In small communities, people can be recognised even without names {tom}.\n"
        "- The same rules of confidentiality apply online and offline.",
    ),
    "Findings": (
        ["powers", "perils"],
        "## Powers\n"
        "Discussions become available within days, communities of practice form across "
        "organisations, and a wiki lets many people write one document together {powers}.\n\n"
        "## Perils\n"
        "Confidentiality, professional boundaries, information governance and access from work "
        "were the main concerns {perils}.",
    ),
    "Recommendations": (
        ["outcome", "dee", "tips"],
        "1. Agree a short acceptable-use note for staff {outcome}.\n"
        "2. Never discuss identifiable patients on open sites {outcome}.\n"
        "3. Name an information-governance contact for each project {outcome}.\n"
        "4. Share a one-page guide with volunteers and carers {dee}.\n"
        "5. Before starting, agree what the tool is for and check the policy; while using it, "
        "summarise regularly and thank contributors by name {tips}.",
    ),
    "Method": (
        [],
        "Delegates wrote the emerging-issues pages over several weeks after the masterclass and "
        "discussed them in comments. The facilitator grouped the contributions on the paper's "
        "synthesis board, marked those used, and wrote each section beside its sources. Every "
        "citation links to the exact revision or comment it draws on (see Sources).",
    ),
    "Contributors": ([], ""),
    "Appendix": (
        [],
        "The pages and discussions this paper draws on remain in the masterclass space, with "
        "their full history.",
    ),
}


def _keys(space: Space) -> dict[str, str]:
    pages = {page.slug: page for page in Page.objects.filter(space=space)}
    powers = pages["powers-of-social-networking-in-the-nhs"]
    perils = pages["perils-of-social-networking-in-the-nhs"]
    tips = pages["practical-hints-and-tips"]
    comments = Comment.objects.filter(thread__space=space, parent__isnull=True).select_related("author")
    by_author = {comment.author.username: comment for comment in comments if comment.author is not None}
    thread = Thread.objects.get(page=perils)
    return {
        "powers": f"page:{powers.pk}",
        "perils": f"page:{perils.pk}",
        "tips": f"page:{tips.pk}",
        "jo": f"comment:{by_author['jo'].pk}",
        "tom": f"comment:{by_author['tom'].pk}",
        "dee": f"comment:{by_author['dee'].pk}",
        "outcome": f"outcome:{thread.pk}",
    }


def load_paper(*, space: Space, people: dict[str, User]) -> Paper:
    robin = people["robin"]
    keys = _keys(space)
    paper = services.paper_create(actor=robin, space=space, title=TITLE)
    sections = list(paper.sections.all())
    placed: set[str] = set()
    inputs: list[SectionInput] = []
    for section in sections:
        names, _ = SECTIONS[section.heading]
        fresh = [name for name in names if keys[name] not in placed]
        placed.update(keys[name] for name in fresh)
        picks = [SourcePick(key=keys[name]) for name in fresh]
        inputs.append(SectionInput(id=section.pk, heading=section.heading, kind=section.kind, sources=picks))
    services.paper_update(actor=robin, paper=paper, sections=inputs)

    labels = dict(Source.objects.filter(paper=paper).values_list("key", "label"))
    cite = {name: f"[S{labels[key]}]" for name, key in keys.items()}
    for item in inputs:
        item.body = SECTIONS[item.heading][1].format(**cite)
        item.sources = None  # keep them where they are
    services.paper_update(actor=robin, paper=paper, sections=inputs)

    # Two delegates chose how this paper credits them.
    services.credit_choose(actor=people["jo"], paper=paper, credit_as=CreditChoice.INITIALS)
    services.credit_choose(actor=people["dee"], paper=paper, credit_as=CreditChoice.ANONYMOUS)

    edition = services.paper_publish(actor=robin, paper=paper)
    services.edition_render(edition_id=edition.pk, worker="demo")
    return paper
