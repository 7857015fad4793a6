"""A PRO-ACT folder becomes an external cohort: every row that can be taken, each refused row
reported with its reason, nothing stored from a folder that cannot be read. The files here are
made up in the PRO-ACT format (never real PRO-ACT data)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from typer.testing import CliRunner

from alstrack.cli.main import app
from alstrack.config import get_settings
from alstrack.errors import Conflict, InvalidInput, PermissionDenied
from alstrack.services import external_cohorts, users
from alstrack.services.users import UserIn
from alstrack.store.db import Database
from alstrack.store.models import AuditEntry, ExternalAlsfrs, ExternalFvc, ExternalSubject

Stored = Callable[[], dict[str, int]]
ALSFRS_HEADER = [
    "subject_id", "Q1_Speech", "Q2_Salivation", "Q3_Swallowing", "Q4_Handwriting",
    "Q5a_Cutting_without_Gastrostomy", "Q5b_Cutting_with_Gastrostomy", "Q6_Dressing_and_Hygiene",
    "Q7_Turning_in_Bed", "Q8_Walking", "Q9_Climbing_Stairs", "Q10_Respiratory", "R_1_Dyspnea",
    "R_2_Orthopnea", "R_3_Respiratory_Insufficiency", "ALSFRS_Delta", "ALSFRS_R_Total",
]  # fmt: skip
FULL = ["4", "4", "4", "3", "3", "", "3", "3", "3", "2", "", "4", "4", "4"]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Three subjects with the quirks real exports have."""
    _write(tmp_path / "alsfrs.csv", ALSFRS_HEADER, [
        ["101", *FULL, "0", ""],                                              # line 2: taken
        ["101", *FULL[:4], "2.5", *FULL[5:], "91", ""],                       # 3: half point
        ["101", *FULL, "91", ""],                                             # 4: same day again
        ["102", *FULL[:5], "2", *FULL[6:], "0", ""],                          # 5: 5a and 5b
        ["103", *FULL[:10], "3", "", "", "", "0", ""],                        # 6: original ALSFRS
        ["103", *FULL[:2], "", *FULL[3:], "30", ""],                          # 7: blank item
        ["104", *FULL[:1], "7", *FULL[2:], "0", ""],                          # 8: out of range
        ["", *FULL, "0", ""],                                                 # 9: no subject
    ])  # fmt: skip
    _write(tmp_path / "AlsHistory.csv", ["subject_id", "Site_of_Onset", "Onset_Delta",
                                         "Diagnosis_Delta"], [
        ["101", "Onset: Bulbar", "-400", "-100"],
        ["103", "Onset: Limb", "-700", "-300"],
        ["103", "Onset: Limb", "-700", "-300"],                               # line 4: twice
    ])  # fmt: skip
    _write(tmp_path / "DeathData.csv", ["subject_id", "Subject_Died", "Death_Days"], [
        ["101", "Yes", "420"], ["103", "Maybe", ""],
    ])  # fmt: skip
    _write(tmp_path / "Fvc.csv", ["subject_id", "Forced_Vital_Capacity_Delta",
                                  "pct_of_Normal_Trial_1", "pct_of_Normal_Trial_2",
                                  "Subject_Liters_Trial_1"], [
        ["101", "0", "81", "85", "3.2"], ["103", "30", "", "", ""],
    ])  # fmt: skip
    return tmp_path


def _import(clinic: Any, folder: Path, name: str = "PRO-ACT 2016", by: str = "olga") -> Any:
    return external_cohorts.import_proact(clinic.db, clinic[by], folder, name)


def test_the_rows_that_can_be_taken_are_imported_and_each_refusal_says_why(
    clinic: Any, folder: Path
) -> None:
    report = _import(clinic, folder)
    assert report.imported == {
        "subjects": 2, "alsfrs": 3, "fvc": 1, "alshistory": 2, "deathdata": 1, "demographics": 0,
    }  # fmt: skip
    refused = {(r.file, r.line): r.reason for r in report.refused}
    assert refused == {
        ("alsfrs.csv", 4): "a second visit of the subject on day 91 (line 3 kept)",
        ("alsfrs.csv", 5): "q5a: give q5a (no gastrostomy) or q5b (gastrostomy), not both; "
        "q5b: give q5a (no gastrostomy) or q5b (gastrostomy), not both",
        ("alsfrs.csv", 6): "the original ALSFRS only (Q10_Respiratory, no R_1-R_3): not ALSFRS-R",
        ("alsfrs.csv", 8): "q2: got 7.0; give a number from 0 to 4 in steps of 0.5, or leave it "
        "missing",
        ("alsfrs.csv", 9): "no subject_id",
        ("AlsHistory.csv", 4): "a second alshistory row of the subject",
        ("DeathData.csv", 3): "Subject_Died is maybe; allowed: Yes or No",
        ("Fvc.csv", 3): "no FVC value",
    }
    with clinic.db.read() as session:
        subjects = {s.subject: s for s in session.scalars(select(ExternalSubject))}
        visits = session.execute(
            select(ExternalSubject.subject, ExternalAlsfrs.delta_days, ExternalAlsfrs.total)
            .join(ExternalSubject, ExternalSubject.id == ExternalAlsfrs.subject_id)
            .order_by(ExternalSubject.subject, ExternalAlsfrs.delta_days)
        ).all()
        [fvc] = session.scalars(select(ExternalFvc)).all()
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "import")).all()
    first = subjects["101"]
    assert (first.onset_region, first.died, first.death_delta_days) == ("bulbar", True, 420)
    assert subjects["103"].onset_region == "spinal"
    assert [(s, d, t) for s, d, t in visits] == [
        ("101", 0, 41.0), ("101", 91, 40.5), ("103", 30, None),
    ]  # fmt: skip
    assert (fvc.percent_predicted, fvc.litres) == (85.0, 3.2)
    assert entry.entity == "external_cohort"
    assert entry.new is not None
    assert entry.new["refused"] == 8


