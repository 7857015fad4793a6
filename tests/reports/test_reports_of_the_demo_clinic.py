"""The synthetic demo clinic's reports say on every page that the data are synthetic.

The demo (60 patients, seed 1) gives one patient an allogeneic dose through the services, so
both reports have a synthetic patient to show.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import time_machine
from report_reading import figures, html_text, pdf_text
from sqlalchemy import select

from alstrack.services import demo, users
from alstrack.services.patient_documents import patient_report
from alstrack.services.safety_documents import safety_report_document
from alstrack.store.models import Administration

TODAY = date(2026, 11, 26)


def footer(page: str) -> str:
    found = re.search(r'@bottom-left \{ content: "([^"]*)"', page)
    assert found is not None
    return found.group(1)


def test_the_demo_patients_reports_say_synthetic_demo_data_on_every_page(
    db: Any, facility: str
) -> None:
    with time_machine.travel(datetime(2026, 11, 26, 12, 0, tzinfo=UTC), tick=False):
        system = users.system_actor(db)
        demo.load_demo(db, system, patients=60, seed=1, today=TODAY)
        with db.read() as session:
            [treated] = session.scalars(select(Administration.patient_id)).all()
        progress = patient_report(db, system, treated, fmt="html").content.decode()
        safety = safety_report_document(db, system, fmt="html").content.decode()
        printed = patient_report(db, system, treated, fmt="pdf").content
    for page in (progress, safety):
        assert footer(page).endswith("· synthetic demo data")
        assert "SYNTHETIC DEMO DATA" in html_text(page)
    assert 'id="alsfrs_r_total-dose-1"' in figures(progress)[0]
    assert "1 dose: 2026-11-26" in html_text(progress)
    assert "synthetic demo data" in pdf_text(printed)
    assert "All treated patients 1 1" in html_text(safety)
