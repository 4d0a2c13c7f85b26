"""Comment text: the Markdown subset, the sanitiser, mentions, and deep reply chains."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from pytest_django.fixtures import Settings

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.discussions import selectors, services
from coproduce.discussions.mentions import usernames
from coproduce.lib.markdown import COMMENT_TAGS, render_comment
from coproduce.wiki import services as wiki

ATTACKS = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    "<svg onload=alert(1)>",
    '<p style="position:fixed">x</p>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
]


class Tags(HTMLParser):
    """The elements and attributes a browser would build from the HTML."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize("attack", ATTACKS)
def test_nothing_active_comes_out_of_a_comment(attack: str) -> None:
    for tag, attrs in Tags(render_comment(attack)).found:
        assert tag in COMMENT_TAGS
        assert not any(name.startswith("on") or name == "style" for name in attrs)
        href = (attrs.get("href") or "").strip().lower()
        assert not href.startswith(("javascript:", "data:", "vbscript:"))


def test_images_and_headings_and_tables_are_not_part_of_comments() -> None:
    out = render_comment("# Big\n\n![cat](https://example.org/cat.png)\n\n| a |\n|---|\n| 1 |\n")
    assert "<h1>" not in out
    assert "<img" not in out
    assert "<table" not in out
    assert "# Big" in out


def test_the_subset_renders_and_external_links_get_rel() -> None:
    out = render_comment(
        "*a* **b** `c`\n\n> quote\n\n- one\n- two\n\n```\ncode\n```\n\n[site](https://nhs.uk)"
    )
    for fragment in (
        "<em>a</em>",
        "<strong>b</strong>",
        "<code>c</code>",
        "<blockquote>",
        "<li>one</li>",
        "<pre>",
    ):
        assert fragment in out
    assert '<a href="https://nhs.uk" rel="noopener noreferrer nofollow">site</a>' in out


def test_mentions_are_read_outside_code_and_addresses_only() -> None:
    body = "Hi @meera, @Rowan. `@code` and\n\n    @indented\n\nmail x@y.org @meera again"
    assert usernames(body) == ["meera", "Rowan"]
    out = render_comment(body, mentions={"meera"})
    assert out.count('<span class="mention">@meera</span>') == 2
    assert '<span class="mention">@Rowan' not in out


@pytest.mark.django_db
def test_a_long_chain_of_replies_nests_a_few_levels_then_lines_up(
    members_space: Space, member: User, settings: Settings
) -> None:
    settings.RATE_LIMITS_ENABLED = False  # twelve replies in a row: faster than one person may post
    page = wiki.page_create(space=members_space, actor=member, title="Chain", body="x")
    parent = None
    for n in range(12):
        parent = services.comment_create(page=page, actor=member, body=f"Reply {n}", parent=parent)
    discussion = selectors.discussion_for_page(member, page)
    depth, level = 0, discussion.comments
    while level:
        depth += 1
        assert len(level) == 1 or depth == selectors.MAX_DEPTH
        level = level[-1].replies if len(level) == 1 else []
    assert depth == selectors.MAX_DEPTH
    deepest = discussion.comments[0].replies[0].replies[0].replies
    assert [view.comment.body for view in deepest] == [f"Reply {n}" for n in range(3, 12)]
    assert deepest[1].reply_to == member
