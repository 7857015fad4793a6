"""No identifier or calendar date in any cell of the research exports of the synthetic demo
clinic: natural history of every onset region and category, and the patients it treats."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from research_reading import cells, cli_on, identifiers, leaks, table
from sqlalchemy import select

from alstrack.services import demo, users
from alstrack.services.research_exports import export_proact, export_tidy_csv
from alstrack.store.models import Patient

DAY = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_no_cell_of_the_demo_clinic_holds_an_identifier(
    db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALSTRACK_FACILITY_ID", "G1234")  # the demo makes products only with one
    with cli_on(db.url, monkeypatch), time_machine.travel(DAY, tick=False):
        demo.load_demo(db, users.system_actor(db), patients=60, seed=1, today=DAY.date())
        analyst = users.named_actor(db, "olga")
        for export in (export_proact, export_tidy_csv):
            folder = tmp_path / export.__name__
            export(db, analyst, folder)
            assert leaks(folder, identifiers(db)) == []
    with db.read() as session:
        study_ids = set(session.scalars(select(Patient.study_id)))
    assert {v for _, v in cells(tmp_path / "export_tidy_csv")} >= study_ids
    assert table(tmp_path / "export_tidy_csv" / "administrations.csv")  # a treated patient too


def test_the_scan_finds_a_date_or_a_name_where_there_is_one(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x,y\n2026-11-01,ok\nfine,Pat Kowalski\n3/4/2025,z\n")
    assert [v for _, v in leaks(tmp_path, {"Kowalski"})] == [
        "2026-11-01",
        "Pat Kowalski",
        "3/4/2025",
    ]
