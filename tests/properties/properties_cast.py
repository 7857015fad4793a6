"""What the importer properties share: damaged documents and bytes, and the one outcome allowed.

Every importer, given anything, either does its work or refuses with alstrack's own error; any
other exception (KeyError, TypeError, UnicodeDecodeError, a YAML or database error) escapes
:func:`outcome` and fails the test. A refusal stores nothing: the tests compare the rows of
every table, audit log included (the ``stored`` fixture of tests/conftest.py), before and after.
"""

from __future__ import annotations

import copy
import csv
import io
from collections.abc import Callable
from datetime import date
from typing import Any, Generic, TypeVar

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from typer.testing import Result

from alstrack.errors import AlstrackError
from alstrack.services import rulesets

T = TypeVar("T")
Path_ = tuple[str | int, ...]
Table = tuple[list[str], list[list[str]]]  # a CSV file's header and rows

# Function-scoped fixtures (a database, a tmp folder) are shared by a test's examples, on
# purpose: each example counts the rows before and after itself.
PROPERTIES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Text no database column can hold the same way: PostgreSQL refuses a NUL, neither database
# encodes an unpaired surrogate (YAML and JSON spell both as escapes).
UNSTORABLE_TEXT = st.sampled_from(["\x00", "a\x00b", "\ud800", "a\udfffb"])
# Text that a file may hold where a clean value was meant.
ODD_TEXT = st.one_of(
    UNSTORABLE_TEXT,
    st.text(max_size=6),
    st.sampled_from(
        [
            "",
            " ",
            "\ufeff",
            "2023-02-30",
            "2023-13-01",
            "0000-00-00",
            "1e999",
            "-1e999",
            "nan",
            "1_000",
            "９",  # a full-width digit, which float() reads
            "x" * 5_000,
        ]
    ),
)
# Any value where another was meant: wrong types, out of range, huge, empty.
ODD_VALUES: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**63, 10**40]),
    st.floats(),
    ODD_TEXT,
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.dictionaries(st.sampled_from([1, 1.5, None, True]), st.integers(), min_size=1, max_size=1),
)

# Keys a mapping may have where names were meant: not text, empty, unprintable, misspelt.
ODD_KEYS: st.SearchStrategy[Any] = st.sampled_from(
    [1, 1.5, None, True, "", "\x00", "a\x00b", "\ud800", "\ufeff", "Nurown_P3_Like", "x" * 300]
)

# Where a number goes: numbers past any column or range, not whole, not numbers at all.
ODD_NUMBERS = st.sampled_from(
    ["1e30", "-1e30", "2147483648", "-2147483649", "99999999999", "4.25", "-1", "7", "0.5",
     "1e999", "nan", "NA", "", "2023-02-30"]
)  # fmt: skip
# Cells an export may hold: odd text and numbers, quotes, commas, line breaks, long ids.
ODD_CELLS = st.one_of(
    ODD_TEXT, ODD_NUMBERS, st.sampled_from(['"', "a,b", "two\nlines", "x" * 65, "Yes"])
)


