"""The two full-text engines behind one interface: SQLite FTS5 and PostgreSQL full-text search.

Every engine gets only words (letters and digits, see `coproduce.search.text.words`), never the
text someone typed, so the engines' own query syntax can never be invoked by a user.
Documents to consider come as SQL for a set of SearchDocument ids (visibility and filters are
applied there, inside the query, before ranking and pagination).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connection

from coproduce.search.models import SearchDocument
from coproduce.search.text import MARK_END, MARK_START, words

# Whole words only (with their related forms, by stemming): no prefix matching. A prefix query
# ("tor"*) makes FTS5 merge the lists of every word starting so, and its snippets cost 100 times more.
SNIPPET_WORDS = 30


@dataclass(frozen=True)
class Ranked:
    ids: list[tuple[int, float]]  # (document id, rank: higher is better), best first
    total: int | None  # how many match in all; None when the page is past the end


type Subquery = tuple[str, Sequence[Any]]


class Engine(Protocol):
    def ranked(self, terms: list[str], within: Subquery, *, limit: int, offset: int) -> Ranked: ...
    def count(self, terms: list[str], within: Subquery) -> int: ...
    def snippets(self, terms: list[str], ids: list[int]) -> dict[int, str]: ...
    def refresh(self, document: SearchDocument) -> None: ...


class SqliteEngine:
    """FTS5 table `search_fts` over search_searchdocument (see migration 0002)."""

    # bm25 weights per column: title, attachment names, body.
    RANK = "bm25(search_fts, 10.0, 4.0, 1.0)"

    @staticmethod
    def match(terms: list[str]) -> str:
        return " ".join('"' + term.replace('"', '""') + '"' for term in terms)

    def ranked(self, terms: list[str], within: Subquery, *, limit: int, offset: int) -> Ranked:
        sql, params = within
        with connection.cursor() as cursor:
            cursor.execute(
                # bm25() may not sit beside a window function, hence the inner query.
                f"""SELECT d.id, m.score, count(*) OVER () AS total
                FROM (SELECT rowid AS id, {self.RANK} AS score FROM search_fts WHERE search_fts MATCH %s) m
                JOIN search_searchdocument d ON d.id = m.id
                WHERE d.id IN ({sql})
                ORDER BY m.score, d.updated_at DESC, d.id LIMIT %s OFFSET %s""",  # noqa: S608  (no user text)
                [self.match(terms), *params, limit, offset],
            )
            rows = cursor.fetchall()
        return Ranked([(row[0], -float(row[1])) for row in rows], rows[0][2] if rows else None)

    def count(self, terms: list[str], within: Subquery) -> int:
        sql, params = within
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT count(*) FROM search_fts JOIN search_searchdocument d ON d.id = search_fts.rowid
                WHERE search_fts MATCH %s AND d.id IN ({sql})""",  # noqa: S608  (no user text)
                [self.match(terms), *params],
            )
            return int(cursor.fetchone()[0])

    def snippets(self, terms: list[str], ids: list[int]) -> dict[int, str]:
        marks = ", ".join("%s" for _ in ids)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT rowid, snippet(search_fts, 2, %s, %s, '…', {SNIPPET_WORDS // 2})
                FROM search_fts WHERE search_fts MATCH %s AND rowid IN ({marks})""",  # noqa: S608
                [MARK_START, MARK_END, self.match(terms), *ids],
            )
            return {row[0]: row[1] for row in cursor.fetchall()}

    def refresh(self, document: SearchDocument) -> None:
        """Nothing to do: triggers keep the FTS5 table in step with the document table."""


class PostgresEngine:
    """A weighted tsvector column on search_searchdocument with a GIN index (see migration 0002)."""

    CONFIG = "coproduce_search"
    HEADLINE = (
        f'StartSel="{MARK_START}", StopSel="{MARK_END}", MaxWords={SNIPPET_WORDS}, MinWords=12, '
        'ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "'
    )

    STAND_INS = "\ue002\ue003\ue004"
    RESTORE = {0xE002: "<", 0xE003: ">", 0xE004: "&"}

    @staticmethod
    def tsquery(terms: list[str]) -> str:
        return " & ".join(terms)

    def ranked(self, terms: list[str], within: Subquery, *, limit: int, offset: int) -> Ranked:
        sql, params = within
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT d.id, ts_rank_cd(d.search_vector, q, 1) AS score, count(*) OVER () AS total
                FROM search_searchdocument d, to_tsquery('{self.CONFIG}', %s) q
                WHERE d.search_vector @@ q AND d.id IN ({sql})
                ORDER BY score DESC, d.updated_at DESC, d.id LIMIT %s OFFSET %s""",  # noqa: S608
                [self.tsquery(terms), *params, limit, offset],
            )
            rows = cursor.fetchall()
        return Ranked([(row[0], float(row[1])) for row in rows], rows[0][2] if rows else None)

    def count(self, terms: list[str], within: Subquery) -> int:
        sql, params = within
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT count(*) FROM search_searchdocument d
                WHERE d.search_vector @@ to_tsquery('{self.CONFIG}', %s) AND d.id IN ({sql})""",  # noqa: S608
                [self.tsquery(terms), *params],
            )
            return int(cursor.fetchone()[0])

    def snippets(self, terms: list[str], ids: list[int]) -> dict[int, str]:
        with connection.cursor() as cursor:
            cursor.execute(
                # ts_headline drops anything that looks like an HTML tag or entity; swapping <, > and &
                # for stand-ins (private-use characters, never stored) keeps "<script>" as visible text.
                f"""SELECT d.id, ts_headline(
                    '{self.CONFIG}', translate(d.body, '<>&', %s), to_tsquery('{self.CONFIG}', %s), %s
                ) FROM search_searchdocument d WHERE d.id = ANY(%s)""",  # noqa: S608
                [self.STAND_INS, self.tsquery(terms), self.HEADLINE, ids],
            )
            return {row[0]: row[1].translate(self.RESTORE) for row in cursor.fetchall()}

    def refresh(self, document: SearchDocument) -> None:
        config = self.CONFIG
        with connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE search_searchdocument SET search_vector =
                    setweight(to_tsvector('{config}', %s), 'A')
                    || setweight(to_tsvector('{config}', %s), 'B')
                    || setweight(to_tsvector('{config}', %s), 'C')
                WHERE id = %s""",  # noqa: S608  (constant configuration name)
                [
                    " ".join(words(document.title)),
                    " ".join(words(document.attachment_names)),
                    " ".join(words(document.body)),
                    document.pk,
                ],
            )


def engine() -> Engine:
    """The engine of the database in use."""
    if connection.vendor == "postgresql":
        return PostgresEngine()
    if connection.vendor == "sqlite":
        return SqliteEngine()
    raise NotImplementedError(f"Search supports SQLite and PostgreSQL, not {connection.vendor}.")
