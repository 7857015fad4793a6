"""Alice, the coordinator, in a real browser (Chromium): she signs in, sees the synthetic-data
banner, her name, her site and her navigation, finds a patient by study id, opens the patient's
timeline, and signs out. The page works at 1280 px and at tablet width, by keyboard, with the
style sheet alstrack serves itself and no Content-Security-Policy violation.

Each step's screenshot is saved (see `screenshot_dir` in conftest.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from playwright.sync_api import expect
from web_cast import PASSWORD

from alstrack.services import records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT
from alstrack.services.patients import PatientIn, register_patient

TABLET = {"width": 768, "height": 1024}


def test_alice_signs_in_finds_a_patient_reads_the_timeline_and_signs_out(
    visit: Any, clinic: Any, pat: Any, alsfrs: Any
) -> None:
    records.add(clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id, alsfrs(date(2024, 2, 1)))
    for _ in range(3):  # synthetic neighbours: the banner must show
        register_patient(
            clinic.db, clinic["alice"], PatientIn(site_id=clinic.sites["NORTH"], synthetic=True)
        )
    page = visit.page

    visit.go("/")
    banner = page.get_by_role("status").filter(has_text="SYNTHETIC DEMO DATA")
    expect(banner).to_be_visible()
    # The style sheet is alstrack's own, allowed by the CSP: the banner is brown.
    colour = banner.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(122, 75, 0)"
    visit.snap("home-signed-out")

    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    visit.snap("sign-in-form")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(visit.url + "/")
    expect(banner).to_be_visible()
    expect(page.get_by_test_id("user")).to_contain_text("Alice Moreau")
    expect(page.get_by_test_id("sites")).to_have_text("Northgate Clinic (NORTH)")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_text(["Patients"])
    visit.snap("home-signed-in")

    nav.get_by_role("link", name="Patients").click()
    expect(page.get_by_test_id("count")).to_have_text("4 patients.")
    page.get_by_label("Study id").fill(pat.study_id)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("count")).to_have_text("1 patient.")
    row = page.get_by_role("row").filter(has_text=pat.study_id)
    expect(row).to_contain_text("36/48")
    expect(nav.get_by_role("link", name="Patients")).to_have_attribute("aria-current", "page")
    visit.snap("patients-found")

    row.get_by_role("link", name=pat.study_id).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(pat.study_id)
    timeline = page.get_by_role("table")
    expect(timeline).to_contain_text("Symptom onset (bulbar)")
    expect(timeline).to_contain_text("ALSFRS-R 36/48, King's stage 4")
    visit.snap("patient-timeline")

    # Tablet width: nothing wider than the screen, the navigation still there.
    page.set_viewport_size(TABLET)
    page.get_by_role("link", name="← Patients").click()
    expect(page.get_by_test_id("count")).to_have_text("4 patients.")
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    expect(nav).to_be_visible()
    visit.snap("patients-tablet")

    # By keyboard: the first Tab reaches the skip link, which leads to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status").filter(has_text="You are signed out.")).to_be_visible()
    visit.snap("signed-out")
    visit.go("/clinic/patients")
    expect(page).to_have_url(visit.url + "/login?next=%2Fclinic%2Fpatients")
    assert visit.problems == []
