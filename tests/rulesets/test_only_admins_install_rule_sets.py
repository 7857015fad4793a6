"""Installing clinical rules is an administrative, audited change: admin and system only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from alstrack.errors import PermissionDenied
from alstrack.services import rulesets


@pytest.mark.parametrize("username", ["alice", "chen", "nina", "aude"])
def test_clinical_staff_may_not_install_a_rule_set(
    clinic: Any, northgate_file: Path, username: str
) -> None:
    with pytest.raises(PermissionDenied, match=r"rules\.write"):
        rulesets.install_ruleset(clinic.db, clinic[username], northgate_file)


def test_the_system_account_may_install_a_rule_set(clinic: Any, northgate_file: Path) -> None:
    assert rulesets.install_ruleset(clinic.db, clinic.system, northgate_file).active


@pytest.mark.parametrize("username", ["alice", "chen", "olga", "adam"])
def test_screening_readers_and_admins_see_the_versions(
    clinic: Any, northgate_file: Path, username: str
) -> None:
    rulesets.install_ruleset(clinic.db, clinic["adam"], northgate_file)
    assert rulesets.list_versions(clinic.db, clinic[username])
    assert rulesets.describe_active(clinic.db, clinic[username]).id == "msc-als-program"


def test_a_role_that_reads_no_screenings_does_not_see_the_versions(clinic: Any) -> None:
    with pytest.raises(PermissionDenied, match=r"screenings\.read"):
        rulesets.list_versions(clinic.db, clinic["ben"])
    with pytest.raises(PermissionDenied, match=r"screenings\.read"):
        rulesets.describe_active(clinic.db, clinic["ben"])
