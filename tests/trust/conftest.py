"""Logins for the trust tests: Chen (physician) given a password the way a program does it —
an admin's reset, then Chen's own change."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from trust_cast import CHENS_PASSWORD, NOW

from alstrack.config import get_settings
from alstrack.services import auth
from signing_cast import one_time_code


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture(autouse=True)
def policy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The shipped defaults, stated here so the tests read on their own."""
    for name, value in {
        "PASSWORD_MIN_LENGTH": "15",
        "LOCKOUT_ATTEMPTS": "5",
        "LOCKOUT_MINUTES": "15",
        "SESSION_IDLE_MINUTES": "15",
        "SESSION_MAX_HOURS": "12",
        "PASSWORD_MAX_AGE_DAYS": "365",
    }.items():
        monkeypatch.setenv(f"ALSTRACK_{name}", value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def chen_password(clinic: Any) -> str:
    """Chen's own password, chosen after an admin's reset."""
    one_time = auth.reset_password(clinic.db, clinic["adam"], "chen", "new starter")
    code = one_time_code(clinic.db, "chen")
    session = auth.login(
        clinic.db, auth.LoginIn(username="chen", password=one_time, totp_code=code)
    )
    actor = auth.authenticate_session(clinic.db, session.token)
    auth.change_password(
        clinic.db,
        actor,
        auth.PasswordChangeIn(current_password=one_time, new_password=CHENS_PASSWORD),
    )
    return CHENS_PASSWORD


@pytest.fixture
def http(api: Callable[[str | None], TestClient]) -> TestClient:
    """An anonymous client: tests send their own Authorization header."""
    return api(None)
