"""In a real browser (Chromium), what may not be done is refused in plain words: a wrong
password, a form sent without its CSRF token, a page the role may not open, and a page opened
without signing in, which leads to the sign-in page and back.

Each step's screenshot is saved (see `screenshot_dir` in conftest.py).
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect
from web_cast import PASSWORD


def _sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_wrong_password_is_said_on_the_sign_in_page(visit: Any) -> None:
    visit.go("/login")
    _sign_in(visit.page, "alice", "not the password")
    expect(visit.page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(visit.page.get_by_label("Username")).to_have_value("alice")
    expect(visit.page.get_by_label("Password")).to_be_focused()
    visit.snap("wrong-password")
    assert visit.problems == []


def test_a_form_sent_without_its_csrf_token_is_refused(visit: Any) -> None:
    visit.go("/login")
    _sign_in(visit.page, "alice")
    # What a forged form would lack: the hidden token (removed here by the test, not the page).
    token = visit.page.locator('form[action="/logout"] input[name="csrf_token"]')
    token.evaluate("e => e.remove()")
    visit.page.get_by_role("button", name="Sign out").click()
    expect(visit.page.get_by_test_id("refusal")).to_have_text(
        "This form was refused: its security token is missing or does not match your session. "
        "Reload the page and send the form again."
    )
    visit.snap("form-refused")
    # Still signed in: the refused form did nothing.
    expect(visit.page.get_by_test_id("user")).to_contain_text("Alice Moreau")
    visit.page.get_by_role("link", name="Back to the home page").click()
    expect(visit.page.get_by_test_id("user")).to_contain_text("Alice Moreau")
    assert visit.problems == []


def test_a_page_the_role_may_not_open_says_which_permission_it_lacks(visit: Any, pat: Any) -> None:
    visit.go(f"/clinic/patients/{pat.id}")
    _sign_in(visit.page, "ben")  # the lab technician reads no assessments
    expect(visit.page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(visit.page.get_by_test_id("refusal")).to_have_text(
        "The lab_technician role may not do this (assessments.read)."
    )
    visit.snap("role-refused")
    # The list is his to open, without the scores he may not read.
    visit.page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    expect(visit.page.get_by_role("row").filter(has_text=pat.study_id)).to_be_visible()
    expect(visit.page.get_by_role("columnheader", name="Latest ALSFRS-R")).to_have_count(0)
    visit.snap("list-without-scores")
    assert visit.problems == []


def test_a_page_opened_without_signing_in_leads_to_sign_in_and_back(visit: Any) -> None:
    visit.go("/clinic/patients?q=NORTH")
    expect(visit.page).to_have_url(visit.url + "/login?next=%2Fclinic%2Fpatients%3Fq%3DNORTH")
    visit.snap("sign-in-asked")
    _sign_in(visit.page, "alice")
    expect(visit.page).to_have_url(visit.url + "/clinic/patients?q=NORTH")
    expect(visit.page.get_by_label("Study id")).to_have_value("NORTH")
    visit.snap("back-where-asked")
    assert visit.problems == []
