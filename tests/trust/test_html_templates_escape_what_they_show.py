"""HTML made from templates escapes what it shows: markup typed into a record comes out as text,
never as markup a browser would run (reports/render.py, web/pages.py).

An adverse event's term is what the patient reported, as staff typed it: the patient's progress
report shows it.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment

import alstrack
from alstrack.reports import render
from alstrack.services import records
from alstrack.services.adverse_events import ADVERSE_EVENT, AdverseEventIn
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT
from alstrack.web import pages

HOSTILE = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
EVENT = {
    "term": f"Headache {HOSTILE}",
    "onset_date": date(2024, 3, 3),
    "aware_on": date(2024, 3, 4),
    "grade": 2,
    "related_to_procedure": "unlikely",
    "related_to_product": "unlikely",
    "expectedness": "expected",
    "action_taken": "medication_given",
    "outcome": "recovering",
}
SRC = Path(alstrack.__file__).parent


def test_markup_in_a_patients_record_comes_out_escaped_in_the_progress_report(
    api: Any, clinic: Any, pat: Any, alsfrs: Any
) -> None:
    records.add(clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id, alsfrs(date(2024, 2, 1)))
    records.add(clinic.db, clinic["chen"], ADVERSE_EVENT, pat.id, AdverseEventIn(**EVENT))
    page = api("chen").get(f"/patients/{pat.id}/report.html")
    assert page.status_code == 200, page.text
    assert "<script" not in page.text
    assert f"Headache {ESCAPED}" in page.text


def _environments() -> dict[str, Environment]:
    return {"reports/render.py": render._environment(), "web/pages.py": pages.templates.env}


def test_every_template_environment_escapes_every_html_template_it_has() -> None:
    for where, env in _environments().items():
        names = env.list_templates()
        assert any(name.endswith(".html") for name in names), where
        for name in names:
            escapes = env.autoescape(name) if callable(env.autoescape) else env.autoescape
            assert escapes, f"{where}: {name}"
            shown = env.from_string("{{ text }}").render(text=HOSTILE)
            assert shown == ESCAPED, where


def test_the_web_pages_escape_what_they_show() -> None:
    home = pages.templates.get_template("home.html").render(version=HOSTILE, synthetic=False)
    assert "<script" not in home
    assert ESCAPED in home


def test_no_other_template_environment_exists_unchecked() -> None:
    """A new Jinja2 environment must join the two above (and escape), or this fails."""
    makers = re.compile(r"\b(?:Environment|Jinja2Templates|Template)\(")
    found = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if makers.search(path.read_text(encoding="utf-8"))
    )
    assert found == sorted(_environments())
