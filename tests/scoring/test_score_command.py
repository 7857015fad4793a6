"""`alstrack score`: CSV in, scores out, through the real Typer app."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from alstrack.cli.main import app
from alstrack.cli.score import RESULT_COLUMNS

PROACT_HEADER = (
    "subject_id,Q1_Speech,Q2_Salivation,Q3_Swallowing,Q4_Handwriting,"
    "Q5a_Cutting_without_Gastrostomy,Q5b_Cutting_with_Gastrostomy,Q6_Dressing_and_Hygiene,"
    "Q7_Turning_in_Bed,Q8_Walking,Q9_Climbing_Stairs,Q10_Respiratory,R_1_Dyspnea,R_2_Orthopnea,"
    "R_3_Respiratory_Insufficiency,ALSFRS_Delta"
)
SHORT_HEADER = "patient,q1,q2,q3,q4,q5a,q5b,q6,q7,q8,q9,q10,q11,q12,dead,onset_date,visit_date"


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, ["score", *args], input=stdin)


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def alice(tmp_path: Path) -> Path:
    """Alice's three visits: normal, then a gastrostomy and BiPAP, then a bad cell."""
    path = tmp_path / "alice.csv"
    path.write_text(
        f"{SHORT_HEADER}\n"
        "alice,4,4,4,4,4,,4,4,4,4,4,4,4,no,2020-01-15,2020-03-01\n"
        "alice,3,3,2,3,,2,3,3,2,2,3,3,3,,2020-01-15,2021-01-15\n"
        "alice,3,3,2,3,7,,3,3,2,2,3,3,3,,2020-01-15,2021-06-01\n"
    )
    return path


def test_it_adds_every_result_column_after_the_input_columns(alice: Path) -> None:
    result = run(str(alice))
    assert result.exit_code == 0, result.output
    rows = rows_of(result.stdout)
    assert list(rows[0]) == [*SHORT_HEADER.split(","), *RESULT_COLUMNS]
    first = rows[0]
    assert (first["total"], first["kings_stage"], first["mitos_stage"]) == ("48", "1", "0")
    assert (first["kings_4a"], first["kings_4b"], first["error"]) == ("false", "false", "")
    assert rows[1]["total"] == "32"
    assert (rows[1]["kings_stage"], rows[1]["kings_4a"], rows[1]["kings_4b"]) == (
        "4",
        "true",
        "true",
    )
    assert round(float(rows[1]["delta_fs"]), 5) == round((48 - 32) / (366 / 30.4375), 5)


