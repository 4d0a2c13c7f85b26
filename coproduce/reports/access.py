"""Who may edit and read briefing papers; permission-checked lookups that views and the API call first.

Drafts never leak: a paper is "not found" (404) for anyone who may not edit it unless it has a
ready edition and they may read its space.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from coproduce.accounts.models import User
from coproduce.communities.access import Viewer, can_manage_space, can_read_space
from coproduce.communities.models import Space
from coproduce.reports.models import Edition, Paper


def can_edit_papers(viewer: Viewer, space: Space) -> bool:
    """Facilitators of the space and community admins, unless suspended."""
    if not isinstance(viewer, User) or viewer.is_suspended:
        return False
    return can_manage_space(viewer, space)


def _papers(pk: int, space_slug: str | None) -> QuerySet[Paper]:
    papers = Paper.objects.filter(pk=pk).select_related("space")
    return papers.filter(space__slug=space_slug) if space_slug is not None else papers


def get_paper_for_editor(viewer: Viewer, pk: int, space_slug: str | None = None) -> Paper:
    paper = _papers(pk, space_slug).first()
    if paper is None or not can_edit_papers(viewer, paper.space):
        raise Http404("No such paper.")
    return paper


def get_paper_for_reader(viewer: Viewer, pk: int, space_slug: str | None = None) -> Paper:
    paper = _papers(pk, space_slug).first()
    if paper is None:
        raise Http404("No such paper.")
    if can_edit_papers(viewer, paper.space):
        return paper
    if can_read_space(viewer, paper.space) and paper.editions.filter(status=Edition.Status.READY).exists():
        return paper
    raise Http404("No such paper.")


def get_edition_for_reader(viewer: Viewer, pk: int, number: int, space_slug: str | None = None) -> Edition:
    paper = get_paper_for_reader(viewer, pk, space_slug)
    editions = Edition.objects.filter(paper=paper, number=number).select_related("paper__space")
    if not can_edit_papers(viewer, paper.space):
        editions = editions.filter(status=Edition.Status.READY)
    edition = editions.first()
    if edition is None:
        raise Http404("No such edition.")
    return edition


def get_paper_for_member(viewer: Viewer, pk: int, space_slug: str | None = None) -> Paper:
    """A paper whose credit a logged-in member who can read the space may choose."""
    paper = _papers(pk, space_slug).first()
    if paper is None or not isinstance(viewer, User) or not viewer.is_member:
        raise Http404("No such paper.")
    if not can_read_space(viewer, paper.space):
        raise Http404("No such paper.")
    return paper
