"""Rendering page bodies: CommonMark, tables, task lists, wiki links, relative links, red links."""

from __future__ import annotations

from coproduce.lib.markdown import EXTERNAL_LINK_REL, Link, mark_wiki_links, render


def _html(body: str) -> str:
    return render(body, space_slug="open-notes").html


def test_commonmark_is_rendered() -> None:
    html = _html("# Title\n\nSome *emphasis*, **strong** and `code`.\n\n1. one\n2. two\n\n> quoted\n")

    assert "<h2>Title</h2>" in html  # headings in the text start at h2: the page title is the h1
    assert "<em>emphasis</em>" in html
    assert "<strong>strong</strong>" in html
    assert "<code>code</code>" in html
    assert "<ol>\n<li>one</li>" in html
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in html


def test_tables_are_rendered_with_alignment_as_classes_not_styles() -> None:
    html = _html("| Left | Middle | Right |\n|:--|:-:|--:|\n| a | b | c |\n")

    assert '<th class="nhsuk-u-text-align-left">Left</th>' in html
    assert '<td class="nhsuk-u-text-align-centre">b</td>' in html
    assert '<td class="nhsuk-u-text-align-right">c</td>' in html
    assert "style" not in html


def test_task_lists_become_disabled_checkboxes() -> None:
    html = _html("- [ ] to do\n- [x] done\n")

    assert '<ul class="contains-task-list">' in html
    assert html.count('type="checkbox"') == 2
    assert html.count('disabled="disabled"') == 2
    assert html.count('checked="checked"') == 1


def test_fenced_code_keeps_its_language_class_and_escapes_its_content() -> None:
    html = _html('```python\nprint("<b>")\n```\n')

    assert '<pre><code class="language-python">print("&lt;b&gt;")' in html


def test_wiki_links_point_at_pages_of_the_same_space_and_are_listed() -> None:
    rendered = render("See [[Care plan]] and [[Discharge plan|the discharge plan]].", space_slug="open-notes")

    assert '<a href="/spaces/open-notes/wiki/care-plan/" class="wiki-link">Care plan</a>' in rendered.html
    assert (
        '<a href="/spaces/open-notes/wiki/discharge-plan/" class="wiki-link">the discharge plan</a>'
        in rendered.html
    )
    assert rendered.links == [
        Link(slug="care-plan", title="Care plan"),
        Link(slug="discharge-plan", title="Discharge plan"),
    ]


def test_wiki_links_to_titles_in_any_script_get_working_addresses() -> None:
    rendered = render("[[会议记录]] [[🎉]] [[Café]]", space_slug="open-notes")

    assert [link.slug for link in rendered.links] == ["会议记录", "page", "café"]
    assert 'href="/spaces/open-notes/wiki/%E4%BC%9A%E8%AE%AE%E8%AE%B0%E5%BD%95/"' in rendered.html
    assert 'href="/spaces/open-notes/wiki/caf%C3%A9/"' in rendered.html


def test_a_page_linked_twice_is_listed_once() -> None:
    rendered = render("[[Care plan]] and [[care plan|again]] and [again](care-plan)", space_slug="open-notes")

    assert rendered.links == [Link(slug="care-plan", title="Care plan")]


def test_wiki_links_in_code_are_left_alone() -> None:
    rendered = render("`[[Care plan]]`\n\n    [[Indented]]\n", space_slug="open-notes")

    assert rendered.links == []
    assert "wiki-link" not in rendered.html


def test_a_wiki_link_label_can_be_given_inside_a_table_with_an_escaped_pipe() -> None:
    rendered = render("| Page |\n|---|\n| [[Care plan\\|the plan]] |\n", space_slug="open-notes")

    assert (
        '<td><a href="/spaces/open-notes/wiki/care-plan/" class="wiki-link">the plan</a></td>'
        in rendered.html
    )


def test_empty_or_unclosed_wiki_links_stay_text() -> None:
    rendered = render("[[]] and [[ \u200b ]] and [[open", space_slug="open-notes")

    assert rendered.links == []
    assert "[[]] and" in rendered.html
    assert "[[open" in rendered.html


def test_relative_links_to_pages_become_wiki_links() -> None:
    rendered = render(
        "[a](care-plan) [b](../discharge-plan/) [c](/spaces/open-notes/wiki/agenda/#actions) "
        "[d](<Meeting notes>)",
        space_slug="open-notes",
    )

    assert [link.slug for link in rendered.links] == [
        "care-plan",
        "discharge-plan",
        "agenda",
        "meeting-notes",
    ]
    assert '<a href="/spaces/open-notes/wiki/care-plan/" class="wiki-link">a</a>' in rendered.html
    assert '<a href="/spaces/open-notes/wiki/agenda/#actions" class="wiki-link">c</a>' in rendered.html