def paths_of(node: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every place in a JSON-like document, its root left out."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths_of(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths_of(value, (*prefix, index))
    return found


def _by_label(document: Any) -> dict[str | int, list[Path_]]:
    """The places of a document by the name of the field they are in (an item by its list's)."""
    places: dict[str | int, list[Path_]] = {}
    for path in paths_of(document):
        label = next((step for step in reversed(path) if isinstance(step, str)), path[0])
        places.setdefault(label, []).append(path)
    return places


def _parent(document: Any, path: Path_) -> Any:
    node = document
    for step in path[:-1]:
        node = node[step]  # KeyError / IndexError / TypeError: an earlier change moved it
    return node


class Damaged(Generic[T]):
    """A damaged input and what was done to it, shown by what was done: hypothesis prints a
    failing example, and the input itself may be a whole rule file."""

    def __init__(self, value: T, changes: list[str]) -> None:
        self.value = value
        self.changes = changes

    def __repr__(self) -> str:
        return f"Damaged({'; '.join(self.changes) or 'nothing'})"


def show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def damage(draw: st.DrawFn, document: Any, *, changes: int = 3) -> list[str]:
    """Damage ``document`` (a mapping or list) in place with one to ``changes`` of: a key or
    item dropped, a value replaced by an odd one, a key renamed to an odd one, an unknown key
    added, an item twice (a duplicated id), a value wrapped in a list or turned into text.
    Returns what was done."""
    places = paths_of(document)
    # Fields that recur (every rule's "threshold") by kind: a rule file's thresholds get as many
    # changes as its hundreds of descriptions.
    kinds = {k: v for k, v in _by_label(document).items() if len(v) > 1}
    labels = sorted(kinds, key=str)
    done: list[str] = []
    for _ in range(draw(st.integers(min_value=1, max_value=changes)) if places else 0):
        if labels and draw(st.booleans()):
            path = draw(st.sampled_from(kinds[draw(st.sampled_from(labels))]))
        else:
            path = draw(st.sampled_from(places))
        how = draw(
            st.sampled_from(["drop", "replace", "replace", "rekey", "unknown", "twice", "wrap"])
        )
        try:
            parent = _parent(document, path)
            key = path[-1]
            value = parent[key]
        except (KeyError, IndexError, TypeError):
            continue
        if not isinstance(parent, dict | list):
            continue  # an earlier change put text or a number where this was
        where = ".".join(str(step) for step in path)
        if how == "drop":
            del parent[key]
            done.append(f"{where} dropped")
        elif how == "replace":
            parent[key] = draw(ODD_VALUES)
            done.append(f"{where} = {show(parent[key])}")
        elif how == "rekey" and isinstance(parent, dict):
            odd = draw(ODD_KEYS)
            parent[odd] = parent.pop(key)
            done.append(f"{where} renamed {show(odd)}")
        elif how == "unknown" and isinstance(parent, dict):
            name = draw(st.sampled_from(["unknown_field", "Id", "", "rules "]))
            parent[name] = draw(ODD_VALUES)
            done.append(f"{where} beside {show(name)}: {show(parent[name])}")
        elif how == "twice" and isinstance(parent, list):
            parent.append(copy.deepcopy(value))
            done.append(f"{where} twice")
        elif how == "wrap":
            parent[key] = [value] if draw(st.booleans()) else str(value)
            done.append(f"{where} = {show(parent[key])}")
    return done


@st.composite
def damaged(draw: st.DrawFn, document: Any, *, changes: int = 3) -> Damaged[Any]:
    """A copy of ``document`` damaged (see :func:`damage`)."""
    copied = copy.deepcopy(document)
    return Damaged(copied, damage(draw, copied, changes=changes))


@st.composite
def damaged_bytes(draw: st.DrawFn, content: bytes) -> Damaged[bytes]:
    """``content`` cut short, emptied, with bytes that are not UTF-8, a NUL, a byte order mark,
    UTF-16, Windows line ends, tabs, or a slice replaced by other text."""
    how = draw(
        st.sampled_from(
            ["truncate", "empty", "not utf-8", "nul", "bom", "utf-16", "crlf", "splice", "tabs"]
        )
    )
    at = draw(st.integers(min_value=0, max_value=len(content)))
    if how == "truncate":
        return Damaged(content[:at], [f"cut at byte {at}"])
    if how == "empty":
        empty = draw(st.sampled_from([b"", b"\n", b"   ", b"\xef\xbb\xbf"]))
        return Damaged(empty, [f"emptied to {empty!r}"])
    if how in ("not utf-8", "nul"):
        bad = b"\x00" if how == "nul" else draw(st.sampled_from(_NOT_UTF8))
        return Damaged(content[:at] + bad + content[at:], [f"{bad!r} at byte {at}"])
    if how == "bom":
        return Damaged(b"\xef\xbb\xbf" + content, ["a byte order mark first"])
    if how == "utf-16":
        return Damaged(content.decode("utf-8").encode("utf-16"), ["in UTF-16"])
    if how == "crlf":
        return Damaged(content.replace(b"\n", b"\r\n"), ["Windows line ends"])
    if how == "tabs":
        return Damaged(content.replace(b"  ", b"\t"), ["tabs for two spaces"])
    end = draw(st.integers(min_value=at, max_value=min(len(content), at + 40)))
    text = draw(st.text(max_size=10)).encode("utf-8", "surrogatepass")
    return Damaged(content[:at] + text + content[end:], [f"bytes {at}-{end} = {text!r}"])


# Bytes no UTF-8 text holds: a lone 0xff, a broken pair, an encoded surrogate, a Latin-1 é.
_NOT_UTF8 = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80\x80", b"\xe9"]


@st.composite
def damaged_tables(
    draw: st.DrawFn, base: dict[str, Table], *, names: list[str]
) -> Damaged[dict[str, bytes]]:
    """CSV files as bytes, made from ``base`` (tables by file name) with one to three of: a cell
    odd, a number odd (a day offset, a score, an age: in a column that holds one), a column
    dropped, a column added (named one of ``names``) or renamed, a row short, long or twice, a
    file removed, a file's bytes damaged (see :func:`damaged_bytes`)."""
    tables = {name: (list(header), [list(r) for r in rows]) for name, (header, rows) in
              base.items()}  # fmt: skip
    done: list[str] = []
    raw: dict[str, bytes] = {}
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        name = draw(st.sampled_from(sorted(tables)))
        header, rows = tables[name]
        how = draw(
            st.sampled_from(["cell", "cell", "number", "number", "number", "drop column",
                             "add column", "short row", "long row", "row twice", "rename column",
                             "drop file", "bytes"])
        )  # fmt: skip
        column = draw(st.integers(min_value=0, max_value=len(header) - 1)) if header else 0
        row = draw(st.integers(min_value=0, max_value=len(rows) - 1)) if rows else 0
        numbers = [i for i, cell in enumerate(base[name][1][0]) if _is_number(cell)]
        if how == "number" and rows and numbers and header == base[name][0]:
            column = draw(st.sampled_from(numbers))  # a day offset, a score, an age, litres
        if how in ("cell", "number") and rows and row < len(rows) and column < len(rows[row]):
            rows[row][column] = draw(ODD_NUMBERS if how == "number" else ODD_CELLS)
            done.append(f"{name}:{row + 2} {header[column]} = {show(rows[row][column])}")
        elif how == "drop column" and header:
            del header[column]
            for cells in rows:
                del cells[column:column + 1]  # fmt: skip
            done.append(f"{name} without column {column}")
        elif how == "add column":
            header.append(draw(st.sampled_from(names)))
            for cells in rows:
                cells.append(draw(ODD_CELLS))
            done.append(f"{name} with column {header[-1]!r}")
        elif how in ("short row", "long row", "row twice") and rows:
            if how == "short row":
                del rows[row][-1:]
            elif how == "long row":
                rows[row].append(draw(ODD_CELLS))
            else:
                rows.append(list(rows[row]))
            done.append(f"{name}:{row + 2} {how}")
        elif how == "rename column" and header:
            header[column] = draw(
                st.sampled_from(["", header[column].lower(), f" {header[column]} ", *names])
            )
            done.append(f"{name} column {column} named {header[column]!r}")
        elif how == "drop file":
            del tables[name]
            done.append(f"no {name}")
            if not tables:
                break
        elif how == "bytes":
            damage = draw(damaged_bytes(csv_bytes(header, rows)))
            raw[name] = damage.value
            done.append(f"{name}: {'; '.join(damage.changes)}")
        # else: the change does not apply here (a row of a table that has none)
    files = {name: raw[name] if name in raw else csv_bytes(*t) for name, t in tables.items()}
    return Damaged(files, done)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    # A surrogate cannot be UTF-8: written as the bytes it would be, which no reader takes.
    return text.getvalue().encode("utf-8", "surrogatepass")


# --- rule files: the shipped one, damaged ------------------------------------------------

SHIPPED_RULES: dict[str, Any] = yaml.safe_load(rulesets.shipped_file().read_text(encoding="utf-8"))
# Where a rule holds a mapping: by profile, by data element, verification by source, applies_if.
_MAPPINGS = [
    (index, key)
    for index, rule in enumerate(SHIPPED_RULES["rules"])
    for key, value in rule.items()
    if isinstance(value, dict)
]
RULE_FILE_PARTS = ("mapping", "rule", "element", "header", "names", "twice", "anywhere")


@st.composite
def damaged_rule_files(
    draw: st.DrawFn, parts: tuple[str, ...] = RULE_FILE_PARTS, changes: int = 3
) -> Damaged[Any]:
    """The shipped rule file as a document with one of its ``parts`` damaged: an entry of a
    rule's mapping renamed to no name, added, changed or dropped (a rule's threshold may be
    anything to its schema: the rule set's own checks read it); a field of one rule or one data
    element; the ruleset header; its id or version (stored in columns of their own); anything
    at all; or a rule twice."""
    document = copy.deepcopy(SHIPPED_RULES)
    part = draw(st.sampled_from(parts))
    if part == "mapping":
        index, key = draw(st.sampled_from(_MAPPINGS))
        mapping = document["rules"][index][key]
        entry = draw(st.sampled_from(sorted(mapping)))
        how = draw(st.sampled_from(["rename", "add", "odd value", "drop"]))
        odd = draw(ODD_KEYS if how in ("rename", "add") else ODD_VALUES)
        if how == "rename":
            mapping[odd] = mapping.pop(entry)
        elif how == "add":
            mapping[odd] = copy.deepcopy(mapping[entry])
        elif how == "odd value":
            mapping[entry] = odd
        else:
            del mapping[entry]
        return Damaged(document, [f"rules.{index}.{key}.{entry}: {how} {show(odd)}"])
    if part == "names":
        # The rule set's id and version: stored in columns of their own when installed.
        name = draw(st.sampled_from(["id", "version"]))
        document["ruleset"][name] = draw(st.one_of(UNSTORABLE_TEXT, ODD_TEXT))
        return Damaged(document, [f"ruleset.{name} = {show(document['ruleset'][name])}"])
    if part == "twice":
        index = draw(st.integers(min_value=0, max_value=len(SHIPPED_RULES["rules"]) - 1))
        document["rules"].append(copy.deepcopy(SHIPPED_RULES["rules"][index]))
        return Damaged(document, [f"rules.{index} twice"])
    if part == "rule":
        index = draw(st.integers(min_value=0, max_value=len(SHIPPED_RULES["rules"]) - 1))
        done = damage(draw, document["rules"][index], changes=changes)
        return Damaged(document, [f"rules.{index}.{change}" for change in done])
    if part == "element":
        name = draw(st.sampled_from(sorted(SHIPPED_RULES["data_elements"])))
        done = damage(draw, document["data_elements"][name], changes=changes)
        return Damaged(document, [f"data_elements.{name}.{change}" for change in done])
    if part == "header":
        done = damage(draw, document["ruleset"], changes=changes)
        return Damaged(document, [f"ruleset.{change}" for change in done])
    return Damaged(document, damage(draw, document, changes=changes))


def yaml_bytes(document: Any) -> bytes:
    # Escaped, not raw: an unpaired surrogate or a NUL is written as YAML spells it ("\ud800").
    # libyaml writes four times as fast, but cannot take a surrogate.
    try:
        text = yaml.dump(document, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=False)
    except UnicodeEncodeError:
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=False)
    return text.encode("ascii")


def outcome(call: Callable[[], T]) -> T | AlstrackError:
    """What ``call`` returns, or the alstrack error it raises; anything else propagates."""
    try:
        return call()
    except AlstrackError as error:
        return error


def assert_names(error: AlstrackError, *names: str) -> None:
    """The refusal says what is wrong and names (at least one of) ``names``: a file, a field."""
    said = str(error)
    assert error.message.strip(), error
    assert all(f.message.strip() for f in error.fields), error
    assert any(name in said or name in (f.field for f in error.fields) for name in names), said


def assert_clean_exit(result: Result, *, refused_says: str) -> None:
    """A command ends with 0, or 1 and one message on stderr; never an exception's traceback."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 1:
        assert refused_says in result.stderr, result.stderr
        assert "Traceback" not in result.output