def test_later_export_names_and_subjectid_are_read(clinic: Any, tmp_path: Path) -> None:
    header = ["SubjectID", *ALSFRS_HEADER[1:]]
    _write(tmp_path / "F_PROACT_ALSFRS.csv", header, [["9", *FULL, "0", ""]])
    report = _import(clinic, tmp_path, "later export")
    assert (report.files, report.subjects, report.refused) == (["F_PROACT_ALSFRS.csv"], 1, [])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: (p / "Fvc.csv").write_text("subject_id\n1\n"), "holds no ALSFRS table"),
        (lambda p: (p / "alsfrs.csv").write_bytes(b"\xff\xfe\x00\x81bad"), "cannot be read as CSV"),
        (lambda p: (p / "alsfrs.csv").write_text(""), "alsfrs.csv is empty"),
    ],
)
def test_a_folder_that_cannot_be_read_stores_nothing(
    clinic: Any, tmp_path: Path, stored: Stored, make: Callable[[Path], Any], message: str
) -> None:
    make(tmp_path)
    before = stored()
    with pytest.raises(InvalidInput, match=message) as caught:
        _import(clinic, tmp_path)
    assert caught.value.fields[0].field == "folder"
    assert stored() == before


def test_a_name_in_use_or_a_role_without_the_permission_stores_nothing(
    clinic: Any, folder: Path, stored: Stored
) -> None:
    _import(clinic, folder)
    before = stored()
    with pytest.raises(Conflict, match="named PRO-ACT 2016 already"):
        _import(clinic, folder)
    with pytest.raises(PermissionDenied, match=r"external_cohorts\.write"):
        _import(clinic, folder, "other", by="nina")
    with pytest.raises(InvalidInput, match="name"):
        _import(clinic, folder, "   ")
    assert stored() == before
    assert [c.name for c in external_cohorts.list_cohorts(clinic.db, clinic["olga"])] == [
        "PRO-ACT 2016"
    ]


_cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.lists(_cells, min_size=0, max_size=len(ALSFRS_HEADER) + 2), max_size=8))
def test_malformed_rows_are_refused_with_a_reason_and_never_break_the_import(
    clinic: Any, tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]]
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    _write(folder / "alsfrs.csv", ALSFRS_HEADER, rows)
    outcome: Any
    try:
        outcome = _import(clinic, folder, f"fuzz {folder.name}")
    except InvalidInput as error:  # an unreadable file: named, and nothing stored
        outcome = error
    if isinstance(outcome, InvalidInput):
        assert outcome.fields[0].field == "folder"
        return
    # Every data row (csv skips blank lines) is either taken or refused with a reason.
    assert outcome.imported["alsfrs"] + len(outcome.refused) == len([r for r in rows if r])
    assert all(r.reason for r in outcome.refused)


@pytest.fixture
def data(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """An empty data folder the commands use."""
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("ALSTRACK_DATA_DIR", str(folder))
    monkeypatch.delenv("ALSTRACK_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def test_the_command_imports_with_a_progress_bar_and_writes_the_refusals(
    folder: Path, data: Path
) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    db = Database(f"sqlite:///{data / 'alstrack.db'}")
    users.create_user(
        db, users.system_actor(db),
        UserIn(username="ann", display_name="Ann Analyst", role="data_analyst", site_codes=[]),
    )  # fmt: skip
    refused = data / "refused.csv"
    result = runner.invoke(
        app, ["import", "proact", str(folder), "--name", "trial pool", "--as", "ann",
              "--refused", str(refused)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 subjects, 3 ALSFRS-R visits, 1 FVC visits; 8 rows refused." in result.output
    assert "refused alsfrs.csv:6 (103): the original ALSFRS only" in result.output
    lines = refused.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "file,line,subject,reason"
    assert len(lines) == 9
    missing = runner.invoke(app, ["import", "proact", str(data), "--name", "x", "--as", "ann"])
    assert missing.exit_code == 1
    assert "holds no ALSFRS table" in " ".join(missing.output.split())
