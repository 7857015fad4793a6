"""Rule set versions: a program's own rule files, checked, stored verbatim, and the one in use.

A file that fails the check stores nothing, so screenings go on with the last good version.
Each stored version keeps its text and the SHA-256 of its bytes: a screening names exactly the
rules it applied.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alstrack.config import get_settings
from alstrack.domain.eligibility.rules import (
    Certainty,
    Effect,
    RuleSet,
    builtin_ruleset,
    parse_ruleset,
)
from alstrack.errors import Conflict, InvalidInput, NotFound
from alstrack.services.context import Actor, audited, now
from alstrack.services.users import actor_for
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import RuleSetVersion, User

BUILTIN = "builtin"
_VALIDATED = (
    "Whether the program declares it clinically validated: false for the shipped file and for "
    "any version whose name says draft"
)


@dataclass(frozen=True)
class ActiveRuleSet:
    """The rule set screenings use now and the stored version row it came from."""

    ruleset: RuleSet
    version_id: int
    origin: str
    sha256: str
    accepted_at: datetime
    validated: bool


class RuleSetVersionOut(BaseModel):
    id: int
    ruleset_id: str
    version: str
    sha256: str
    origin: str = Field(description='"builtin" or the file it was installed from')
    accepted_at: datetime
    active: bool = Field(description="Whether screenings of this rule set id use this version now")
    validated: bool = Field(description=_VALIDATED)
    profiles: list[str]


class ProfileOut(BaseModel):
    name: str
    description: str


class RuleOut(BaseModel):
    id: str
    group: str
    category: str
    description: str
    effect: Effect | dict[str, Effect] = Field(description="One effect, or one per profile")
    sources: list[str]
    verification: Certainty | dict[str, Certainty] = Field(description="One, or one per source")
    max_age_days: int | None


class ActiveRuleSetOut(BaseModel):
    id: str
    version: str
    version_id: int = Field(description="The stored version row screenings reference")
    sha256: str
    origin: str
    accepted_at: datetime
    validated: bool = Field(description=_VALIDATED)
    default_profile: str
    profiles: list[ProfileOut]
    rules: list[RuleOut]
    sources: dict[str, dict[str, Any]]


def shipped_file() -> Path:
    """The rule file shipped with alstrack (a DRAFT, not clinically validated)."""
    return Path(str(files("alstrack.domain").joinpath("data", "rules", "msc-als-program.yaml")))


@cache
def _shipped() -> tuple[str, str]:
    content = shipped_file().read_bytes()
    return content.decode("utf-8"), hashlib.sha256(content).hexdigest()


def is_validated(origin: str, version: str, sha256: str) -> bool:
    """Only a program can validate rules: the shipped file and any draft version are not."""
    return origin != BUILTIN and sha256 != _shipped()[1] and "draft" not in version.lower()


# Parsed rule sets by SHA-256: checking a file is costly, so each content is checked once.
_PARSED: dict[str, RuleSet] = {}


def _parsed(row: RuleSetVersion) -> RuleSet:
    ruleset = _PARSED.get(row.sha256)
    if ruleset is None:
        ruleset = parse_ruleset(row.content, f"rule set version {row.id} ({row.origin})")
        _PARSED[row.sha256] = ruleset
    return ruleset


def _active(row: RuleSetVersion) -> ActiveRuleSet:
    return ActiveRuleSet(
        ruleset=_parsed(row),
        version_id=row.id,
        origin=row.origin,
        sha256=row.sha256,
        accepted_at=row.accepted_at,
        validated=is_validated(row.origin, row.version, row.sha256),
    )


def _latest(session: Session, ruleset_id: str) -> RuleSetVersion | None:
    stmt = (
        select(RuleSetVersion)
        .where(RuleSetVersion.ruleset_id == ruleset_id)
        .order_by(RuleSetVersion.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def _by_sha256(session: Session, sha256: str) -> RuleSetVersion | None:
    stmt = select(RuleSetVersion).where(RuleSetVersion.sha256 == sha256)
    return session.scalars(stmt).first()


def _store_shipped(session: Session) -> RuleSetVersion:
    content, sha256 = _shipped()
    row = _by_sha256(session, sha256)
    if row is not None:
        return row
    meta = builtin_ruleset().ruleset
    row = RuleSetVersion(
        ruleset_id=meta.id,
        version=meta.version,
        sha256=sha256,
        origin=BUILTIN,
        content=content,
        accepted_at=now(),
    )
    try:
        # A savepoint: another transaction storing it at the same moment wins, and we read its row.
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        row = _by_sha256(session, sha256)
        if row is None:
            raise
    _PARSED.setdefault(sha256, builtin_ruleset())
    return row


def active_ruleset(session: Session, ruleset_id: str | None = None) -> ActiveRuleSet:
    """The newest installed version of a rule set (default: the ``ruleset`` setting).

    With none installed, the shipped rule set, stored as a version row the first time so that
    every screening references a stored version (and again when a release ships a new one).
    Runs in the caller's transaction; never commits.
    """
    wanted = ruleset_id or get_settings().ruleset
    row = _latest(session, wanted)
    shipped = wanted == builtin_ruleset().ruleset.id
    if row is None and not shipped:
        raise NotFound(
            f"No rule set {wanted!r} is installed; install its file with "
            "`alstrack rules install FILE --as USERNAME`."
        )
    # Until a program installs its own file, a new release's shipped rule set takes over from
    # the one an earlier release stored; a program's own file stays in force until replaced.
    if row is None or (shipped and row.origin == BUILTIN and row.sha256 != _shipped()[1]):
        row = _store_shipped(session)
    return _active(row)


def check_file(path: Path) -> RuleSet:
    """Read and check a rule file as installing it would, without a database."""
    ruleset = parse_ruleset(_read(path)[0], str(path))
    _fits_its_columns(ruleset, str(path))
    return ruleset


def install_ruleset(db: Database, actor: Actor, path: Path) -> RuleSetVersionOut:
    """Check a rule file and store it as the newest version of its rule set (admin or system).

    A file that fails the check raises InvalidInput naming the file, the rule and the reason, and
    stores nothing: screenings go on with the version they used.
    """
    actor.require("rules.write")
    where = str(path)
    content, sha256 = _read(path)
    ruleset = parse_ruleset(content, where)
    _fits_its_columns(ruleset, where)
    meta = ruleset.ruleset
    with db.transaction() as session:
        held = _by_sha256(session, sha256)
        if held is not None:
            raise Conflict(
                f"{where} is installed already: rule set version {held.id} "
                f"({held.ruleset_id} {held.version}) holds the same content."
            )
        _refuse_a_taken_version(session, meta.id, meta.version, sha256, where)
        at = now()
        row = RuleSetVersion(
            ruleset_id=meta.id,
            version=meta.version,
            sha256=sha256,
            origin=_origin(path),
            content=content,
            accepted_at=at,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=at,
                    action="install",
                    entity="rule_set_version",
                    entity_id=row.id,
                    new={
                        "ruleset_id": row.ruleset_id,
                        "version": row.version,
                        "sha256": row.sha256,
                        "origin": row.origin,
                        "profiles": list(ruleset.profiles),
                    },
                )
            ],
        )
        _PARSED[sha256] = ruleset
        return _version_out(row, ruleset, active=True)


def list_versions(db: Database, actor: Actor) -> list[RuleSetVersionOut]:
    """Every stored rule set version, newest first, marking the one screenings use."""
    _require_read(actor)
    _ensure_stored(db, get_settings().ruleset)
    with db.read() as session:
        rows = session.scalars(select(RuleSetVersion).order_by(RuleSetVersion.id.desc())).all()
        newest: dict[str, int] = {}
        for row in rows:
            newest.setdefault(row.ruleset_id, row.id)
        return [_version_out(r, _parsed(r), active=newest[r.ruleset_id] == r.id) for r in rows]


def describe_active(db: Database, actor: Actor, ruleset_id: str | None = None) -> ActiveRuleSetOut:
    """The rule set screenings use now: its profiles, rules and sources."""
    _require_read(actor)
    _ensure_stored(db, ruleset_id or get_settings().ruleset)
    with db.read() as session:
        active = active_ruleset(session, ruleset_id)
    ruleset = active.ruleset
    return ActiveRuleSetOut(
        id=ruleset.ruleset.id,
        version=ruleset.ruleset.version,
        version_id=active.version_id,
        sha256=active.sha256,
        origin=active.origin,
        accepted_at=active.accepted_at,
        validated=active.validated,
        default_profile=ruleset.ruleset.default_profile,
        profiles=[
            ProfileOut(name=name, description=profile.description)
            for name, profile in ruleset.ruleset.profiles.items()
        ],
        rules=[
            RuleOut(
                id=rule.id,
                group=rule.group,
                category=rule.category,
                description=rule.description,
                effect=rule.effect,
                sources=list(rule.sources),
                verification=rule.verification,
                max_age_days=rule.max_age_days,
            )
            for rule in ruleset.rules
        ],
        sources=ruleset.sources,
    )


def named_actor(db: Database, username: str) -> Actor:
    """The active user called ``username``, for a command run on the server (``--as``)."""
    with db.read() as session:
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        if user is None or not user.active:
            raise NotFound(f"No active user {username!r}.")
        return actor_for(session, user)


def _require_read(actor: Actor) -> None:
    # Admins install rule sets without reading screenings: they may still see what they installed.
    if not actor.can("rules.write"):
        actor.require("screenings.read")


def _ensure_stored(db: Database, ruleset_id: str) -> None:
    """Store the shipped rule set if screenings of ``ruleset_id`` would use it."""
    with db.read() as session:
        if _latest(session, ruleset_id) is not None:
            return
    if ruleset_id == builtin_ruleset().ruleset.id:
        with db.transaction() as session:
            active_ruleset(session, ruleset_id)


def _read(path: Path) -> tuple[str, str]:
    """The text of a file and the SHA-256 of its bytes (what `sha256sum FILE` prints)."""
    try:
        content = path.read_bytes()
        return content.decode("utf-8"), hashlib.sha256(content).hexdigest()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput.for_field(str(path), f"cannot be read as YAML: {exc}") from exc


# Lengths of the rule_set_versions columns.
_MAX_ID, _MAX_VERSION, _MAX_ORIGIN = 64, 40, 500


def _fits_its_columns(ruleset: RuleSet, where: str) -> None:
    meta = ruleset.ruleset
    if len(meta.id) > _MAX_ID:
        raise InvalidInput.for_field(where, f"ruleset.id: at most {_MAX_ID} characters")
    if len(meta.version) > _MAX_VERSION:
        raise InvalidInput.for_field(where, f"ruleset.version: at most {_MAX_VERSION} characters")


def _origin(path: Path) -> str:
    origin = str(path.resolve())
    # The end of a very long path names the file; the start is elided.
    return origin if len(origin) <= _MAX_ORIGIN else "…" + origin[-(_MAX_ORIGIN - 1) :]


def _refuse_a_taken_version(
    session: Session, ruleset_id: str, version: str, sha256: str, where: str
) -> None:
    """One version name, one content: a screening's rule set version must name its rules."""
    stmt = select(RuleSetVersion).where(
        RuleSetVersion.ruleset_id == ruleset_id, RuleSetVersion.version == version
    )
    taken = session.scalars(stmt).first()
    if taken is not None:
        holder = f"rule set version {taken.id}"
    else:
        shipped = builtin_ruleset().ruleset
        if (ruleset_id, version) != (shipped.id, shipped.version) or sha256 == _shipped()[1]:
            return
        holder = "the shipped rule set"
    raise Conflict(
        f"{ruleset_id} version {version} is {holder}, with other content: "
        f"give {where} a version of its own (ruleset.version)."
    )


def _version_out(row: RuleSetVersion, ruleset: RuleSet, *, active: bool) -> RuleSetVersionOut:
    return RuleSetVersionOut(
        id=row.id,
        ruleset_id=row.ruleset_id,
        version=row.version,
        sha256=row.sha256,
        origin=row.origin,
        accepted_at=row.accepted_at,
        active=active,
        validated=is_validated(row.origin, row.version, row.sha256),
        profiles=list(ruleset.profiles),
    )