def test_it_passes_input_cells_through_as_text(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(f"{SHORT_HEADER}\n007,4,4,4,4,4.0,,4,4,4,4,4,4,4,No,,\n")
    row = rows_of(run(str(path)).stdout)[0]
    assert (row["patient"], row["q5a"], row["dead"]) == ("007", "4.0", "No")


def test_it_gives_an_invalid_row_an_error_and_scores_the_rest(alice: Path) -> None:
    result = run(str(alice))
    assert result.exit_code == 0
    rows = rows_of(result.stdout)
    assert rows[2]["error"] == (
        'q5a: got "7"; allowed: a number from 0 to 4 (half points such as 2.5 accepted) or blank'
    )
    assert rows[2]["total"] == ""
    assert rows[1]["error"] == ""
    assert "1 of 3 rows have errors" in result.stderr


def test_it_writes_one_json_object_per_row(alice: Path) -> None:
    result = run(str(alice), "--format", "jsonl")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3
    first = lines[0]
    assert first["patient"] == "alice"
    assert first["q5b"] == ""
    assert first["total"] == 48
    assert isinstance(first["kings_stage"], int)
    assert first["kings_4a"] is False
    assert first["error"] is None
    assert lines[2]["total"] is None
    assert "q5a" in lines[2]["error"]


def test_it_escapes_text_for_json(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(f'{SHORT_HEADER}\n"Ben ""B"" \\ x\ty",4,4,4,4,4,,4,4,4,4,4,4,4,,,\n')
    line = json.loads(run(str(path), "--format", "jsonl").stdout)
    assert line["patient"] == 'Ben "B" \\ x\ty'


def test_it_reads_pro_act_headers(tmp_path: Path) -> None:
    path = tmp_path / "alsfrs.csv"
    path.write_text(
        f"{PROACT_HEADER}\n329,4,3,4,3.5,2,,3,3,2,2,,4,4,4,-5\n329,4,3,4,3,,2,3,3,2,2,,0,4,,120\n"
    )
    rows = rows_of(run(str(path)).stdout)
    assert rows[0]["total"] == "38.5"
    assert rows[0]["respiratory"] == "12"
    assert rows[1]["kings_4b"] == "true"
    assert rows[1]["kings_stage"] == "4"
    assert rows[1]["total"] == ""


def test_it_refuses_a_row_with_only_the_original_alsfrs_breathing_item(tmp_path: Path) -> None:
    path = tmp_path / "alsfrs.csv"
    path.write_text(f"{PROACT_HEADER}\n330,4,4,4,4,4,,4,4,4,4,3,,,,10\n")
    row = rows_of(run(str(path)).stdout)[0]
    assert "Q10_Respiratory is the original ALSFRS breathing item, not ALSFRS-R" in row["error"]
    assert row["total"] == ""


def test_it_refuses_a_row_with_both_5a_and_5b(tmp_path: Path) -> None:
    path = tmp_path / "alsfrs.csv"
    path.write_text(f"{PROACT_HEADER}\n331,4,4,4,4,4,3,4,4,4,4,,4,4,4,10\n")
    row = rows_of(run(str(path)).stdout)[0]
    assert "give q5a (no gastrostomy) or q5b (gastrostomy), not both" in row["error"]


@pytest.mark.parametrize(
    ("cell", "column", "expected"),
    [
        ("x", "q1", 'q1: got "x"'),
        ("2.25", "q1", 'q1: got "2.25"'),
        ("-1", "q1", 'q1: got "-1"'),
        ("maybe", "dead", 'dead: got "maybe"; allowed: true/false, yes/no, 1/0 or blank'),
        ("2021-02-30", "visit_date", 'visit_date: got "2021-02-30"'),
        ("15/01/2021", "onset_date", 'onset_date: got "15/01/2021"'),
    ],
)
def test_it_names_the_column_and_what_is_allowed(
    tmp_path: Path, cell: str, column: str, expected: str
) -> None:
    values = dict.fromkeys(SHORT_HEADER.split(","), "4") | {"patient": "p", "q5b": ""}
    values |= {"dead": "", "onset_date": "2020-01-15", "visit_date": "2021-01-15", column: cell}
    path = tmp_path / "visits.csv"
    path.write_text(f"{SHORT_HEADER}\n{','.join(values.values())}\n")
    row = rows_of(run(str(path)).stdout)[0]
    assert row["error"].startswith(expected)
    assert "allowed" in row["error"]


def test_it_gives_stage_5_to_a_dead_patient(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(f"{SHORT_HEADER}\nben,,,,,,,,,,,,,,yes,,\n")
    row = rows_of(run(str(path)).stdout)[0]
    assert (row["kings_stage"], row["mitos_stage"], row["total"]) == ("5", "5", "")


def test_it_reads_stdin_when_input_is_a_dash(alice: Path) -> None:
    result = run("-", stdin=alice.read_text())
    assert result.exit_code == 0
    assert len(rows_of(result.stdout)) == 3


def test_it_writes_to_the_output_file(alice: Path, tmp_path: Path) -> None:
    target = tmp_path / "scored.jsonl"
    result = run(str(alice), "--format", "jsonl", "--output", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert len(target.read_text().splitlines()) == 3


def test_it_writes_only_the_header_for_an_input_without_rows(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(f"{SHORT_HEADER}\n")
    result = run(str(path))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].replace('"', "").endswith("delta_fs,error")


def test_it_scores_many_rows_across_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("alstrack.cli.score._BLOCK_BYTES", 4096)
    path = tmp_path / "many.csv"
    lines = [f"p{i},{i % 5},4,4,4,4,,4,4,4,4,4,4,4,,," for i in range(2000)]
    path.write_text(SHORT_HEADER + "\n" + "\n".join(lines) + "\n")
    rows = rows_of(run(str(path)).stdout)
    assert len(rows) == 2000
    assert [r["total"] for r in rows[:5]] == ["44", "45", "46", "47", "48"]


def test_it_exits_non_zero_for_a_missing_file(tmp_path: Path) -> None:
    result = run(str(tmp_path / "nope.csv"))
    assert result.exit_code != 0
    assert "no such file" in result.stderr


def test_it_exits_non_zero_when_there_are_no_item_columns(tmp_path: Path) -> None:
    path = tmp_path / "labs.csv"
    path.write_text("subject_id,Test_Name,Test_Result\n1,Creatinine,80\n")
    result = run(str(path))
    assert result.exit_code != 0
    assert "no ALSFRS-R item columns" in result.stderr


@pytest.mark.parametrize(
    "content", [b"", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", b"q1,q2\n1,2,3,4\n"]
)
def test_it_exits_non_zero_when_the_input_is_not_csv(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = run(str(path))
    assert result.exit_code != 0
    assert result.stderr.startswith("alstrack score:")


def test_a_file_that_breaks_part_way_leaves_no_output_file(tmp_path: Path) -> None:
    source = tmp_path / "broken.csv"
    source.write_text("q1,q2\n4,4\n4,4,4,4\n")
    target = tmp_path / "out.csv"
    result = run(str(source), "--output", str(target))
    assert result.exit_code != 0
    assert not target.exists()
    assert list(tmp_path.iterdir()) == [source]
