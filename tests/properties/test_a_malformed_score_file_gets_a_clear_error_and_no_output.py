"""`alstrack score` on a damaged CSV file scores every row it can, giving each other row its
error, or exits 1 with one message and writes no output file; never a traceback.

The file starts as three ALSFRS-R visits with the optional columns (dead, onset and visit
dates); damage: odd cells (non-numeric and out-of-range scores, dates like 2023-02-30), columns
dropped, added or renamed (a second q1, a result column such as total), rows short, long or
twice, the file emptied, cut short, not UTF-8 or with a NUL.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, note
from hypothesis import strategies as st
from properties_cast import PROPERTIES, Damaged, Table, assert_clean_exit, damaged_tables
from typer.testing import CliRunner

from alstrack.cli.main import app
from alstrack.cli.score import RESULT_COLUMNS

ITEMS = ["q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12"]
VISITS: dict[str, Table] = {
    "visits.csv": (
        ["patient", *ITEMS, "dead", "onset_date", "visit_date"],
        [
            ["alice", *"444444444444", "no", "2020-01-15", "2020-03-01"],
            ["alice", *"332333223333", "", "2020-01-15", "2021-01-15"],
            ["bob", *"2233222212", "2.5", "2", "yes", "2019-06-01", "2021-06-01"],
        ],
    )
}
# Columns added or renamed: a second item or date, a result column, PRO-ACT's name, none.
NAMES = ["q1", "Q1_Speech", "Q10_Respiratory", "total", "error", "visit_date", "extra", ""]


@PROPERTIES
@given(damaged=damaged_tables(VISITS, names=NAMES), output=st.sampled_from(["csv", "jsonl"]))
def test_a_damaged_file_is_scored_row_by_row_or_refused_with_no_output_file(
    tmp_path_factory: pytest.TempPathFactory, damaged: Damaged[dict[str, bytes]], output: str
) -> None:
    folder = tmp_path_factory.mktemp("score")
    source, target = folder / "visits.csv", folder / f"scores.{output}"
    source.write_bytes(damaged.value.get("visits.csv", b""))
    result = CliRunner().invoke(
        app, ["score", str(source), "--format", output, "--output", str(target)]
    )
    note(result.output)
    assert_clean_exit(result, refused_says="alstrack score: ")
    if result.exit_code == 1:
        assert sorted(p.name for p in folder.iterdir()) == ["visits.csv"]  # nothing half-written
        return
    for row in _rows(target, output):
        assert list(row)[-len(RESULT_COLUMNS) :] == list(RESULT_COLUMNS)
        if row["error"]:  # an invalid row gets no scores at all
            assert all(row[c] in ("", None) for c in RESULT_COLUMNS if c != "error"), row


def _rows(path: Path, output: str) -> list[dict[str, object]]:
    text = path.read_text(encoding="utf-8")
    if output == "jsonl":
        return [json.loads(line) for line in text.splitlines()]
    return list(csv.DictReader(io.StringIO(text)))
