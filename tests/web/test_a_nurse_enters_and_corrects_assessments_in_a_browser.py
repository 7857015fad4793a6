"""Nina, the nurse, in a real browser (Chromium): she enters an ALSFRS-R item by item (the first
item by keyboard only), is told beside each field what is missing or wrong, sees the total on the
patient page, corrects it with a reason and follows the link to the superseded value; she enters
an FVC and sees its %-predicted before saving it. A role without assessments.write cannot open
the forms. Every control of the forms has a label (checked in the page: axe-core is not run).

Each step's screenshot is saved (see `screenshot_dir` in conftest.py).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from playwright.sync_api import Page, expect
from web_cast import PASSWORD

from signing_cast import one_time_code

# Every control a user can reach, and whether it has a label; every aria-describedby names
# an element of the page.
UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button')]
  .filter(e => e.tagName === 'BUTTON' ? !e.textContent.trim()
             : !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
  .map(e => e.name || e.id)"""
DANGLING = """() => [...document.querySelectorAll('[aria-describedby]')]
  .flatMap(e => e.getAttribute('aria-describedby').split(' '))
  .filter(id => !document.getElementById(id))"""
UNGROUPED = """() => [...document.querySelectorAll('input[type=radio]')]
  .filter(e => !e.closest('fieldset')?.querySelector('legend')).map(e => e.name)"""


def _sign_in(page: Page, username: str, code: str | None = None) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    if code is not None:  # a nurse signs administrations: her login needs the app's code
        page.get_by_label("One-time code").fill(code)
    page.get_by_role("button", name="Sign in").click()


def _labelled(page: Page) -> None:
    assert page.evaluate(UNLABELLED) == []
    assert page.evaluate(DANGLING) == []
    assert page.evaluate(UNGROUPED) == []


def test_nina_enters_an_alsfrs_r_corrects_it_and_checks_an_fvc(
    visit: Any, pat: Any, clinic: Any
) -> None:
    page = visit.page
    visit.go(f"/clinic/patients/{pat.id}")
    _sign_in(page, "nina", one_time_code(clinic.db, "nina"))
    page.get_by_role("link", name="New ALSFRS-R").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("New ALSFRS-R")
    speech = page.get_by_role("group", name="1. Speech")
    expect(speech).to_contain_text("Intelligible with repeating")  # the instrument's wording
    _labelled(page)
    visit.snap("alsfrs-form")

    # Item 1 by keyboard only: Tab from the rater into the group, the arrow picks "3".
    page.get_by_label("Rater").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q1-4"
    page.keyboard.press("ArrowDown")
    expect(page.locator("#q1-3")).to_be_checked()
    for item in ("q2", "q3", "q4", "q6", "q7", "q8", "q9", "q10", "q11"):  # q12 left out
        page.locator(f"#{item}-3").check()
    page.get_by_label("5a — without gastrostomy").check()
    page.locator("#q5a-3").check()
    page.get_by_role("button", name="Save", exact=True).click()

    q12 = page.get_by_role("group", name="12. Respiratory insufficiency")
    expect(q12).to_have_attribute("aria-describedby", "q12-error")
    expect(page.locator("#q12-error")).to_have_text("choose an answer")
    expect(page.locator("#q1-3")).to_be_checked()  # what was chosen is kept
    _labelled(page)
    visit.snap("missing-item")

    page.locator("#q12-4").check()
    future = (date.today() + timedelta(days=2)).isoformat()
    page.get_by_label("Date of the assessment").fill(future)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_label("Date of the assessment")).to_have_attribute(
        "aria-describedby", "assessed_on-error"
    )
    expect(page.locator("#assessed_on-error")).to_contain_text("must not be after today")
    visit.snap("future-date")

    page.get_by_label("Date of the assessment").fill("2024-03-01")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(pat.study_id)
    timeline = page.get_by_role("table")
    expect(timeline).to_contain_text("ALSFRS-R 37/48, King's stage 3, MiToS 0 by Nina Okafor")
    visit.snap("alsfrs-saved")

    # The correction: the same form filled in, a reason required.
    page.get_by_role("link", name="Correct the alsfrs-r record of 2024-03-01").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Correct the ALSFRS-R")
    expect(page.locator("#q1-3")).to_be_checked()
    page.locator("#q1-2").check()
    page.get_by_role("button", name="Save the correction").click()
    expect(page.locator("#reason-error")).to_have_text(
        "a reason is required to change a saved record"
    )
    expect(page.locator("#q1-2")).to_be_checked()
    _labelled(page)
    visit.snap("correction-without-reason")
    page.get_by_label("Reason for the correction").fill("speech misread at the visit")
    page.get_by_role("button", name="Save the correction").click()
    expect(timeline).to_contain_text("ALSFRS-R 36/48")
    expect(timeline).to_contain_text("speech misread at the visit")
    visit.snap("corrected")
    page.get_by_role("link", name="superseded value").click()
    expect(page.get_by_test_id("status")).to_contain_text("This record is superseded")
    expect(page.get_by_test_id("total")).to_have_text("37/48")
    visit.snap("superseded-record")

    # Spirometry: the %-predicted is shown before anything is saved.
    page.get_by_role("link", name=f"← {pat.study_id}").click()
    page.get_by_role("link", name="New spirometry").click()
    _labelled(page)
    page.get_by_label("Date of the test").fill("2024-03-01")
    page.get_by_label("FVC (litres)").fill("3.1")
    page.get_by_label("Height (cm)").fill("176")
    page.get_by_role("button", name="Check % predicted").click()
    checked = page.get_by_test_id("fvc-percent")
    expect(checked).to_contain_text("% predicted")
    expect(page.get_by_test_id("checked")).to_contain_text("Not saved yet.")
    expect(page.get_by_label("FVC (litres)")).to_have_value("3.1")
    shown = checked.inner_text().split(":")[1].split("%")[0].strip()
    visit.snap("fvc-checked")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(timeline).to_contain_text(f"FVC 3.1 L ({shown}% predicted)")
    visit.snap("fvc-saved")
    assert visit.problems == []


def test_a_role_without_assessments_write_cannot_open_the_forms(visit: Any, pat: Any) -> None:
    page = visit.page
    visit.go(f"/clinic/patients/{pat.id}/alsfrs-r/new")
    _sign_in(page, "olga")  # the data analyst reads assessments but writes none
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.get_by_test_id("refusal")).to_have_text(
        "The data_analyst role may not do this (assessments.write)."
    )
    visit.snap("form-refused")
    visit.go(f"/clinic/patients/{pat.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(pat.study_id)
    expect(page.get_by_role("link", name="New ALSFRS-R")).to_have_count(0)
    expect(page.get_by_role("link", name="New spirometry")).to_have_count(0)
    expect(page.get_by_role("link", name="Other instruments")).to_have_count(0)
    assert visit.problems == []
