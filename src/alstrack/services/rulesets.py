"""Rule set versions: a program's own rule files, checked, stored verbatim, and the one in use.

A file that fails the check stores nothing, so screenings go on with the last good version.
Each stored version keeps its text and the SHA-256 of its bytes: a screening names exactly the
rules it applied. Reading which rule set is in use never writes; only a caller that acts
(a screening) stores the shipped rule set, and audits it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alstrack.config import get_settings
from alstrack.domain.eligibility.rules import (
    RuleSet,
    builtin_ruleset,
    parse_ruleset,
)
from alstrack.errors import Conflict, InvalidInput, NotFound
from alstrack.services.context import Actor, audited, now
from alstrack.services.ruleset_views import (
    ActiveRuleSetOut,
    DataElementOut,
    ProfileOut,
    RuleSetVersionOut,
    rules_out,
    validation_out,
)
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import RuleSetVersion

BUILTIN = "builtin"
_VALIDATED = (
    "Whether the program declares the file clinically validated (ruleset.validation in the "
    "file): never for the shipped file"
)


@dataclass(frozen=True)
class ActiveRuleSet:
    """The rule set screenings use now and the stored version row it came from.

    version_id is None while the shipped rule set in use is not stored yet: the first
    screening stores it (``active_ruleset(session, store_as=actor)``).
    """

    ruleset: RuleSet
    version_id: int | None
    origin: str
    sha256: str
    accepted_at: datetime | None
    validated: bool

    @property
    def stored(self) -> bool:
        return self.version_id is not None


def shipped_file() -> Path:
    """The rule file shipped with alstrack (a DRAFT, not clinically validated)."""
    return Path(str(files("alstrack.domain").joinpath("data", "rules", "msc-als-program.yaml")))


@cache
def _shipped() -> tuple[str, str]:
    content = shipped_file().read_bytes()
    return content.decode("utf-8"), hashlib.sha256(content).hexdigest()


def is_validated(ruleset: RuleSet, origin: str, sha256: str) -> bool:
    """Only a program can validate rules, by declaring it in its file: never the shipped file."""
    shipped = origin == BUILTIN or sha256 == _shipped()[1]
    return not shipped and ruleset.ruleset.validation is not None


# Parsed rule sets by SHA-256: checking a file is costly, so each content is checked once.
_PARSED: dict[str, RuleSet] = {}


def _parsed(row: RuleSetVersion) -> RuleSet:
    ruleset = _PARSED.get(row.sha256)
    if ruleset is None:
        ruleset = parse_ruleset(row.content, f"rule set version {row.id} ({row.origin})")
        _PARSED[row.sha256] = ruleset
    return ruleset


def _active(row: RuleSetVersion) -> ActiveRuleSet:
    ruleset = _parsed(row)
    return ActiveRuleSet(
        ruleset=ruleset,
        version_id=row.id,
        origin=row.origin,
        sha256=row.sha256,
        accepted_at=row.accepted_at,
        validated=is_validated(ruleset, row.origin, row.sha256),
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


def _by_version(session: Session, ruleset_id: str, version: str) -> RuleSetVersion | None:
    stmt = select(RuleSetVersion).where(
        RuleSetVersion.ruleset_id == ruleset_id, RuleSetVersion.version == version
    )
    return session.scalars(stmt).first()


def active_ruleset(
    session: Session, ruleset_id: str | None = None, *, store_as: Actor | None = None
) -> ActiveRuleSet:
    """The newest installed version of a rule set (default: the ``ruleset`` setting).

    With none installed, the shipped rule set. While it is not stored, ``store_as`` stores it
    (and audits that, by that actor) so that a screening can reference it; without
    ``store_as`` nothing is written and version_id is None. Until a program installs its own
    file, a new release's shipped rule set takes over from the one an earlier release stored;
    a program's own file stays in force until replaced. Runs in the caller's transaction.
    """
    wanted = ruleset_id or get_settings().ruleset
    row = _latest(session, wanted)
    if wanted != builtin_ruleset().ruleset.id:
        if row is None:
            raise NotFound(
                f"No rule set {wanted!r} is installed; install its file with "
                "`alstrack rules install FILE --as USERNAME`."
            )
        return _active(row)
    content, sha256 = _shipped()
    if row is not None and (row.origin != BUILTIN or row.sha256 == sha256):
        return _active(row)
    held = _by_sha256(session, sha256)
    if held is not None:
        return _active(held)
    if store_as is not None:
        return _active(_store_shipped(session, store_as, content, sha256))
    return ActiveRuleSet(builtin_ruleset(), None, BUILTIN, sha256, None, validated=False)


def _store_shipped(session: Session, actor: Actor, content: str, sha256: str) -> RuleSetVersion:
    meta = builtin_ruleset().ruleset
    at = now()
    row = RuleSetVersion(
        ruleset_id=meta.id,
        version=meta.version,
        sha256=sha256,
        origin=BUILTIN,
        content=content,
        accepted_at=at,
    )
    try:
        # A savepoint: another transaction storing it at the same moment wins (and audits it),
        # and we read its row.
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        held = _by_sha256(session, sha256)
        if held is not None:
            return held
        taken = _by_version(session, meta.id, meta.version)
        raise Conflict(
            f"The shipped rule set {meta.id} {meta.version} cannot be stored: rule set version "
            f"{taken.id if taken else '?'} holds other content under that version name. "
            "Install the program's own file (`alstrack rules install`), or ask the release "
            "for a shipped file with a version of its own."
        ) from None
    audit.record(session, [_audit_entry(actor, at, "store", row, {})])
    _PARSED.setdefault(sha256, builtin_ruleset())
    return row


def _audit_entry(
    actor: Actor, at: datetime, action: str, row: RuleSetVersion, extra: dict[str, Any]
) -> dict[str, Any]:
    new = {"ruleset_id": row.ruleset_id, "version": row.version, "sha256": row.sha256}
    new |= {"origin": row.origin, **extra}
    return audited(
        actor, at=at, action=action, entity="rule_set_version", entity_id=row.id, new=new
    )


def _active_version_id(session: Session) -> int | None:
    """The stored version screenings of the configured rule set use now, if any."""
    try:
        return active_ruleset(session).version_id
    except NotFound:
        return None


def check_file(path: Path) -> RuleSet:
    """Read and check a rule file as installing it would, without a database."""
    return parse_ruleset(_read(path)[0], str(path))


def install_ruleset(db: Database, actor: Actor, path: Path) -> RuleSetVersionOut:
    """Check a rule file and store it as the newest version of its rule set (admin or system).

    A file that fails the check raises InvalidInput naming the file, the rule and the reason, and
    stores nothing: screenings go on with the version they used. ``active`` in the answer says
    whether screenings use it now (its id is the configured ALSTRACK_RULESET).
    """
    actor.require("rules.write")
    where = str(path)
    content, sha256 = _read(path)
    ruleset = parse_ruleset(content, where)
    meta = ruleset.ruleset
    with db.transaction() as session:
        clash = _clash(session, meta.id, meta.version, sha256, where)
        if clash is not None:
            raise clash
        at = now()
        row = RuleSetVersion(
            ruleset_id=meta.id,
            version=meta.version,
            sha256=sha256,
            origin=_origin(path),
            content=content,
            accepted_at=at,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            # Another installation committed between the check above and this insert.
            raise _clash(session, meta.id, meta.version, sha256, where) or Conflict(
                f"{meta.id} {meta.version} was installed by someone else at the same moment: "
                "see `alstrack rules list`."
            ) from None
        extra = {"profiles": list(ruleset.profiles)}
        audit.record(session, [_audit_entry(actor, at, "install", row, extra)])
        _PARSED[sha256] = ruleset
        return _version_out(row, ruleset, active=_active_version_id(session) == row.id)


def list_versions(db: Database, actor: Actor) -> list[RuleSetVersionOut]:
    """Every stored rule set version, newest first, marking the one screenings use (if stored)."""
    _require_read(actor)
    with db.read() as session:
        active_id = _active_version_id(session)
        rows = session.scalars(select(RuleSetVersion).order_by(RuleSetVersion.id.desc())).all()
        return [_version_out(r, _parsed(r), active=r.id == active_id) for r in rows]


def describe_active(db: Database, actor: Actor, ruleset_id: str | None = None) -> ActiveRuleSetOut:
    """The rule set screenings use now: its data elements, profiles, rules and sources."""
    _require_read(actor)
    with db.read() as session:
        active = active_ruleset(session, ruleset_id)
    ruleset = active.ruleset
    meta = ruleset.ruleset
    return ActiveRuleSetOut(
        id=meta.id,
        version=meta.version,
        version_id=active.version_id,
        stored=active.stored,
        sha256=active.sha256,
        origin=active.origin,
        accepted_at=active.accepted_at,
        validated=active.validated,
        validation=validation_out(ruleset) if active.validated else None,
        default_profile=meta.default_profile,
        profiles=[
            ProfileOut(name=name, description=profile.description)
            for name, profile in meta.profiles.items()
        ],
        data_elements=[
            DataElementOut(
                name=name,
                type=element.type,
                unit=element.unit,
                codes=list(element.values) if element.values else None,
                range=element.range,
                note=element.note,
                accepts_never=element.accepts_never,
            )
            for name, element in ruleset.data_elements.items()
        ],
        rules=rules_out(ruleset),
        sources=ruleset.sources,
    )


def _require_read(actor: Actor) -> None:
    # Admins install rule sets without reading screenings: they may still see what they installed.
    if not actor.can("rules.write"):
        actor.require("screenings.read")


def _read(path: Path) -> tuple[str, str]:
    """The text of a file and the SHA-256 of its bytes (what `sha256sum FILE` prints)."""
    try:
        content = path.read_bytes()
        return content.decode("utf-8"), hashlib.sha256(content).hexdigest()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput.for_field(str(path), f"cannot be read as YAML: {exc}") from exc


_MAX_ORIGIN = 500  # the length of rule_set_versions.origin


def _origin(path: Path) -> str:
    origin = str(path.resolve())
    # The end of a very long path names the file; the start is elided.
    return origin if len(origin) <= _MAX_ORIGIN else "…" + origin[-(_MAX_ORIGIN - 1) :]


def _clash(
    session: Session, ruleset_id: str, version: str, sha256: str, where: str
) -> Conflict | None:
    """One content, one version row; one version name, one content."""
    held = _by_sha256(session, sha256)
    if held is not None:
        return Conflict(
            f"{where} is installed already: rule set version {held.id} "
            f"({held.ruleset_id} {held.version}) holds the same content."
        )
    taken = _by_version(session, ruleset_id, version)
    if taken is not None:
        holder = f"rule set version {taken.id}"
    else:
        shipped = builtin_ruleset().ruleset
        if (ruleset_id, version) != (shipped.id, shipped.version) or sha256 == _shipped()[1]:
            return None
        holder = "the shipped rule set"
    return Conflict(
        f"{ruleset_id} version {version} is {holder}, with other content: "
        f"give {where} a version of its own (ruleset.version)."
    )


def _version_out(row: RuleSetVersion, ruleset: RuleSet, *, active: bool) -> RuleSetVersionOut:
    validated = is_validated(ruleset, row.origin, row.sha256)
    return RuleSetVersionOut(
        id=row.id,
        ruleset_id=row.ruleset_id,
        version=row.version,
        sha256=row.sha256,
        origin=row.origin,
        accepted_at=row.accepted_at,
        active=active,
        validated=validated,
        validation=validation_out(ruleset) if validated else None,
        profiles=list(ruleset.profiles),
    )
