"""Constants of the safety tests: the day they stand on and two adverse events of Pat."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
# Headache after a lumbar puncture: mild, not serious, expected.
HEADACHE: dict[str, Any] = {
    "term": "Post-lumbar puncture headache",
    "meddra_code": "10054830",
    "onset_date": date(2026, 11, 3),
    "aware_on": date(2026, 11, 4),
    "grade": 2,
    "serious_criteria": [],
    "related_to_procedure": "probable",
    "related_to_product": "unlikely",
    "expectedness": "expected",
    "action_taken": "medication_given",
    "outcome": "recovering",
}
# Meningitis needing hospital, possibly from the product, not in the reference information.
MENINGITIS: dict[str, Any] = HEADACHE | {
    "term": "Aseptic meningitis",
    "meddra_code": None,
    "grade": 3,
    "serious_criteria": ["hospitalisation"],
    "related_to_procedure": "possible",
    "related_to_product": "possible",
    "expectedness": "unexpected",
    "action_taken": "hospitalised",
}
