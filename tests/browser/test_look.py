"""The NHS.UK look in a real browser: accessible, keyboard-usable, and never calling other hosts."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import RequestFactory
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from coproduce.accounts.models import User
from coproduce.communities.models import Space

from .conftest import AxeCheck, BrowserLog, LogIn

pytestmark = pytest.mark.browser


def test_the_home_page_is_accessible_to_an_anonymous_visitor_and_stays_on_site(
    page: Page,
    site: str,
    axe_check: AxeCheck,
    browser_log: BrowserLog,
    public_space: Space,
    members_space: Space,
) -> None:
    response = page.goto(site + "/")
    page.wait_for_load_state("networkidle")

    assert response is not None
    assert response.status == 200
    expect(page).to_have_title("Home \N{EN DASH} NHS Faculty of Health Informatics")
    expect(page.locator("html")).to_have_attribute("lang", "en-GB")
    expect(page.locator("a.nhsuk-skip-link")).to_have_attribute("href", "#maincontent")
    expect(page.locator("main#maincontent")).to_have_count(1)
    expect(page.get_by_role("link", name="Open notes")).to_have_attribute("href", "/spaces/open-notes/")
    expect(page.get_by_role("link", name="Masterclass")).to_have_count(0)
    expect(page.get_by_role("button", name="Apply for membership")).to_have_attribute("href", "/apply/")
    expect(page.get_by_role("searchbox", name="Search the community")).to_be_visible()
    assert browser_log.offsite == []
    axe_check(page)


def test_the_nhs_frontend_styles_and_scripts_are_loaded_from_the_site(page: Page, site: str) -> None:
    page.goto(site + "/")

    header_colour = page.locator("header.nhsuk-header").evaluate("el => getComputedStyle(el).backgroundColor")
    assert header_colour == "rgb(0, 94, 184)"  # NHS blue: the stylesheet applied
    expect(page.locator("body")).to_contain_class("js-enabled nhsuk-frontend-supported")
    expect(page.locator("header .nhsuk-header__menu")).to_have_count(1)


def test_the_browser_guard_records_off_site_requests_and_csp_violations(
    page: Page, site: str, browser_log: BrowserLog
) -> None:
    page.goto(site + "/")
    page.evaluate(
        "() => new Promise(done => { const img = new Image(); img.onerror = done; img.onload = done;"
        " img.src = 'http://example.invalid/pixel.png'; })"
    )
    with pytest.raises(PlaywrightError):
        page.goto("http://example.invalid/elsewhere")

    assert browser_log.offsite == ["http://example.invalid/elsewhere"]
    assert len(browser_log.csp_violations) == 1
    assert "http://example.invalid/pixel.png" in browser_log.csp_violations[0]
    browser_log.clear()  # expected here; in any other test they fail it at teardown


def test_a_missing_page_is_a_friendly_accessible_404(page: Page, site: str, axe_check: AxeCheck) -> None:
    response = page.goto(site + "/no-such-page/")

    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_role("link", name="Go to the home page")).to_be_visible()
    axe_check(page)


def test_the_first_tab_reaches_the_skip_link_which_moves_focus_to_the_main_content(
    page: Page, site: str
) -> None:
    page.goto(site + "/")

    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => [document.activeElement.className, document.activeElement.textContent.trim()]"
    )
    assert focused == ["nhsuk-skip-link", "Skip to main content"]

    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "maincontent"


ERROR_PAGES = [
    (400, "Sorry, there is a problem with your request", "The request could not be understood."),
    (403, "You cannot do that", "Only the space's facilitators can change its members."),
    (413, "What you sent is too large", "The request is too large: the limit is 2048 KB."),
    (429, "Too many attempts", "You have tried to log in too many times."),
    (500, "Sorry, there is a problem with the service", "Sorry, something went wrong on our side."),
]


@pytest.mark.parametrize(("status", "heading", "message"), ERROR_PAGES)
def test_each_error_page_explains_itself_and_passes_axe(
    page: Page, site: str, axe_check: AxeCheck, rf: RequestFactory, status: int, heading: str, message: str
) -> None:
    request = rf.get("/somewhere/")
    request.user = AnonymousUser()
    # 500.html must render with no request and no context processors at all.
    html = render_to_string(
        f"{status}.html", {"message": message}, request=None if status == 500 else request
    )
    page.route(
        "**/error-page", lambda route: route.fulfill(status=status, body=html, content_type="text/html")
    )

    response = page.goto(site + "/error-page")

    assert response is not None
    assert response.status == status
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_text(message)).to_be_visible()
    expect(page.get_by_role("link", name="Go to the home page")).to_be_visible()
    axe_check(page)


def test_a_signed_in_member_sees_their_name_members_spaces_and_a_log_out_button(
    page: Page,
    site: str,
    log_in: LogIn,
    axe_check: AxeCheck,
    member: User,
    members_space: Space,
    private_space: Space,
) -> None:
    log_in(page, member)
    page.goto(site + "/")

    account = page.get_by_role("navigation", name="Account")
    expect(account.get_by_role("link", name="Meera Member")).to_have_attribute("href", "/accounts/profile/")
    expect(account.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("link", name="Masterclass")).to_be_visible()
    expect(page.get_by_role("link", name="Steering group")).to_have_count(0)
    expect(page.get_by_role("link", name="Apply to join")).to_have_count(0)
    expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
    axe_check(page)


def test_a_community_admin_gets_the_review_queue_and_audit_log_in_the_menu(
    page: Page, site: str, log_in: LogIn, axe_check: AxeCheck, admin: User, private_space: Space
) -> None:
    log_in(page, admin)
    page.goto(site + "/")

    menu = page.get_by_role("navigation", name="Menu")
    expect(menu.get_by_role("link", name="Applications")).to_have_attribute("href", "/applications/")
    expect(menu.get_by_role("link", name="Audit log")).to_have_attribute("href", "/governance/audit/")
    expect(page.get_by_role("link", name="Steering group")).to_be_visible()
    axe_check(page)


class _EveryKindOfField(forms.Form):
    name = forms.CharField(help_text="As you would like other members to see it")
    email = forms.EmailField()
    reason = forms.CharField(widget=forms.Textarea, required=False)
    sector = forms.ChoiceField(choices=[("nhs", "NHS"), ("social_care", "Social care")])
    credit = forms.ChoiceField(
        choices=[("name", "My name"), ("initials", "My initials"), ("anonymous", "Anonymous")],
        widget=forms.RadioSelect,
        help_text="How papers credit you",
    )
    topics = forms.MultipleChoiceField(
        choices=[("wiki", "Wikis"), ("safety", "Safety")], widget=forms.CheckboxSelectMultiple
    )
    conduct = forms.BooleanField(label="I accept the code of conduct")

    def clean(self) -> dict[str, object]:
        raise forms.ValidationError("Something about the form as a whole is wrong.")


def test_a_form_with_errors_renders_nhs_style_and_passes_axe(
    page: Page, site: str, axe_check: AxeCheck
) -> None:
    form = _EveryKindOfField(data={"name": "Ann", "reason": "I was at the masterclass"})
    form.is_valid()
    html = render_to_string("includes/error_summary.html", {"form": form}) + f"<form>{form}</form>"
    page.goto(site + "/")

    page.locator("main").evaluate("(main, html) => { main.innerHTML = html; }", html)

    summary = page.locator(".nhsuk-error-summary")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link", name="Enter a valid email address.")).to_have_count(0)
    expect(summary.get_by_role("link")).to_have_count(6)
    expect(page.get_by_label("Reason (optional)")).to_have_value("I was at the masterclass")
    expect(page.get_by_label("Email")).to_have_attribute("aria-describedby", "id_email_error")
    expect(page.locator("#id_email_error")).to_have_text("Error: This field is required.")
    expect(page.get_by_role("group", name="How papers credit you")).to_have_count(0)
    expect(page.get_by_role("group", name="Credit")).to_have_attribute(
        "aria-describedby", "id_credit_helptext id_credit_error"
    )
    axe_check(page)
