"""The audit trail's hash chain: each entry's hash covers its content and the hash before it.

``hash(n) = sha256(hash(n-1) + canonical(n))`` in hex, where ``canonical(n)`` is entry n's
content (:data:`CONTENT`, its id included, ``at`` in UTC ISO 8601 to the microsecond) as JSON
with sorted keys and no spaces, and the first entry's ``hash(n-1)`` is :data:`GENESIS`. Each
entry keeps the hash before it (``prev_hash``) beside its own. Appending reads the last entry
and writes after it (ids one up), so two writers must not append at once: on PostgreSQL
:func:`head` takes a transaction-scoped advisory lock; SQLite's write lock is the transaction's
(``BEGIN IMMEDIATE``, ``store/db.py``). Two writers that raced anyway would clash on the id,
not fork the chain. :func:`verify` recomputes the chain and names the first entry altered,
removed or inserted.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, RowMapping, func, select, text
from sqlalchemy.orm import Session

from alstrack.store.models import AuditEntry

__all__ = [
    "CONTENT",
    "GENESIS",
    "ChainBreak",
    "ChainReport",
    "canonical",
    "created_template",
    "head",
    "link",
    "verify",
]

GENESIS = "0" * 64
# What an entry's hash covers: everything it says, and its id (its place in the chain).
CONTENT = (
    "id", "at", "user_id", "username", "action", "entity", "entity_id", "patient_id",
    "site_id", "old", "new", "reason",
)  # fmt: skip
# pg_advisory_xact_lock's key for appending to the chain ("alstrack" in ASCII, as a bigint).
APPEND_LOCK = 0x616C73747261636B

SORTED = orjson.OPT_SORT_KEYS


def at_text(at: datetime) -> str:
    """An entry's time as its hash covers it: UTC, ISO 8601, always with microseconds."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(entry: Mapping[str, Any] | RowMapping) -> bytes:
    """The bytes an entry's hash covers: :data:`CONTENT` as JSON with sorted keys.

    ``old`` and ``new`` are taken as they read back from the database (JSON values), so the
    same entry gives the same bytes before it is stored and after, on SQLite and PostgreSQL.
    """
    content = {k: entry[k] for k in CONTENT}
    at = entry["at"]
    content["at"] = at_text(at) if isinstance(at, datetime) else at
    return orjson.dumps(content, option=SORTED)


def created_template(*, at: datetime, user_id: int | None, username: str, entity: str) -> str:
    """:func:`canonical` of "create" entries that share who, when and the kind of record, as a
    %-template: ``template % (record_id, entry_id, new, patient_id, site_id)`` (integers, and
    ``new`` the JSON of the new values with sorted keys) gives the text of the bytes
    :func:`canonical` gives for the whole entry. An import hashes tens of thousands of entries:
    the shared fields are dumped once, and each entry is one formatting in C.
    """

    def dumped(value: Any) -> str:
        return orjson.dumps(value).decode().replace("%", "%%")

    when, what, who, name = dumped(at_text(at)), dumped(entity), dumped(user_id), dumped(username)
    return (
        f'{{"action":"create","at":{when},"entity":{what},"entity_id":"%d","id":%d,"new":%s,'
        f'"old":null,"patient_id":%d,"reason":null,"site_id":%d,"user_id":{who},"username":{name}}}'
    )


def link(prev_hash: str, content: bytes) -> str:
    """The hash of an entry whose canonical content is ``content``, after ``prev_hash``."""
    return hashlib.sha256(prev_hash.encode("ascii") + content).hexdigest()


_HEAD = select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)


