"""What the attack tests share: hostile inputs and a check that a response carries no active content.

`active_content(response)` parses an HTML response (the standard library's HTML parser, which reads
tags and attributes as a browser does, and is stricter than one inside <textarea> and <title>) and
lists everything in it that could run script or send the reader elsewhere without asking:

- a <script> without the nonce of this response's Content-Security-Policy (ours all carry it);
- any on* event-handler attribute;
- a javascript:, vbscript: or data: URL (data:image/... is allowed in <img src>) in href, src,
  action, formaction, xlink:href, data, poster or background;
- <iframe>, <frame>, <object>, <embed>, <base> and <meta http-equiv="refresh">, which our own
  templates never use.

An empty list means the page is safe to show.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any

# Every payload tries to get script to run in another reader's browser. Each names its trick.
XSS_PAYLOADS: dict[str, str] = {
    "script-tag": "<script>alert('xss-script')</script>",
    "attribute-break-out": '"><script>alert(1)</script>',
    "single-quote-break-out": "'><svg onload=alert(1)>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "svg-onload": "<svg onload=alert(1)>",
    "svg-script": "<svg><script>alert(1)</script></svg>",
    "markdown-javascript-link": "[click me](javascript:alert(1))",
    "markdown-javascript-link-mixed-case": "[click me](JaVaScRiPt:alert(1))",
    "markdown-javascript-link-entity": "[click me](java&#x73;cript:alert(1))",
    "markdown-javascript-link-escaped-newline": "[click me](java%0ascript:alert(1))",
    "markdown-data-link": "[click me](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "markdown-vbscript-link": "[click me](vbscript:msgbox(1))",
    "markdown-image-javascript": "![pic](javascript:alert(1))",
    "markdown-image-title-break-out": '![pic](x.png "a\\" onerror=\\"alert(1)")',
    "markdown-reference-link": "[click me][evil]\n\n[evil]: javascript:alert(1)",
    "markdown-autolink": "<javascript:alert(1)>",
    "html-javascript-href": '<a href="javascript:alert(1)">click me</a>',
    "html-javascript-href-control-char": '<a href="&#14;javascript:alert(1)">click me</a>',
    "html-javascript-href-tab": '<a href="jav&#x09;ascript:alert(1)">click me</a>',
    "nested-script": "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "broken-script": "<<script>script>alert(1)<</script>/script>",
    "entity-encoded-script": "&lt;script&gt;alert(1)&lt;/script&gt;",
    "double-encoded": "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;",
    "iframe": "<iframe src=javascript:alert(1)></iframe>",
    "object": '<object data="javascript:alert(1)"></object>',
    "math-xlink": '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "details-ontoggle": "<details open ontoggle=alert(1)>x</details>",
    "style-import": "<style>@import 'http://evil.example/x.css';</style>",
    "comment-break-out": '<!--<img src="--><img src=x onerror=alert(1)//">',
    "noscript-break-out": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "table-cell": "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    "wiki-link": "[[<img src=x onerror=alert(1)>]] and [[x|<svg onload=alert(1)>]]",
    "code-span": "`<script>alert(1)</script>` and\n\n    <script>alert(2)</script>",
    "base-tag": '<base href="//evil.example/">',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "form-action": (
        '<form action="javascript:alert(1)"><button formaction="javascript:alert(2)">x</button></form>'
    ),
    "textarea-break-out": "</textarea><script>alert(1)</script>",
    "title-break-out": "</title><script>alert(1)</script>",
    "json-script-break-out": "</script><script>alert(1)</script>",
    "template-injection": "{{ 7|add:'<script>alert(1)</script>' }}{% now 'Y' %}",
    "unicode-line-separator": "\u2028<script>alert(1)</script>\u2029",
}

# Plain one-line text fields (titles, names, organisations) get the payloads that fit in one line.
ONE_LINE_PAYLOADS: dict[str, str] = {
    name: payload for name, payload in XSS_PAYLOADS.items() if "\n" not in payload and len(payload) <= 120
}

_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}
_FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "base", "applet"}
_DANGEROUS_SCHEME = re.compile(r"^(javascript|vbscript|data):", re.IGNORECASE)
_FEED_HTML = {"summary", "content", "description"}  # Atom type="html" and RSS descriptions
_NONCE = re.compile(r"'nonce-([^']+)'")


def _scheme_of(url: str) -> str:
    """The URL as a browser reads its scheme: control characters and whitespace removed."""
    return re.sub(r"[\x00-\x20\x7f]+", "", url)


def csp_nonce(response: Any) -> str | None:
    found = _NONCE.search(response.get("Content-Security-Policy", ""))
    return found.group(1) if found else None


class _Inspector(HTMLParser):
    def __init__(self, nonce: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        if tag == "script" and (self.nonce is None or values.get("nonce") != self.nonce):
            self.problems.append(f"<script> without our nonce: {attrs!r:.120}")
        if tag in _FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name in _URL_ATTRIBUTES or name.endswith(":href"):
                url = _scheme_of(value)
                if _DANGEROUS_SCHEME.match(url) and not (
                    tag == "img" and name == "src" and url.lower().startswith("data:image/")
                ):
                    self.problems.append(f"{name}={value!r} on <{tag}>")

    handle_startendtag = handle_starttag


def active_content_in_html(text: str, *, nonce: str | None) -> list[str]:
    """Everything in `text` (an HTML document or fragment) that could run script or redirect."""
    inspector = _Inspector(nonce)
    inspector.feed(text)
    inspector.close()
    return inspector.problems


def active_content(response: Any) -> list[str]:
    """Active content in an HTML, XML (feeds) or JSON response; JSON and XML strings are parsed as HTML."""
    content_type = response.get("Content-Type", "")
    body = response.content.decode() if not getattr(response, "streaming", False) else ""
    if "json" in content_type:
        return [problem for text in _html_strings(json.loads(body)) for problem in _fragment(text)]
    if "xml" in content_type:
        root = ET.fromstring(response.content)  # noqa: S314  (our own feed, not untrusted XML)
        return [
            problem
            for element in root.iter()
            if isinstance(element.tag, str) and element.tag.rpartition("}")[2] in _FEED_HTML
            for problem in _fragment(element.text or "")
        ]
    return active_content_in_html(body, nonce=csp_nonce(response))


def _fragment(text: str) -> list[str]:
    """Some strings in JSON or a feed are shown as HTML (the `html` fields, feed readers' summaries)."""
    if "<" not in text and ":" not in text:
        return []
    return active_content_in_html(f"<div>{text}</div>", nonce=None)


def _html_strings(value: Any) -> Iterable[str]:
    """The values of `html`, `*_html` and `snippet` keys anywhere in a JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and (key in ("html", "snippet") or key.endswith("_html")):
                yield item
            else:
                yield from _html_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _html_strings(item)
