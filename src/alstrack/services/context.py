"""Who is acting, what time it is, and the checks every service runs before it touches a record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from alstrack.config import get_settings
from alstrack.domain.permissions import ALL_SITES_ROLES, allows
from alstrack.errors import InvalidInput, NotFound, PermissionDenied
from alstrack.store import audit
from alstrack.store.models import Patient


@dataclass(frozen=True)
class Actor:
    """The acting user, as services see it: identity, role and the sites they work at."""

    user_id: int
    username: str
    display_name: str
    role: str
    site_ids: frozenset[int] = field(default_factory=frozenset)
    # "full": what the role allows; "read": its *.read permissions only (a read-only API token);
    # "password": nothing but changing the password (after a reset, or when it is too old);
    # "mfa": nothing but setting up the second factor its role needs (services/mfa.py).
    scope: str = "full"

    @property
    def all_sites(self) -> bool:
        return self.role in ALL_SITES_ROLES

    def can(self, permission: str) -> bool:
        if self.scope != "full" and not (self.scope == "read" and permission.endswith(".read")):
            return False
        return allows(self.role, permission)

    def require_full(self) -> None:
        """Refuse a login limited to changing its password or setting up its second factor,
        in the words of what it must do first."""
        if self.scope == "password":
            raise PermissionDenied(
                "Change your password first: after a reset, or when it is too old, it is "
                "the only thing a login may do (POST /auth/password)."
            )
        if self.scope == "mfa":
            raise PermissionDenied(
                f"Set up your authenticator app first: the {self.role} role logs in with a "
                "one-time code besides the password (POST /auth/mfa, then "
                "POST /auth/mfa/confirm with the code it shows)."
            )

    def require(self, permission: str) -> None:
        if not self.can(permission):
            self.require_full()
            if self.scope == "read" and allows(self.role, permission):
                raise PermissionDenied(f"A read-only token may not do this ({permission}).")
            raise PermissionDenied(f"The {self.role} role may not do this ({permission}).")

    def sees_site(self, site_id: int) -> bool:
        return self.all_sites or site_id in self.site_ids


def now() -> datetime:
    """Server time, UTC. The one clock services read (tests travel with time-machine)."""
    return datetime.now(UTC)


def clinic_day(at: datetime) -> date:
    """The day ``at`` falls on in the program's time zone (ALSTRACK_TIME_ZONE)."""
    return at.astimezone(_zone(get_settings().time_zone)).date()


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def today() -> date:
    """Today in the program's time zone: the day a clinic's staff would write on a form."""
    return clinic_day(now())


_PATIENT = select(Patient).where(Patient.id == bindparam("patient_id"))
_PATIENT_FOR_UPDATE = _PATIENT.with_for_update()


def load_patient(session: Session, actor: Actor, patient_id: int, *, lock: bool = False) -> Patient:
    """The patient if the actor may see them; another site's patient answers 'not found'.

    ``lock`` serialises writers of one patient on PostgreSQL (SQLite has one writer anyway).
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    stmt = _PATIENT_FOR_UPDATE if lock and postgres else _PATIENT
    patient = session.scalars(stmt, {"patient_id": patient_id}).one_or_none()
    if patient is None or not actor.sees_site(patient.site_id):
        raise NotFound(f"No patient {patient_id}.")
    return patient


def load_of_patient(
    session: Session, actor: Actor, model: Any, record_id: int, what: str, *, lock: bool = False
) -> tuple[Any, Patient]:
    """A record that belongs to a patient, and the patient; "not found" if the actor may not see
    the patient. ``lock`` serialises the change with the patient's others (PostgreSQL) and
    reads the record again as it stands once the lock is held."""
    row = session.get(model, record_id)
    if row is None:
        raise NotFound(f"No {what} {record_id}.")
    try:
        patient = load_patient(session, actor, row.patient_id, lock=lock)
    except NotFound:
        raise NotFound(f"No {what} {record_id}.") from None
    if lock:
        session.refresh(row)
    return row, patient


def require_reason(reason: str | None) -> str:
    """Changes after first save need a reason (Annex 11 §9)."""
    if reason is None or not reason.strip():
        raise InvalidInput.for_field("reason", "a reason is required to change a saved record")
    return reason.strip()


def not_in_future(field_name: str, value: date | None, today_: date) -> None:
    if value is not None and value > today_:
        raise InvalidInput.for_field(field_name, f"must not be after today ({today_.isoformat()})")


def audited(
    actor: Actor, *, at: datetime, action: str, entity: str, entity_id: object, **details: Any
) -> dict[str, Any]:
    """An audit entry of a change made by ``actor`` (fields as in ``store.audit.entry``)."""
    return audit.entry(
        at=at,
        user_id=actor.user_id,
        username=actor.username,
        action=action,
        entity=entity,
        entity_id=entity_id,
        **details,
    )


def record_view(
    session: Any,
    actor: Actor,
    patient: Patient,
    *,
    entity: str,
    entity_id: object,
    new: dict[str, Any] | None = None,
) -> None:
    """Audit ``actor``'s view of identifiable data of ``patient`` (HIPAA 164.312(b)), in
    ``session``'s transaction."""
    audit.record(
        session,
        [
            audited(
                actor,
                at=now(),
                action="view",
                entity=entity,
                entity_id=entity_id,
                patient_id=patient.id,
                site_id=patient.site_id,
                new=new,
            )
        ],
    )