def test_other_links_are_not_page_links() -> None:
    rendered = render(
        "[a](#section) [b](/spaces/other/wiki/page/) [c](https://example.org) [d](docs/file.pdf) [e](?q=1)",
        space_slug="open-notes",
    )

    assert rendered.links == []
    assert '<a href="#section">a</a>' in rendered.html
    assert '<a href="/spaces/other/wiki/page/">b</a>' in rendered.html


def test_external_links_get_rel_nofollow_and_internal_links_do_not() -> None:
    html = _html("[ext](https://example.org) <https://nhs.uk> [mail](mailto:a@example.org) [in](/about/)")

    assert f'<a href="https://example.org" rel="{EXTERNAL_LINK_REL}">ext</a>' in html
    assert f'<a href="https://nhs.uk" rel="{EXTERNAL_LINK_REL}">' in html
    assert f'<a href="mailto:a@example.org" rel="{EXTERNAL_LINK_REL}">mail</a>' in html
    assert '<a href="/about/">in</a>' in html


def test_raw_html_with_an_external_link_gets_rel_and_loses_its_own() -> None:
    html = _html('<a href="//evil.example" rel="opener" target="_blank">x</a>')

    assert html == f'<p><a href="//evil.example" rel="{EXTERNAL_LINK_REL}">x</a></p>\n'


def test_images_from_http_or_the_same_site_are_kept_lazily() -> None:
    html = _html("![A chart](https://example.org/chart.png) ![Logo](/static/logo.png)")

    assert 'src="https://example.org/chart.png"' in html
    assert 'src="/static/logo.png"' in html
    assert html.count('loading="lazy"') == 2


def test_harmless_html_is_kept_and_comments_are_dropped() -> None:
    html = _html("<details><summary>More</summary>Hidden <kbd>Ctrl</kbd></details>\n<!-- note -->")

    assert "<details><summary>More</summary>Hidden <kbd>Ctrl</kbd></details>" in html
    assert "note" not in html


def test_class_names_outside_the_allow_list_are_dropped() -> None:
    html = _html(
        '<span class="nhsuk-header">fake header</span> <a class="wiki-link nhsuk-button" href="/x">x</a>'
    )

    assert "nhsuk-header" not in html
    assert "nhsuk-button" not in html
    assert '<a class="wiki-link" href="/x">x</a>' in html


def test_missing_pages_become_red_links_to_the_create_form() -> None:
    html = _html("[[Care plan]] and [[Agenda]]#top")

    marked = mark_wiki_links(
        html,
        space_slug="open-notes",
        targets={"care-plan": None, "agenda": "agenda"},
        titles={"care-plan": "Care plan"},
    )

    assert (
        '<a href="/spaces/open-notes/wiki/new/?title=Care%20plan" class="wiki-link wiki-link--new">Care plan'
        '<span class="nhsuk-u-visually-hidden"> (page not written yet)</span></a>'
    ) in marked
    assert '<a href="/spaces/open-notes/wiki/agenda/" class="wiki-link">Agenda</a>' in marked


def test_links_to_renamed_pages_point_at_their_new_address_keeping_the_fragment() -> None:
    html = _html("[x](/spaces/open-notes/wiki/old-name/#part)")

    marked = mark_wiki_links(html, space_slug="open-notes", targets={"old-name": "new-name"}, titles={})

    assert '<a href="/spaces/open-notes/wiki/new-name/#part" class="wiki-link">x</a>' in marked


def test_red_link_titles_are_escaped_in_the_address() -> None:
    html = _html('[[A & B "quoted"]]')

    marked = mark_wiki_links(
        html, space_slug="open-notes", targets={"a-b-quoted": None}, titles={"a-b-quoted": 'A & B "quoted"'}
    )

    assert 'href="/spaces/open-notes/wiki/new/?title=A%20%26%20B%20%22quoted%22"' in marked


def test_headings_in_the_text_start_below_the_page_title() -> None:
    html = render("# One\n\n## Two\n\n###### Six\n\nSetext\n===\n", space_slug="s").html
    assert "<h1" not in html
    assert "<h2>One</h2>" in html
    assert "<h3>Two</h3>" in html
    assert "<h6>Six</h6>" in html
    assert "<h2>Setext</h2>" in html
