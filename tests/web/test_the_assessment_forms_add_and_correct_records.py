"""The assessment forms through the ASGI test client: an ALSFRS-R entered item by item and
corrected with a reason, a spirometry checked before it is saved, each refusal beside its field
with what was typed kept, a stale correction shown with the record as it stands, and every form
refused without its CSRF token."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from web_cast import FORM_PAGES, csrf_of

from alstrack.services import records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT, SPIROMETRY
from alstrack.services.milestones import MILESTONE, MilestoneIn

REFUSED = "This form was refused: its security token is missing or does not match your session."
ITEMS = ("q1", "q2", "q3", "q4", "q6", "q7", "q8", "q9", "q10", "q11", "q12")


def _alsfrs_form(**changes: str) -> dict[str, str]:
    form = {"assessed_on": "2024-03-01", "assessed_by": "Nina Okafor", "item5": "q5a", "q5a": "3"}
    form |= dict.fromkeys(ITEMS, "3")
    return {k: v for k, v in (form | changes).items() if v is not None}


def _post(client: TestClient, url: str, form: dict[str, str]) -> Any:
    token = csrf_of(client.get(url).text)
    return client.post(url, data=form | {"csrf_token": token}, follow_redirects=False)


def _error_beside(html: str, field: str, *, described: bool = True) -> str:
    """The refusal shown beside a field, which the field names in its aria-describedby."""
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert found, f"no refusal beside {field}"
    if described:
        assert re.search(rf'aria-describedby="[^"]*\b{field}-error\b', html), field
    return found.group(1)


def test_the_form_shows_each_items_wording_from_the_instrument(browser: Any, pat: Any) -> None:
    html = browser("nina").get(f"/clinic/patients/{pat.id}/alsfrs-r/new").text
    assert "Loss of useful speech" in html  # q1, answer 0
    assert "Marked drooling; requires constant tissue or handkerchief" in html
    assert "5b — with gastrostomy" in html
    assert "Provides minimal assistance to caregiver" in html
    assert html.count('type="radio"') == 13 * 5 + 2
    assert 'id="q1-4"' in html


def test_a_nurse_enters_an_alsfrs_r_and_sees_its_total_and_stages(browser: Any, pat: Any) -> None:
    nina = browser("nina")
    answer = _post(nina, f"/clinic/patients/{pat.id}/alsfrs-r/new", _alsfrs_form(q1="2"))
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/clinic/patients/{pat.id}"
    page = nina.get(answer.headers["location"]).text
    assert "ALSFRS-R 35/48, King&#39;s stage 4, MiToS 0 by Nina Okafor" in page
    assert "/correct" in page


def test_missing_items_a_future_date_and_an_empty_rater_are_refused_beside_them(
    browser: Any, clinic: Any, pat: Any
) -> None:
    nina = browser("nina")
    url = f"/clinic/patients/{pat.id}/alsfrs-r/new"
    form = _alsfrs_form()
    del form["q7"], form["q12"]
    answer = _post(nina, url, form)
    assert answer.status_code == 422
    assert _error_beside(answer.text, "q7") == "choose an answer"
    assert _error_beside(answer.text, "q12") == "choose an answer"
    assert 'value="3" id="q6-3" checked' in answer.text  # what was typed is kept
    future = (date.today() + timedelta(days=3)).isoformat()
    answer = _post(nina, url, _alsfrs_form(assessed_by=""))
    assert answer.status_code == 422
    assert _error_beside(answer.text, "assessed_by")
    answer = _post(nina, url, _alsfrs_form(assessed_on=future))
    assert _error_beside(answer.text, "assessed_on").startswith("must not be after today")
    assert f'value="{future}"' in answer.text
    assert records.list_for_patient(clinic.db, clinic["nina"], INSTRUMENT_ASSESSMENT, pat.id) == []


def test_item_5a_after_a_gastrostomy_is_refused_in_the_services_words(
    browser: Any, clinic: Any, pat: Any
) -> None:
    peg = MilestoneIn(kind="gastrostomy", occurred_on=date(2024, 1, 10))
    records.add(clinic.db, clinic["chen"], MILESTONE, pat.id, peg)
    nina = browser("nina")
    url = f"/clinic/patients/{pat.id}/alsfrs-r/new"
    answer = _post(nina, url, _alsfrs_form())
    assert answer.status_code == 422
    assert _error_beside(answer.text, "q5a") == (
        "the patient has a gastrostomy since 2024-01-10: score item 5 as q5b"
    )
    form = _alsfrs_form(item5="q5b", q5b="2")
    assert _post(nina, url, form).status_code == 303


def test_a_correction_needs_a_reason_and_the_version_read(
    browser: Any, clinic: Any, pat: Any, alsfrs: Any
) -> None:
    old = records.add(
        clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id, alsfrs(date(2024, 2, 1))
    )
    nina, chen = browser("nina"), browser("chen")
    url = f"/clinic/patients/{pat.id}/alsfrs-r/{old.id}/correct"
    opened = nina.get(url).text
    assert 'name="version" value="1"' in opened
    assert 'value="3" id="q1-3" checked' in opened
    assert 'value="2024-02-01"' in opened
    form = _alsfrs_form(assessed_on="2024-02-01", q1="1", version="1")
    answer = nina.post(url, data=form | {"csrf_token": csrf_of(opened)}, follow_redirects=False)
    assert answer.status_code == 422
    assert _error_beside(answer.text, "reason") == "a reason is required to change a saved record"
    odd = form | {"version": "9" * 12, "reason": "x", "csrf_token": csrf_of(opened)}
    answer = nina.post(url, data=odd, follow_redirects=False)
    assert answer.status_code == 422
    assert "The form does not say which version of the record it corrects." in answer.text
    # Chen corrects it first: Nina's form, opened before, is told so with the current values.
    chens = chen.get(url).text
    done = chen.post(
        url,
        data=_alsfrs_form(assessed_on="2024-02-01", q1="2", version="1", reason="misread q1")
        | {"csrf_token": csrf_of(chens)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    answer = nina.post(
        url, data=form | {"reason": "typo", "csrf_token": csrf_of(opened)}, follow_redirects=False
    )
    assert answer.status_code == 409
    assert "This record was changed since you opened it: nothing was saved." in answer.text
    assert "total 35/48" in answer.text  # the record as Chen left it
    reopened = nina.get(url).text  # opened again: said at once
    assert "This record is superseded: only the current record can be corrected." in reopened
    assert "correct it instead" in reopened
    page = nina.get(f"/clinic/patients/{pat.id}").text
    assert "ALSFRS-R 35/48" in page
    assert "misread q1" in page
    assert f'/clinic/patients/{pat.id}/alsfrs-r/{old.id}"' in page  # the superseded value
    shown = nina.get(f"/clinic/patients/{pat.id}/alsfrs-r/{old.id}").text
    assert "This record is superseded" in shown
    assert "36/48" in shown


def test_spirometry_is_checked_before_it_is_saved_then_corrected(
    browser: Any, clinic: Any, pat: Any
) -> None:
    nina = browser("nina")
    url = f"/clinic/patients/{pat.id}/spirometry/new"
    form = {
        "assessed_on": "2024-03-01",
        "assessed_by": "Nina Okafor",
        "position": "upright",
        "fvc_l": "3,1",
        "height_cm": "176",
        "equation": "GLI-Global",
        "action": "check",
    }
    checked = _post(nina, url, form)
    assert checked.status_code == 200
    shown = re.search(r"FVC: ([0-9.]+)% predicted", checked.text)
    assert shown, checked.text
    assert records.list_for_patient(clinic.db, clinic["nina"], SPIROMETRY, pat.id) == []
    assert 'value="3,1"' in checked.text  # as typed
    saved = _post(nina, url, form | {"action": "save"})
    assert saved.status_code == 303
    [stored] = records.list_for_patient(clinic.db, clinic["nina"], SPIROMETRY, pat.id)
    assert f"{stored.fvc_percent_predicted:.1f}" == shown.group(1)
    fix = f"/clinic/patients/{pat.id}/spirometry/{stored.id}/correct"
    opened = nina.get(fix).text
    assert 'value="3.1"' in opened
    assert 'name="version" value="1"' in opened
    answer = _post(nina, fix, form | {"fvc_l": "3.3", "action": "save", "version": "1"})
    assert _error_beside(answer.text, "reason")
    answer = _post(
        nina,
        fix,
        form | {"fvc_l": "3.3", "action": "save", "version": "1", "reason": "wrong manoeuvre"},
    )
    assert answer.status_code == 303
    page = nina.get(f"/clinic/patients/{pat.id}").text
    assert "FVC 3.3 L" in page
    assert "wrong manoeuvre" in page


def test_spirometry_refusals_are_shown_beside_their_fields(browser: Any, pat: Any) -> None:
    nina = browser("nina")
    url = f"/clinic/patients/{pat.id}/spirometry/new"
    base = {"assessed_on": "2024-03-01", "assessed_by": "Nina", "action": "check"}
    answer = _post(nina, url, base | {"fvc_l": "three"})
    assert _error_beside(answer.text, "fvc_l") == "give a number, e.g. 3.25"
    answer = _post(nina, url, base)
    assert _error_beside(answer.text, "fvc_l") == "give fvc_l, svc_l or both (litres)"
    answer = _post(nina, url, base | {"fvc_l": "3"})  # no height recorded for Pat
    assert _error_beside(answer.text, "height_cm") == "give the height, or record one beforehand"


def test_a_role_without_assessments_write_cannot_open_the_forms(browser: Any, pat: Any) -> None:
    for username, role in (("ben", "lab_technician"), ("olga", "data_analyst")):
        client = browser(username)
        for kind in ("alsfrs-r", "spirometry"):
            answer = client.get(f"/clinic/patients/{pat.id}/{kind}/new")
            assert answer.status_code == 403
            assert f"The {role} role may not do this" in answer.text
    assert "New ALSFRS-R" not in browser("olga").get(f"/clinic/patients/{pat.id}").text


def test_every_form_is_refused_without_its_csrf_token(
    browser: Any, clinic: Any, pat: Any, alsfrs: Any
) -> None:
    old = records.add(
        clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id, alsfrs(date(2024, 2, 1))
    )
    nina = browser("nina")
    for path in FORM_PAGES:
        url = path.format(patient_id=pat.id, record_id=old.id, code="mas")
        for form in ({}, {"csrf_token": "0" * 64}):
            answer = nina.post(url, data=form | _alsfrs_form(), follow_redirects=False)
            assert answer.status_code == 403, url
            assert REFUSED in answer.text
    [still] = records.list_for_patient(clinic.db, clinic["nina"], INSTRUMENT_ASSESSMENT, pat.id)
    assert still.id == old.id


def test_other_instruments_are_entered_with_their_own_wording(
    browser: Any, clinic: Any, pat: Any
) -> None:
    nina = browser("nina")
    chooser = nina.get(f"/clinic/patients/{pat.id}/instruments").text
    assert "Modified Ashworth Scale (MAS)" in chooser
    assert "/instruments/alsfrs_r/new" not in chooser  # ALSFRS-R has its own form
    url = f"/clinic/patients/{pat.id}/instruments/mas/new"
    assert "Affected part(s) rigid in flexion or extension" in nina.get(url).text
    base = {"assessed_on": "2024-03-01", "assessed_by": "Nina Okafor"}
    answer = _post(nina, url, base)  # nothing rated
    assert answer.status_code == 422
    assert _error_beside(answer.text, "responses", described=False) == "answer at least one item"
    assert _post(nina, url, base | {"left_upper_limb": "1+"}).status_code == 303
    [stored] = records.list_for_patient(clinic.db, clinic["nina"], INSTRUMENT_ASSESSMENT, pat.id)
    assert stored.scores["left_upper_limb"] == 1.5
    assert nina.get(f"/clinic/patients/{pat.id}/instruments/alsfrs_r/new").status_code == 404
