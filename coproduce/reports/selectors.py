"""Reads for papers: the synthesis board, the space's papers, a preview of the draft."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from coproduce.accounts.models import User
from coproduce.communities.access import Viewer, can_read_space
from coproduce.communities.models import Space
from coproduce.reports import sources as source_kinds
from coproduce.reports.access import can_edit_papers
from coproduce.reports.frozen import FrozenEdition
from coproduce.reports.models import Edition, Paper, PaperCredit, Section, Source
from coproduce.reports.snapshot import build_snapshot


@dataclass(frozen=True)
class BoardCard:
    card: source_kinds.Card
    source: Source | None  # None: not placed or judged yet
    available: bool  # False: the contribution is gone or the viewer can no longer read it

    @property
    def label(self) -> str:
        return f"S{self.source.label}" if self.source is not None else ""


@dataclass
class BoardColumn:
    section: Section
    cards: list[BoardCard] = field(default_factory=list)


@dataclass
class Board:
    columns: list[BoardColumn]
    unsorted: list[BoardCard]


def _snapshot_card(source: Source) -> source_kinds.Card:
    return source_kinds.Card(
        key=source.key,
        kind=source.kind,
        kind_label=kind.label if (kind := source_kinds.kinds().get(source.kind)) else source.kind.title(),
        title=source.title,
        excerpt=source.excerpt,
        url=source.url,
        author_ids=tuple(int(a) for a in source.author_ids or []),
        contributed_at=source.contributed_at,
        revision=source.revision,
        part=source.part,
    )


def board_for(*, paper: Paper, viewer: Viewer) -> Board:
    """Every contribution the viewer can see, in the paper's sections or unsorted.

    A placed source whose contribution is gone stays on the board from its snapshot, marked
    unavailable, so the facilitator sees what to replace.
    """
    live = {card.key: card for card in source_kinds.board_cards(paper.space, viewer)}
    placed = list(paper.sources.all())
    columns = [BoardColumn(section=s) for s in paper.sections.order_by("position", "pk")]
    by_section = {column.section.pk: column for column in columns}
    unsorted: list[BoardCard] = []
    placed_keys: set[str] = set()
    for source in sorted(placed, key=lambda s: (s.position, s.label)):
        placed_keys.add(source.key)
        card = live.get(source.key)
        if card is not None and source.revision is not None and card.revision != source.revision:
            card = source_kinds.resolve(source.key, paper.space, viewer, source.revision)
        item = BoardCard(card=card or _snapshot_card(source), source=source, available=card is not None)
        column = by_section.get(source.section_id) if source.section_id is not None else None
        (column.cards if column is not None else unsorted).append(item)
    unsorted.extend(
        BoardCard(card=c, source=None, available=True) for k, c in live.items() if k not in placed_keys
    )
    return Board(columns=columns, unsorted=unsorted)


def papers_in_space(*, space: Space, viewer: Viewer) -> list[Paper]:
    """Editors see every paper; readers only those with a ready edition."""
    papers = Paper.objects.filter(space=space).select_related("space")
    if can_edit_papers(viewer, space):
        return list(papers)
    if not can_read_space(viewer, space):
        return []
    return list(papers.filter(editions__status=Edition.Status.READY).distinct())


def latest_ready_editions(*, paper_ids: set[int]) -> dict[int, Edition]:
    """Each paper's latest edition that readers can open, by paper id."""
    latest: dict[int, Edition] = {}
    editions = Edition.objects.filter(paper_id__in=paper_ids, status=Edition.Status.READY).order_by("number")
    for edition in editions.only("pk", "paper_id", "number", "published_at", "version"):
        latest[edition.paper_id] = edition
    return latest


def credit_override(*, paper: Paper, user: User) -> str | None:
    """How this member chose to be named in this paper, or None to follow their profile."""
    found: str | None = (
        PaperCredit.objects.filter(paper=paper, user=user).values_list("credit_as", flat=True).first()
    )
    return found


def paper_preview(*, paper: Paper) -> FrozenEdition:
    """The draft as it would be published now (draft=True): the next edition's number."""
    last = paper.editions.order_by("-number").values_list("number", flat=True).first() or 0
    number = last + 1
    return build_snapshot(
        paper=paper, number=number, version=f"{number}.0", published_at=timezone.now(), draft=True
    )