def head(session: Session) -> tuple[int, str]:
    """The last entry's id and hash, ``(0, GENESIS)`` for an empty trail, with the right to
    append after it until the transaction ends (PostgreSQL: an advisory lock; SQLite: the
    transaction's write lock, taken at BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        # The head is read by a statement after the lock's: under READ COMMITTED it sees the
        # head as the previous holder committed it.
        session.execute(select(func.pg_advisory_xact_lock(APPEND_LOCK)))
    last = session.execute(_HEAD).one_or_none()
    return (0, GENESIS) if last is None else (last[0], last[1])


# --- verification ------------------------------------------------------------------------------

Kind = Literal["altered", "removed", "inserted"]


@dataclass(frozen=True)
class ChainBreak:
    """The first place the chain does not hold: the entry named, and what is wrong."""

    entry_id: int
    kind: Kind
    message: str


@dataclass(frozen=True)
class ChainReport:
    """What :func:`verify` found: entries verified, the head, and the first break if any."""

    verified: int
    head_id: int
    head_hash: str
    broken: ChainBreak | None = None
    # The head hash given to verify (recorded elsewhere earlier): was it found in the chain?
    anchor_found: bool | None = None
    # The append-only triggers missing or disabled (see unprotected()).
    unprotected: tuple[str, ...] = ()

    @property
    def intact(self) -> bool:
        return self.broken is None and self.anchor_found is not False and not self.unprotected


_ALL = select(*[AuditEntry.__table__.c[name] for name in (*CONTENT, "prev_hash", "hash")]).order_by(
    AuditEntry.id
)
# Hashes of the latest entries, to tell an insertion (a later entry follows one of these,
# skipping those after it) from a removal (it follows none).
_WINDOW = 256


# The triggers of migration 0012 that make audit_log append-only, by dialect.
APPEND_ONLY_TRIGGERS = {
    "sqlite": ("audit_log_no_update", "audit_log_no_delete"),
    "postgresql": ("audit_log_no_update_or_delete", "audit_log_no_truncate"),
}


def unprotected(connection: Connection) -> list[str]:
    """What is wrong with audit_log's append-only triggers: each one missing or disabled.

    A chain that verifies says nothing was changed *so far*; with a trigger dropped or disabled,
    the next change would not be refused. Empty when all are in place."""
    dialect = connection.dialect.name
    expected = APPEND_ONLY_TRIGGERS.get(dialect, ())
    if dialect == "postgresql":
        rows = connection.execute(
            text(
                "SELECT tgname, tgenabled <> 'D' FROM pg_trigger "
                "WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal"
            )
        )
    else:
        rows = connection.execute(
            text(
                "SELECT name, 1 FROM sqlite_master "
                "WHERE type = 'trigger' AND tbl_name = 'audit_log'"
            )
        )
    present = {name: bool(enabled) for name, enabled in rows}
    return [
        f"trigger {name} is {'disabled' if name in present else 'missing'}"
        for name in expected
        if not present.get(name)
    ]


def verify(connection: Connection, *, anchor: str | None = None) -> ChainReport:
    """Recompute the chain in id order and stop at the first entry that does not hold.

    Each entry must follow the one before (its ``prev_hash`` is that entry's hash) and match
    its own hash. ``anchor``, a head hash recorded earlier, must be among the hashes. The
    report counts the entries verified before the one it names, and lists the append-only
    triggers missing or disabled.
    """
    guards = tuple(unprotected(connection))
    rows = connection.execution_options(yield_per=2000).execute(_ALL).mappings()
    prev, prev_id, verified = GENESIS, 0, 0
    # A hash -> the entry after it (its id, and how many entries come before it).
    recent: OrderedDict[str, tuple[int, int]] = OrderedDict()
    seen_anchor = anchor is None or anchor == GENESIS
    for entry, following in _with_next(rows):
        broken = _check(entry, following, prev, prev_id, recent)
        if broken is not None:
            rows.close()
            before = verified
            if broken.entry_id != entry["id"]:  # an insertion, found at the entry after it
                before = next(n for i, n in recent.values() if i == broken.entry_id)
            return ChainReport(before, prev_id, prev, broken, _anchor(anchor, seen_anchor), guards)
        recent[prev] = (entry["id"], verified)
        if len(recent) > _WINDOW:
            recent.popitem(last=False)
        prev, prev_id, verified = entry["hash"], entry["id"], verified + 1
        seen_anchor = seen_anchor or prev == anchor
    return ChainReport(verified, prev_id, prev, None, _anchor(anchor, seen_anchor), guards)


def _anchor(anchor: str | None, seen: bool) -> bool | None:
    return None if anchor is None else seen


def _with_next(rows: Iterable[RowMapping]) -> Iterator[tuple[RowMapping, RowMapping | None]]:
    each = iter(rows)
    current = next(each, None)
    while current is not None:
        following = next(each, None)
        yield current, following
        current = following


def _check(
    entry: RowMapping,
    following: RowMapping | None,
    prev: str,
    prev_id: int,
    recent: Mapping[str, tuple[int, int]],
) -> ChainBreak | None:
    entry_id = entry["id"]
    follows = entry["prev_hash"] == prev
    holds = link(prev, canonical(entry)) == entry["hash"]
    if follows and holds:
        return None
    if holds:  # it chains to the entry before, but says it follows another
        return ChainBreak(
            entry_id,
            "altered",
            f"entry {entry_id} was altered: its prev_hash is not the hash before it",
        )
    if follows:
        if following is not None and following["prev_hash"] == prev:
            return ChainBreak(
                entry_id,
                "inserted",
                f"entry {entry_id} was inserted: the entry after it follows the one before it",
            )
        return ChainBreak(
            entry_id,
            "altered",
            f"entry {entry_id} was altered: its content does not match its hash",
        )
    skipped_to = recent.get(entry["prev_hash"], (None,))[0]
    if skipped_to is not None:
        return ChainBreak(
            skipped_to,
            "inserted",
            f"entry {skipped_to} was inserted: entry {entry_id} follows the entry before it",
        )
    if entry_id > prev_id + 1:
        missing = (
            f"{prev_id + 1}" if entry_id == prev_id + 2 else f"{prev_id + 1} to {entry_id - 1}"
        )
        return ChainBreak(
            entry_id, "removed", f"the entry before entry {entry_id} was removed (id {missing})"
        )
    return ChainBreak(
        entry_id,
        "removed",
        f"entry {entry_id} does not follow the entry before it: entries between were removed "
        "or replaced",
    )
