"""Atom feeds of recent changes: valid Atom, public spaces only, hidden pages never."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.utils import timezone

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.notifications.tests.helpers import make_page
from coproduce.wiki.services import page_save

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def parse(response: object) -> ET.Element:
    assert getattr(response, "status_code", None) == 200
    assert response["Content-Type"].startswith("application/atom+xml")  # type: ignore[index]
    root = ET.fromstring(response.content)  # type: ignore[attr-defined]  # noqa: S314 - our own output
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None, required
    return root


def entries(root: ET.Element) -> list[dict[str, str]]:
    found = []
    for entry in root.findall(f"{ATOM}entry"):
        link = entry.find(f"{ATOM}link")
        assert link is not None
        found.append(
            {
                "id": entry.findtext(f"{ATOM}id", ""),
                "title": entry.findtext(f"{ATOM}title", ""),
                "updated": entry.findtext(f"{ATOM}updated", ""),
                "href": link.get("href", ""),
                "author": entry.findtext(f"{ATOM}author/{ATOM}name", ""),
                "summary": entry.findtext(f"{ATOM}summary", ""),
            }
        )
    return found


def test_a_public_space_feed_lists_its_revisions_newest_first_as_valid_atom(
    public_space: Space, facilitator: User, member: User, anonymous: Client
) -> None:
    page = make_page(public_space, facilitator, title="Workforce")
    page_save(page=page, actor=facilitator, body="More.", base_revision=1, summary="Added <b>a line</b>")
    make_page(public_space, facilitator, title="Digital tools")
    root = parse(anonymous.get("/spaces/open-notes/feed/"))
    assert "Open notes" in root.findtext(f"{ATOM}title", "")
    found = entries(root)
    assert [e["title"] for e in found] == [
        "Digital tools (revision 1)",
        "Workforce (revision 2)",
        "Workforce (revision 1)",
    ]
    assert found[1]["href"] == "http://127.0.0.1:8000/spaces/open-notes/wiki/workforce/diff/?from=1&to=2"
    assert found[2]["href"] == "http://127.0.0.1:8000/spaces/open-notes/wiki/workforce/revisions/1/"
    assert found[1]["author"] == "Rowan Facilitator"
    assert found[1]["summary"] == "Added &lt;b&gt;a line&lt;/b&gt;, by Rowan Facilitator"  # text, not markup
    assert all(e["id"] and e["updated"] for e in found)
    assert len({e["id"] for e in found}) == 3


def test_feed_ids_and_links_come_from_the_site_url_whatever_host_was_asked_for(
    public_space: Space, facilitator: User, anonymous: Client, settings: pytest.FixtureRequest
) -> None:
    settings.ALLOWED_HOSTS = ["*"]  # type: ignore[attr-defined]
    settings.SITE_URL = "https://coproduce.example.org"  # type: ignore[attr-defined]
    make_page(public_space, facilitator, title="Workforce")
    feeds = [
        anonymous.get(path, headers={"host": host})
        for host in ("coproduce.example.org", "mirror.example.net")
        for path in ("/spaces/open-notes/feed/", "/spaces/open-notes/wiki/workforce/feed/")
    ]
    assert feeds[0].content == feeds[2].content
    assert feeds[1].content == feeds[3].content
    for response in feeds:
        root = parse(response)
        addresses = [root.findtext(f"{ATOM}id", "")]
        addresses += [link.get("href", "") for link in root.iter(f"{ATOM}link")]
        addresses += [entry["id"] for entry in entries(root)] + [entry["href"] for entry in entries(root)]
        assert len(addresses) >= 5
        assert all(address.startswith("https://coproduce.example.org/spaces/") for address in addresses)
        assert b"mirror" not in response.content


def test_a_page_feed_lists_only_that_page(public_space: Space, facilitator: User, anonymous: Client) -> None:
    page = make_page(public_space, facilitator, title="Workforce")
    page_save(page=page, actor=facilitator, body="More.", base_revision=1)
    make_page(public_space, facilitator, title="Digital tools")
    found = entries(parse(anonymous.get("/spaces/open-notes/wiki/workforce/feed/")))
    assert [e["title"] for e in found] == ["Workforce (revision 2)", "Workforce (revision 1)"]


def test_members_and_private_spaces_have_no_feed_even_for_their_members(
    members_space: Space, private_space: Space, facilitator: User, anonymous: Client
) -> None:
    make_page(members_space, facilitator, title="Workforce")
    make_page(private_space, facilitator, title="Secrets")
    signed_in = client_for(facilitator)
    for client in (anonymous, signed_in):
        for path in (
            "/spaces/masterclass/feed/",
            "/spaces/steering/feed/",
            "/spaces/masterclass/wiki/workforce/feed/",
            "/spaces/steering/wiki/secrets/feed/",
            "/spaces/no-such-space/feed/",
        ):
            response = client.get(path)
            assert response.status_code == 404, path
            assert b"Secrets" not in response.content


def test_hidden_pages_never_appear_in_feeds(
    public_space: Space, facilitator: User, anonymous: Client
) -> None:
    hidden = make_page(public_space, facilitator, title="Rude page")
    make_page(public_space, facilitator, title="Fine page")
    hidden.hidden_at = timezone.now()
    hidden.save()
    response = anonymous.get("/spaces/open-notes/feed/")
    assert [e["title"] for e in entries(parse(response))] == ["Fine page (revision 1)"]
    assert b"Rude" not in response.content
    assert anonymous.get("/spaces/open-notes/wiki/rude-page/feed/").status_code == 404
