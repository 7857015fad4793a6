"""The donor tests the eligibility determination requires are versioned data, checked at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from alstrack.domain.products.donor_tests import load_donor_tests, required_donor_tests
from alstrack.errors import InvalidInput
from alstrack.services.donors import REQUIRED_TESTS


def test_the_shipped_list_covers_21_cfr_1271_85_a_and_is_what_the_service_requires() -> None:
    shipped = required_donor_tests()
    ids = {test.id for test in shipped.tests}
    assert {
        "hiv_1_antibody",
        "hiv_2_antibody",
        "hbsag",
        "hcv_antibody",
        "treponema_pallidum",
    } <= ids
    assert "1271.85(a)" in shipped.source
    assert tuple(test.id for test in shipped.tests) == REQUIRED_TESTS


def test_a_list_naming_a_test_twice_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "donor-tests.yaml"
    path.write_text(
        'version: "2"\nsource: local\nstatus: read\n'
        "tests:\n  - {id: hbsag, label: HBsAg}\n  - {id: hbsag, label: again}\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as caught:
        load_donor_tests(path)
    assert caught.value.fields[0].field == str(path)
    assert "listed twice" in caught.value.fields[0].message
