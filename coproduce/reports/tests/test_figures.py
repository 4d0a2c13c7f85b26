"""Figures in a paper: images attached to the space's pages travel inside the edition's files."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from bench.paper import _png
from conftest import Committed
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.reports import services
from coproduce.reports.models import Edition, Paper
from coproduce.reports.renderers import render_docx, render_pdf
from coproduce.reports.snapshot import EmbedBudget, build_snapshot, standalone_html
from coproduce.wiki import services as wiki
from coproduce.wiki.models import Attachment, Page

pytestmark = pytest.mark.django_db

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20"/></svg>'


def attach(page: Page, name: str, data: bytes, content_type: str) -> str:
    found = Attachment.objects.create(
        page=page,
        file=ContentFile(data, name=name),
        name=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    return reverse("wiki:attachment", args=[page.space.slug, page.slug, found.pk, name])


def paper_showing(space: Space, facilitator: User, markdown: str) -> Paper:
    paper = services.paper_create(actor=facilitator, space=space, title="Figures", template="blank")
    intro = paper.sections.get()
    services.section_write(actor=facilitator, section=intro, heading="Introduction", body=markdown)
    return paper


def test_an_image_attached_to_a_page_of_the_space_is_embedded_in_every_format(
    members_space: Space, facilitator: User, committed: Committed
) -> None:
    page = wiki.page_create(space=members_space, actor=facilitator, title="Charts", body="Replies.\n")
    chart = attach(page, "replies.png", _png(30, 20), "image/png")
    diagram = attach(page, "flow.svg", SVG, "image/svg+xml")
    paper = paper_showing(
        members_space, facilitator, f"![Replies by week]({chart})\n\n![How a paper is made]({diagram})\n"
    )

    with committed():
        edition = services.paper_publish(actor=facilitator, paper=paper)
    edition.refresh_from_db()
    html = edition.snapshot["sections"][0]["html"]
    pdf = render_pdf(build_snapshot(paper=paper, number=1, version="1.0", published_at=edition.published_at))

    assert edition.status == Edition.Status.READY, edition.error
    assert 'src="data:image/png;base64,' in html
    assert 'src="data:image/svg+xml;base64,' in html
    assert pdf.count(b"/Subtype /Image") >= 1  # the PNG, drawn by WeasyPrint
    with zipfile.ZipFile(io.BytesIO(edition.docx_file.read())) as docx:
        assert any(name.startswith("word/media/") for name in docx.namelist())
        assert "How a paper is made" in docx.read("word/document.xml").decode()  # SVG: its text


def test_an_image_from_another_space_or_the_web_becomes_its_text_alternative(
    members_space: Space, private_space: Space, facilitator: User
) -> None:
    elsewhere = wiki.page_create(space=private_space, actor=facilitator, title="Secret", body="Hidden.\n")
    secret = attach(elsewhere, "secret.png", _png(), "image/png")
    paper = paper_showing(
        members_space,
        facilitator,
        f"![Private chart]({secret})\n\n![Logo](https://tracker.example/pixel.png)\n",
    )

    frozen = build_snapshot(paper=paper, number=1, version="1.0", published_at=paper.created_at)
    html = frozen.sections[0].html

    assert "data:image" not in html
    assert "tracker.example" not in html
    assert "[Private chart]" in html
    assert "[Logo]" in html
    docx = render_docx(frozen)
    assert b"word/media/" not in docx


def test_images_past_the_editions_budget_give_their_text(members_space: Space, facilitator: User) -> None:
    page = wiki.page_create(space=members_space, actor=facilitator, title="Charts", body="Replies.\n")
    data = _png(30, 20)
    chart = attach(page, "replies.png", data, "image/png")
    paper = paper_showing(members_space, facilitator, f"![First]({chart})\n\n![Second]({chart})\n")
    html = paper.sections.get().html
    one_image = len("data:image/png;base64,") + len(base64.b64encode(data))

    shown = standalone_html(html, members_space, EmbedBudget(left=one_image + 10))

    assert shown.count("data:image/png;base64,") == 1
    assert "[Second]" in shown


def test_an_image_address_that_is_not_a_valid_url_becomes_its_text(members_space: Space) -> None:
    html = '<p><img src="http://[not-an-address/x.png" alt="Broken"></p>'

    shown = standalone_html(html, members_space)

    assert shown == "<p>[Broken]</p>"
