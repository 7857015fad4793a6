"""One typed Settings object, read from ALSTRACK_* environment variables."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from alstrack.domain.isbt128 import facility_problem

SpirometryEquation = Literal["GLI-2012", "GLI-Global"]


class Settings(BaseSettings):
    """Where alstrack keeps its data and how it serves it.

    SQLite under ``data_dir`` is the default; set ``ALSTRACK_DATABASE_URL`` to a
    ``postgresql+psycopg://`` URL for a program with several sites.
    """

    model_config = SettingsConfigDict(env_prefix="ALSTRACK_", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Folder for the SQLite database.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite if unset.")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    spirometry_equation: SpirometryEquation = Field(
        default="GLI-Global",
        description="Reference equation for %-predicted FVC/SVC when an entry names none.",
    )
    ruleset: str = Field(
        default="msc-als-program",
        min_length=1,
        description=(
            "Id of the rule set screenings use: the latest installed version of it, "
            "else the shipped one."
        ),
    )
    screening_profile: str | None = Field(
        default=None,
        description=(
            "Threshold profile screenings use (default: the rule set's own default); only a "
            "physician may screen with another."
        ),
    )
    time_zone: str = Field(
        default="UTC",
        description=(
            "IANA time zone of the program's clinics (e.g. Europe/Belgrade): which day 'today' "
            "is, and the clinical day of a screening's as-of time. Storage stays in UTC."
        ),
    )
    facility_id: str | None = Field(
        default=None,
        description=(
            "ISBT 128 facility identification number ICCBBA assigned to the program (e.g. "
            "G1234): the first five characters of every Donation Identification Number it assigns."
        ),
    )
    adjunct_therapies: Path | None = Field(
        default=None,
        description=(
            "A YAML file of the programme's own adjunct therapies (same shape as the shipped "
            "domain/data/plans/adjuncts.yaml), added to the shipped catalogue."
        ),
    )
    # Login and session policy (docs/security.md gives each value's source). The program's to
    # set: these defaults are a starting point, not a validated configuration.
    password_min_length: int = Field(
        default=15,
        ge=8,
        le=128,
        description=(
            "Fewest characters of a password (NIST SP 800-63B-4: at least 15 where the password "
            "alone authenticates)."
        ),
    )
    lockout_attempts: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Failed logins in a row after which the account locks (and QA is alerted).",
    )
    lockout_minutes: int = Field(
        default=15, ge=1, le=24 * 60, description="How long a locked account stays locked."
    )
    session_idle_minutes: int = Field(
        default=15,
        ge=1,
        le=24 * 60,
        description="A login session ends after this long without a request (automatic logoff).",
    )
    session_max_hours: int = Field(
        default=12, ge=1, le=7 * 24, description="A login session ends this long after login."
    )
    password_max_age_days: int = Field(
        default=365,
        ge=0,
        le=3650,
        description=(
            "Days after which a password must be changed before anything else (21 CFR 11.300(b): "
            "periodically revised); 0 for never."
        ),
    )
    request_threads: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="Threads serving API requests; default 1 on SQLite, 8 on PostgreSQL.",
    )

    workers: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="Server processes of `alstrack serve`; default one per CPU core, at most 4.",
    )
    mfa: bool = Field(
        default=True,
        description=(
            "Require a one-time code (TOTP) at login from admins and the roles that sign "
            "(HIPAA 164.312(d); checklist AC-6); false turns it off."
        ),
    )
    keepalive_requests: int = Field(
        default=100,
        ge=0,
        le=1_000_000,
        description=(
            "Requests a keep-alive connection carries before `alstrack serve` (with several "
            "processes) closes it, so that clients spread over the processes; 0 for never."
        ),
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description=(
            "Key of the web pages' CSRF tokens (at least 32 characters); unset, one is generated "
            "into data_dir/secret-key on first use. Set it where several machines serve."
        ),
    )

    @property
    def effective_workers(self) -> int:
        # Each process answers requests on its own interpreter (its own GIL), so on a machine
        # with several cores they serve side by side. Nothing is kept in a process that another
        # would need: sessions, lockouts and the audit chain live in the database, whose write
        # lock (SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory lock) orders the writers.
        if self.workers is not None:
            return self.workers
        return max(1, min(os.cpu_count() or 1, 4))

    @property
    def effective_request_threads(self) -> int:
        # Request handlers are CPU-bound Python around short SQLite calls. SQLite calls release
        # the GIL, and a thread waiting to take it back queues behind every other busy request
        # thread (up to the 5 ms switch interval each): with SQLite, one thread answers faster
        # at the tail than many. PostgreSQL round trips wait on the network, so threads help.
        if self.request_threads is not None:
            return self.request_threads
        return 8 if self.url.startswith("postgresql") else 1

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"ALSTRACK_TIME_ZONE must be an IANA time zone such as Europe/Paris, not {value!r}"
            ) from None
        return value

    @field_validator("facility_id")
    @classmethod
    def _valid_facility(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        problem = facility_problem(value)
        if problem:
            raise ValueError(f"ALSTRACK_FACILITY_ID: {problem}")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError(
                "ALSTRACK_DATABASE_URL must be a sqlite:// or postgresql+psycopg:// URL"
            )
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @property
    def url(self) -> str:
        """The database URL in force."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'alstrack.db').as_posix()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
