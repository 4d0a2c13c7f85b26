"""Markdown for wiki pages: CommonMark + tables + task lists, wiki links, sanitised HTML.

`render(body, space_slug=...)` turns a page body into HTML that is safe to show to any reader
and lists the pages it links to:

- markdown-it-py's "commonmark" preset (raw HTML allowed, then sanitised), GFM tables and
  task lists (mdit_py_plugins.tasklists);
- `[[Page title]]` and `[[Page title|label]]` become `<a class="wiki-link" href="/spaces/<space>/
  wiki/<slug>/">`; so do relative Markdown links to a page (`[text](other-page)`,
  `[text](../other-page/)`, `[text](/spaces/<space>/wiki/<slug>/)`);
- nh3 (ammonia) cleans the result with an explicit allow-list of tags, attributes, class names
  and URL schemes (http, https, mailto; relative URLs stay), strips comments and removes
  script/style/etc. together with their content; external links get
  rel="noopener noreferrer nofollow". Table alignment becomes NHS.UK utility classes because
  the site's Content Security Policy forbids style attributes.

Links to pages that do not exist yet are marked when the page is shown (`mark_wiki_links`),
because pages come and go after a revision was rendered.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.tasklists import tasklists_plugin

from coproduce.wiki.slugs import RESERVED_SLUGS, TITLE_MAX_LENGTH, clean_title, slug_base


@dataclass(frozen=True)
class Link:
    slug: str
    title: str


@dataclass(frozen=True)
class Rendered:
    html: str
    links: list[Link] = field(default_factory=list)


def page_path(space_slug: str, page_slug: str) -> str:
    return f"/spaces/{quote(space_slug, safe='')}/wiki/{quote(page_slug, safe='')}/"


def create_path(space_slug: str, title: str) -> str:
    return f"/spaces/{quote(space_slug, safe='')}/wiki/new/?title={quote(title, safe='')}"


def render(body: str, *, space_slug: str) -> Rendered:
    """The sanitised HTML of `body` and the wiki pages it links to (in order, once each)."""
    env: dict[str, object] = {"space_slug": space_slug, "links": {}}
    raw = _MD.render(body, env)
    links = env["links"]
    assert isinstance(links, dict)
    return Rendered(html=_add_rel_to_external_links(_CLEANER.clean(raw)), links=list(links.values()))


def mark_wiki_links(
    html: str, *, space_slug: str, targets: Mapping[str, str | None], titles: Mapping[str, str]
) -> str:
    """Point each wiki link at where its page is now.

    `targets` maps a link's slug to the current slug of the page it reaches, or to None when
    there is no such page: such a red link goes to the form that creates the page (titled from
    `titles`) and gets the class "wiki-link--new" and a visually hidden "(page not written yet)".
    Works on `render`'s sanitised output only, where attribute values never hold '"' or '>'.
    """
    href_re = re.compile(rf"/spaces/{re.escape(quote(space_slug, safe=''))}/wiki/([^/?#]+)/(#[^\"]*)?")

    def replace(match: re.Match[str]) -> str:
        attrs = dict(_ATTR.findall(match["attrs"]))
        href_match = href_re.fullmatch(html_lib.unescape(attrs.get("href", "")))
        if "wiki-link" not in attrs.get("class", "").split() or href_match is None:
            return match[0]
        slug = unquote(href_match[1])
        if slug not in targets:
            return match[0]
        target = targets[slug]
        if target is None:
            attrs["href"] = html_lib.escape(create_path(space_slug, titles.get(slug, slug)))
            attrs["class"] = "wiki-link wiki-link--new"
            hidden = '<span class="nhsuk-u-visually-hidden"> (page not written yet)</span>'
            return f"<a{_serialise(attrs)}>{match['text']}{hidden}</a>"
        if target == slug:
            return match[0]
        attrs["href"] = html_lib.escape(page_path(space_slug, target) + (href_match[2] or ""))
        return f"<a{_serialise(attrs)}>{match['text']}</a>"

    return _A_ELEMENT.sub(replace, html) if "wiki-link" in html else html


# --- Markdown extensions ---------------------------------------------------------------------

_WIKI_LINK_MAX = 400
_RELATIVE_PAGE = re.compile(r"(?:\./|\.\./)?(?P<path>[^/?#:\\]+)/?(?P<fragment>#.*)?")
_ALIGN_CLASSES = {
    "text-align:left": "nhsuk-u-text-align-left",
    "text-align:center": "nhsuk-u-text-align-centre",
    "text-align:right": "nhsuk-u-text-align-right",
}


def _wiki_link_rule(state: StateInline, silent: bool) -> bool:
    """`[[Page title]]` or `[[Page title|label]]` on one line."""
    src, start = state.src, state.pos
    if not src.startswith("[[", start):
        return False
    end = src.find("]]", start + 2, start + 2 + _WIKI_LINK_MAX)
    inner = src[start + 2 : end] if end >= 0 else ""
    if not inner or "\n" in inner or "[" in inner:
        return False
    target, _, label = inner.partition("|")
    title = clean_title(target.rstrip("\\"))[:TITLE_MAX_LENGTH]  # `\|` escapes the pipe in tables
    if not title:
        return False
    if not silent:
        slug = slug_base(title)
        opening = state.push("link_open", "a", 1)
        opening.attrs = {"href": page_path(state.env["space_slug"], slug), "class": "wiki-link"}
        opening.meta = {"wiki_link": Link(slug=slug, title=title)}
        text = state.push("text", "", 0)
        text.content = clean_title(label) or title
        state.push("link_close", "a", -1)
    state.pos = end + 2
    return True


def _wiki_core_rule(state: StateCore) -> None:
    """Record wiki links, point relative page links at their pages, turn alignment into classes."""
    space_slug: str = state.env["space_slug"]
    links: dict[str, Link] = state.env["links"]
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            # The page title is the page's only <h1>: headings in the text start at <h2>.
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
        if token.type in ("th_open", "td_open"):
            style = str(token.attrs.pop("style", ""))
            if style in _ALIGN_CLASSES:
                token.attrSet("class", _ALIGN_CLASSES[style])
        for child in token.children or ():
            if child.type == "link_open":
                link = child.meta.get("wiki_link") or _relative_page_link(child, space_slug)
                if isinstance(link, Link):
                    links.setdefault(link.slug, link)


def _relative_page_link(token: Token, space_slug: str) -> Link | None:
    href = str(token.attrGet("href") or "")
    own_prefix = page_path(space_slug, "")[:-1]
    if href.startswith(own_prefix):
        match = _RELATIVE_PAGE.fullmatch(href.removeprefix(own_prefix))
        if match is None:
            return None
        title = unquote(match["path"])
        slug = slug_base(title)
    else:
        match = _RELATIVE_PAGE.fullmatch(href)
        if match is None or href.startswith(("/", "#")):
            return None
        title = clean_title(unquote(match["path"]))[:TITLE_MAX_LENGTH]
        slug = slug_base(title)
    if not title or slug in RESERVED_SLUGS:
        return None
    token.attrSet("href", page_path(space_slug, slug) + (match["fragment"] or ""))
    token.attrSet("class", "wiki-link")
    return Link(slug=slug, title=title)


def _build_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark").enable("table").use(tasklists_plugin)
    md.inline.ruler.before("link", "wiki_link", _wiki_link_rule)
    md.core.ruler.push("wiki_links", _wiki_core_rule)
    return md


_MD = _build_markdown()


# --- Sanitising ------------------------------------------------------------------------------

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "dl",
        "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "ins", "kbd",
        "li", "mark", "ol", "p", "pre", "s", "samp", "small", "strong", "sub", "summary", "sup",
        "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: Mapping[str, frozenset[str]] = {
    "a": frozenset({"href", "title", "class"}),
    "abbr": frozenset({"title"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    "ol": frozenset({"start"}),
    "ul": frozenset({"class"}),
    "li": frozenset({"class"}),
    "th": frozenset({"class"}),
    "td": frozenset({"class"}),
    "code": frozenset({"class"}),
    "input": frozenset({"class", "checked"}),
    "details": frozenset({"open"}),
}
ALLOWED_CLASSES: Mapping[str, frozenset[str]] = {
    "a": frozenset({"wiki-link"}),
    "ul": frozenset({"contains-task-list"}),
    "li": frozenset({"task-list-item"}),
    "input": frozenset({"task-list-item-checkbox"}),
    "th": frozenset(_ALIGN_CLASSES.values()),
    "td": frozenset(_ALIGN_CLASSES.values()),
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
EXTERNAL_LINK_REL = "noopener noreferrer nofollow"
# Removed together with everything inside them (the rest of the unknown tags keep their text).
CLEAN_CONTENT_TAGS = frozenset(
    {
        "script", "style", "template", "noscript", "iframe", "object", "embed", "applet", "frame",
        "frameset", "noframes", "noembed", "svg", "math", "textarea", "select", "title", "xmp",
        "plaintext",
    }
)  # fmt: skip
_LANGUAGE_CLASS = re.compile(r"language-[\w+#.-]{1,40}")
_NUMBER = re.compile(r"\d{1,5}")


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    if name == "class":
        if tag == "code":
            kept = [c for c in value.split() if _LANGUAGE_CLASS.fullmatch(c)][:1]
        else:
            allowed = ALLOWED_CLASSES.get(tag, frozenset())
            kept = [c for c in value.split() if c in allowed]
        return " ".join(kept) or None
    if name in ("width", "height", "start"):
        return value if _NUMBER.fullmatch(value.strip()) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(CLEAN_CONTENT_TAGS),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    attribute_filter=_filter_attribute,
    set_tag_attribute_values={
        "input": {"type": "checkbox", "disabled": "disabled"},
        "img": {"loading": "lazy", "referrerpolicy": "no-referrer"},
    },
    strip_comments=True,
    link_rel=None,
    url_schemes=set(URL_SCHEMES),
)

# In nh3's output every attribute value is double-quoted with '"' and '>' escaped, and <a>
# cannot nest, so these patterns read its tags exactly.
_A_ELEMENT = re.compile(r"<a(?P<attrs>(?:\s[^>]*)?)>(?P<text>.*?)</a>", re.DOTALL)
_A_OPEN = re.compile(r"<a(?P<attrs>\s[^>]*)>")
_ATTR = re.compile(r'([^\s="]+)="([^"]*)"')
_EXTERNAL = re.compile(r"(?:https?:|mailto:|//)", re.IGNORECASE)


def _serialise(attrs: Mapping[str, str]) -> str:
    return "".join(f' {name}="{value}"' for name, value in attrs.items())


def _add_rel_to_external_links(html: str) -> str:
    def replace(match: re.Match[str]) -> str:
        attrs = dict(_ATTR.findall(match["attrs"]))
        if not _EXTERNAL.match(html_lib.unescape(attrs.get("href", ""))):
            return match[0]
        attrs["rel"] = EXTERNAL_LINK_REL
        return f"<a{_serialise(attrs)}>"

    return _A_OPEN.sub(replace, html) if "<a " in html else html


# --- Comments ----------------------------------------------------------------------------------
#
# `render_comment(body, mentions=...)` renders a smaller Markdown for comments: paragraphs,
# emphasis, strong, inline code, code blocks, lists, block quotes, rules and links. No headings,
# images, tables or raw HTML (typed HTML shows as text). `@name` for a name in `mentions`
# becomes <span class="mention">, never a link. The same kind of nh3 cleaner, with a smaller
# allow-list, has the last word; external links get rel="noopener noreferrer nofollow".

# A mention: "@" and a username (Django's characters), not inside a word or an e-mail address,
# never ending with a full stop (the end of the sentence).
MENTION = re.compile(r"(?<![\w@.+-])@(?P<name>[\w.+-]{0,149}[\w+-])")

COMMENT_TAGS = frozenset(
    {"a", "blockquote", "br", "code", "em", "hr", "li", "ol", "p", "pre", "span", "strong", "ul"}
)
COMMENT_ATTRIBUTES: Mapping[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "ol": frozenset({"start"}),
    "code": frozenset({"class"}),
    "span": frozenset({"class"}),
}
COMMENT_CLASSES: Mapping[str, frozenset[str]] = {"span": frozenset({"mention"})}


def render_comment(body: str, *, mentions: Collection[str] = ()) -> str:
    """The sanitised HTML of a comment; `@name` is highlighted for the names in `mentions`."""
    env: dict[str, object] = {"mentions": {name.casefold() for name in mentions}}
    raw = _COMMENT_MD.render(body, env)
    return _add_rel_to_external_links(_COMMENT_CLEANER.clean(raw))


def _mention_rule(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "@":
        return False
    match = MENTION.match(state.src, state.pos)
    mentions: set[str] = state.env.get("mentions") or set()
    if match is None or match["name"].casefold() not in mentions:
        return False
    if not silent:
        opening = state.push("mention_open", "span", 1)
        opening.attrs = {"class": "mention"}
        text = state.push("text", "", 0)
        text.content = match[0]
        state.push("mention_close", "span", -1)
    state.pos = match.end()
    return True


def _build_comment_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False})
    md.disable(["heading", "lheading", "html_block", "html_inline", "image"])
    md.inline.ruler.push("mention", _mention_rule)
    return md


def _filter_comment_attribute(tag: str, name: str, value: str) -> str | None:
    if name == "class":
        if tag == "code":
            kept = [c for c in value.split() if _LANGUAGE_CLASS.fullmatch(c)][:1]
        else:
            kept = [c for c in value.split() if c in COMMENT_CLASSES.get(tag, frozenset())]
        return " ".join(kept) or None
    if name == "start":
        return value if _NUMBER.fullmatch(value.strip()) else None
    return value


_COMMENT_MD = _build_comment_markdown()
_COMMENT_CLEANER = nh3.Cleaner(
    tags=set(COMMENT_TAGS),
    clean_content_tags=set(CLEAN_CONTENT_TAGS),
    attributes={tag: set(names) for tag, names in COMMENT_ATTRIBUTES.items()},
    attribute_filter=_filter_comment_attribute,
    strip_comments=True,
    link_rel=None,
    url_schemes=set(URL_SCHEMES),
)
