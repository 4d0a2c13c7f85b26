"""No page body can put active content in a reader's browser: an XSS corpus against `render`.

Each rendered result is parsed with html.parser, and every tag, attribute and URL checked
against what a browser would do with it; substring checks alone would miss encoded tricks.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from coproduce.lib.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, EXTERNAL_LINK_REL, render

PAYLOADS = [
    # script and event handlers
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src="x" onerror="alert(1)">',
    "<img src=x onerror=alert(1)//>",
    '<body onload="alert(1)">',
    '<div onmouseover="alert(1)">hover</div>',
    '<a href="/ok" onclick="alert(1)">click</a>',
    '<details open ontoggle="alert(1)"><summary>x</summary></details>',
    '<input autofocus onfocus="alert(1)">',
    '<video><source onerror="alert(1)"></video>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    # javascript:, vbscript: and data: URLs
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="javascript&#58;alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="javascript:alert(1)">',
    '<img src="data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+">',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "![x](javascript:alert(1))",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "<javascript:alert(1)>",
    "<vbscript:msgbox(1)>",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    # embedding, navigation and forms
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="https://evil.example/x.swf">',
    "<style>body{display:none}</style>",
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    '<form action="https://evil.example"><input name="q">'
    '<button formaction="javascript:alert(1)">go</button></form>',
    '<svg onload="alert(1)"><script>alert(1)</script></svg>',
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    # nested-markup and parser tricks
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    '<img """><script>alert(1)</script>">',
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<a href="https://ok.example"\nonclick="alert(1)">x</a>',
    "<div>\n\n<script>alert(1)</script>\n\n</div>",
    "```\n</code></pre><script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    # wiki links and link titles
    '[[Page" onmouseover="alert(1)]]',
    "[[Page' onmouseover='alert(1)|label]]",
    "[[x|<img src=x onerror=alert(1)>]]",
    "[[<script>alert(1)</script>]]",
    "[[javascript:alert(1)]]",
    '[x](https://ok.example "title\\" onmouseover=\\"alert(1)")',
    "[x](https://ok.example 'a\" onmouseover=\"alert(1)')",
    '[x](/ok "<script>alert(1)</script>")',
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    "- [ ] <img src=x onerror=alert(1)>",
]

_DANGEROUS_TAGS = {
    "script", "style", "iframe", "object", "embed", "svg", "math", "form", "input", "button",
    "meta", "base", "link", "template", "noscript", "frame", "frameset", "body", "video", "source",
}  # fmt: skip
_URL_ATTRIBUTES = {"href", "src", "xlink:href", "action", "formaction", "data", "cite", "srcset"}
_SAFE_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
# What a browser's URL parser drops before reading the scheme.
_IGNORED_BY_URL_PARSER = re.compile(r"[\t\n\r]")


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def _elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.elements


def _scheme(url: str) -> str | None:
    cleaned = _IGNORED_BY_URL_PARSER.sub("", url).lstrip("".join(map(chr, range(0x21))))
    match = _SCHEME.match(cleaned)
    return match[1].lower() if match else None


def _assert_inert(html: str) -> None:
    for tag, attrs in _elements(html):
        assert tag in ALLOWED_TAGS, f"tag <{tag}> survived in {html!r}"
        assert tag not in _DANGEROUS_TAGS or (tag == "input" and attrs.get("type") == "checkbox"), html
        assert set(attrs) <= ALLOWED_ATTRIBUTES.get(tag, frozenset()) | {
            "rel",
            "type",
            "disabled",
            "loading",
            "referrerpolicy",
        }
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event handler {name} survived in {html!r}"
            assert name not in {"style", "srcdoc"}, html
            if name in _URL_ATTRIBUTES and value is not None:
                scheme = _scheme(value)
                assert scheme is None or scheme in _SAFE_SCHEMES, f"{name}={value!r} survived in {html!r}"
        if tag == "input":
            assert attrs.get("disabled") is not None
        if tag == "a" and _scheme(attrs.get("href") or "") in _SAFE_SCHEMES:
            assert attrs.get("rel") == EXTERNAL_LINK_REL


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_active_content_survives_rendering(payload: str) -> None:
    _assert_inert(render(payload, space_slug="open-notes").html)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_active_content_survives_inside_markdown_structures(payload: str) -> None:
    body = f"# Title\n\n> {payload}\n\n- {payload}\n\n**{payload}**\n\n{payload}\n"

    _assert_inert(render(body, space_slug="open-notes").html)


def test_the_corpus_is_large_enough_to_mean_something() -> None:
    assert len(PAYLOADS) >= 40


def test_a_wiki_link_cannot_break_out_of_its_attribute() -> None:
    html = render('[[Page" onmouseover="alert(1)]]', space_slug="open-notes").html

    [attrs] = [attrs for tag, attrs in _elements(html) if tag == "a"]
    assert set(attrs) == {"href", "class"}
    assert attrs["href"] == "/spaces/open-notes/wiki/page-onmouseoveralert1/"


def test_script_content_is_removed_not_shown_as_text() -> None:
    html = render("Before <script>alert('x')</script> after", space_slug="open-notes").html

    assert "alert" not in html
    assert "Before" in html
    assert "after" in html


def test_the_checker_itself_catches_active_content() -> None:
    for bad in ('<a href="javascript:alert(1)">x</a>', '<img src=x onerror="alert(1)">', "<script></script>"):
        with pytest.raises(AssertionError):
            _assert_inert(bad)
