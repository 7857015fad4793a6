"""ALS history: onset, diagnosis, criteria and category, genetics, FTD and family history."""

from datetime import date

import pytest

from alstrack.errors import Conflict, InvalidInput
from alstrack.services import patients
from alstrack.services.patients import HistoryIn, PatientIn


def _fields(caught):
    return [f.field for f in caught.value.fields]


def test_the_history_keeps_onset_diagnosis_criteria_genetics_ftd_and_family_history(clinic, pat):
    h = patients.get_history(clinic.db, clinic["olga"], pat.id)
    assert (h.onset_date, h.onset_region, h.diagnosis_date) == (
        date(2023, 1, 16),
        "bulbar",
        date(2023, 9, 4),
    )
    assert (h.diagnostic_criteria, h.diagnostic_category) == ("revised_el_escorial", "probable")
    assert (h.genetics, h.ftd, h.family_history, h.version) == (["c9orf72"], "no", "yes", 1)


def test_the_diagnostic_delay_is_months_from_onset_to_diagnosis(clinic, pat):
    h = patients.get_history(clinic.db, clinic["chen"], pat.id)
    assert h.diagnostic_delay_months == pytest.approx(231 / 30.4375)


def test_a_history_can_be_recorded_after_registration(clinic):
    p = patients.register_patient(
        clinic.db, clinic["alice"], PatientIn(site_id=clinic.sites["NORTH"])
    )
    h = patients.set_history(
        clinic.db,
        clinic["chen"],
        p.id,
        HistoryIn(
            onset_date=date(2022, 6, 1),
            onset_region="lower_limb",
            diagnostic_criteria="gold_coast",
            diagnostic_category="als",
        ),
    )
    assert (h.onset_region, h.diagnostic_category, h.genetics, h.ftd) == (
        "lower_limb",
        "als",
        ["not_tested"],
        "unknown",
    )


def test_changing_the_history_needs_the_version_read(clinic, pat):
    with pytest.raises(InvalidInput) as caught:
        patients.set_history(
            clinic.db,
            clinic["chen"],
            pat.id,
            HistoryIn(onset_date=date(2023, 1, 2), reason="Earlier onset"),
        )
    assert _fields(caught) == ["version"]


def test_changing_the_history_needs_a_reason(clinic, pat):
    with pytest.raises(InvalidInput) as caught:
        patients.set_history(
            clinic.db, clinic["chen"], pat.id, HistoryIn(onset_date=date(2023, 1, 2), version=1)
        )
    assert _fields(caught) == ["reason"]


def test_a_history_change_with_a_stale_version_is_a_conflict(clinic, pat):
    change = HistoryIn(
        onset_date=date(2023, 1, 2),
        onset_region="bulbar",
        version=1,
        reason="Earlier onset per the GP letter",
    )
    assert patients.set_history(clinic.db, clinic["chen"], pat.id, change).version == 2
    with pytest.raises(Conflict):
        patients.set_history(clinic.db, clinic["alice"], pat.id, change)


def test_it_refuses_a_diagnosis_before_onset(clinic, pat):
    with pytest.raises(InvalidInput) as caught:
        patients.set_history(
            clinic.db,
            clinic["chen"],
            pat.id,
            HistoryIn(
                onset_date=date(2023, 5, 1), diagnosis_date=date(2023, 4, 30), version=1, reason="r"
            ),
        )
    assert _fields(caught) == ["diagnosis_date"]


def test_it_refuses_a_history_date_after_today(clinic, time_machine, subtests):
    for field in ["onset_date", "diagnosis_date"]:
        with subtests.test(field=field):
            time_machine.move_to(date(2025, 6, 1))
            with pytest.raises(InvalidInput) as caught:
                patients.register_patient(
                    clinic.db,
                    clinic["alice"],
                    PatientIn(
                        site_id=clinic.sites["NORTH"],
                        history=HistoryIn(**{field: date(2025, 6, 2)}),
                    ),
                )
            assert _fields(caught) == [field]


def test_it_accepts_a_history_date_of_today(clinic, time_machine):
    time_machine.move_to(date(2025, 6, 1))
    p = patients.register_patient(
        clinic.db,
        clinic["alice"],
        PatientIn(site_id=clinic.sites["NORTH"], history=HistoryIn(onset_date=date(2025, 6, 1))),
    )
    assert p.history.onset_date == date(2025, 6, 1)


def test_it_refuses_an_onset_before_birth(clinic, pat):
    with pytest.raises(InvalidInput) as caught:
        patients.set_history(
            clinic.db,
            clinic["chen"],
            pat.id,
            HistoryIn(onset_date=date(1950, 1, 1), version=1, reason="r"),
        )
    assert _fields(caught) == ["onset_date"]


def test_it_refuses_a_category_that_does_not_belong_to_the_criteria(clinic, subtests):
    for criteria, category in [
        ("revised_el_escorial", "als"),
        ("gold_coast", "probable"),
        ("gold_coast", "definite"),
        (None, "definite"),
    ]:
        with subtests.test(criteria=criteria, category=category):
            with pytest.raises(InvalidInput) as caught:
                patients.register_patient(
                    clinic.db,
                    clinic["alice"],
                    PatientIn(
                        site_id=clinic.sites["NORTH"],
                        history=HistoryIn(
                            diagnostic_criteria=criteria, diagnostic_category=category
                        ),
                    ),
                )
            assert _fields(caught) == ["diagnostic_category"]
            assert criteria is None or "allows" in caught.value.fields[0].message


def test_it_accepts_each_category_of_its_criteria(clinic):
    accepted = [
        ("revised_el_escorial", c)
        for c in ("definite", "probable", "probable_laboratory_supported", "possible", "suspected")
    ]
    accepted += [("gold_coast", "als"), ("gold_coast", "not_als")]
    for criteria, category in accepted:
        p = patients.register_patient(
            clinic.db,
            clinic["alice"],
            PatientIn(
                site_id=clinic.sites["NORTH"],
                history=HistoryIn(diagnostic_criteria=criteria, diagnostic_category=category),
            ),
        )
        assert p.history.diagnostic_category == category


def test_it_refuses_contradictory_genetics(clinic, subtests):
    for genetics in [["none_found", "sod1"], ["not_tested", "none_found"], ["fus", "fus"]]:
        with subtests.test(genetics=genetics):
            with pytest.raises(InvalidInput) as caught:
                patients.register_patient(
                    clinic.db,
                    clinic["alice"],
                    PatientIn(site_id=clinic.sites["NORTH"], history=HistoryIn(genetics=genetics)),
                )
            assert _fields(caught) == ["genetics"]


def test_it_keeps_several_genetic_findings(clinic):
    p = patients.register_patient(
        clinic.db,
        clinic["alice"],
        PatientIn(site_id=clinic.sites["NORTH"], history=HistoryIn(genetics=["c9orf72", "tardbp"])),
    )
    assert p.history.genetics == ["c9orf72", "tardbp"]
