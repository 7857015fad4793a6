"""`alstrack score`: ALSFRS-R totals, King's and MiToS stages and ΔFS for every row of a CSV.

Columnar end to end (pyarrow in, numpy rules, pyarrow out) so a whole PRO-ACT export scores fast.
"""

from __future__ import annotations

import csv
import functools
import io
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, BinaryIO, NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import typer

from alstrack.domain.alsfrs import ITEMS, delta_fs_arrays, score_arrays
from alstrack.domain.proact import PROACT_ITEMS
from alstrack.errors import AlstrackError, InvalidInput

__all__ = ["RESULT_COLUMNS", "OutputFormat", "score_command", "score_csv"]


class OutputFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


RESULT_COLUMNS = (
    "total", "bulbar", "fine_motor", "gross_motor", "respiratory", "kings_regions",
    "kings_stage", "kings_4a", "kings_4b", "mitos_stage", "delta_fs", "error",
)  # fmt: skip
_RESULT_SCHEMA = pa.schema(
    [(name, pa.float64()) for name in ("total", "bulbar", "fine_motor", "gross_motor")]
    + [("respiratory", pa.float64()), ("kings_regions", pa.int8()), ("kings_stage", pa.int8())]
    + [("kings_4a", pa.bool_()), ("kings_4b", pa.bool_()), ("mitos_stage", pa.int8())]
    + [("delta_fs", pa.float64()), ("error", pa.string())]
)

# PRO-ACT ALSFRS headers (domain/proact.py). R_1..R_3 are ALSFRS-R items 10–12; Q10_Respiratory
# is the original ALSFRS (1996) breathing item and cannot stand in for them.
_PROACT_ITEMS = PROACT_ITEMS
_ORIGINAL_BREATHING = "q10_respiratory"
_HEADER_ITEMS = {name.lower(): item for name, item in _PROACT_ITEMS.items()} | {i: i for i in ITEMS}
_OPTIONAL = ("dead", "onset_date", "visit_date")

_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_ITEM_ALLOWED = "allowed: a number from 0 to 4 (half points such as 2.5 accepted) or blank"
_DEAD_VALUES = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
_ISO_DATE = "%Y-%m-%d"
_ZERO, _POINT = ord("0"), ord(".")
_JSON_CONTROL = r"[\x00-\x1f]"
# Blocks of a few MB keep the working arrays small enough to be reused rather than re-faulted.
_BLOCK_BYTES = 1 << 20


class _Columns(NamedTuple):
    items: dict[str, str]  # item (q1…q12, q5a, q5b) → input header
    extras: dict[str, str]  # dead, onset_date, visit_date, q10_respiratory → input header


def score_command(
    source: Annotated[
        str, typer.Argument(metavar="INPUT", help="CSV file of ALSFRS-R visits, or - for stdin.")
    ],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.csv,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Score ALSFRS-R rows: totals, subscores, King's and MiToS stages and ΔFS.

    Item columns are q1…q12 (q5a or q5b) or the PRO-ACT headers (Q1_Speech …
    R_3_Respiratory_Insufficiency); optional columns dead, onset_date and visit_date
    (YYYY-MM-DD). Every input column is kept; an invalid row gets an error and the rest go on.
    """
    try:
        rows, failed = score_csv(source, output=output, output_format=output_format)
    except AlstrackError as error:
        typer.echo(f"alstrack score: {error.message}", err=True)
        raise typer.Exit(1) from error
    except OSError as error:
        typer.echo(f"alstrack score: {error}", err=True)
        raise typer.Exit(1) from error
    if failed:
        typer.echo(
            f"alstrack score: {failed} of {rows} rows have errors (see the error column)", err=True
        )


def score_csv(
    source: str | Path,
    *,
    output: str | Path | None = None,
    output_format: OutputFormat | str = OutputFormat.csv,
) -> tuple[int, int]:
    """Score a CSV file (or "-" for stdin); write CSV or JSONL; return (rows, rows with errors).

    Raises InvalidInput when the input cannot be read as ALSFRS-R rows at all.
    """
    fmt = OutputFormat(output_format)
    reader = _open(str(source))
    columns = _find_columns(reader.schema.names)
    if output is None:
        return _stream(reader, columns, typer.get_binary_stream("stdout"), fmt)
    # Write beside the target and rename on success: a file that fails part-way leaves no
    # half-written output behind.
    target = Path(output)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with open(partial, "wb") as sink:
            result = _stream(reader, columns, sink, fmt)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return result


def _open(source: str) -> pa_csv.CSVStreamingReader:
    if source == "-":
        data = typer.get_binary_stream("stdin").read()
        head: BinaryIO = io.BytesIO(data)
        stream: Any = pa.BufferReader(data)
    else:
        path = Path(source)
        if not path.is_file():
            raise InvalidInput.for_field("INPUT", f"no such file: {source}")
        head = path.open("rb")
        stream = source
    try:
        with io.TextIOWrapper(head, encoding="utf-8-sig", newline="") as text:
            header = next(csv.reader(text))
    except UnicodeDecodeError as error:
        raise InvalidInput.for_field("INPUT", "not a UTF-8 CSV file") from error
    except (StopIteration, csv.Error) as error:
        raise InvalidInput.for_field("INPUT", "empty, or not a CSV file") from error
    # Every column as text with no null markers, so input cells pass through unchanged.
    convert = pa_csv.ConvertOptions(
        column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
    )
    try:
        return pa_csv.open_csv(
            stream,
            read_options=pa_csv.ReadOptions(block_size=_BLOCK_BYTES),
            convert_options=convert,
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise InvalidInput.for_field("INPUT", f"not a readable CSV file: {error}") from error


def _stream(
    reader: pa_csv.CSVStreamingReader, columns: _Columns, sink: BinaryIO, fmt: OutputFormat
) -> tuple[int, int]:
    """Score block by block: small working arrays stay in cache and their memory is reused.

    Formatting the output costs about as much as scoring, and pyarrow releases the GIL while
    it formats, so one writer thread formats block k while this thread scores block k + 1.
    """
    rows = failed = 0
    if fmt is OutputFormat.csv:
        csv_writer = pa_csv.CSVWriter(sink, pa.schema([*reader.schema, *_RESULT_SCHEMA]))
        write: Callable[[pa.RecordBatch], None] = csv_writer.write_batch
    else:
        write = functools.partial(_write_jsonl, sink=sink)
    pending: deque[Future[None]] = deque()
    with ThreadPoolExecutor(max_workers=1) as writer:
        try:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
                    raise InvalidInput.for_field(
                        "INPUT", f"not a readable CSV file after row {rows}: {error}"
                    ) from error
                scored = _score_batch(batch, columns)
                rows += scored.num_rows
                failed += scored.num_rows - scored.column(scored.num_columns - 1).null_count
                pending.append(writer.submit(write, scored))
                while len(pending) > 2:  # bound the memory held by blocks not yet written
                    pending.popleft().result()
        finally:
            while pending:
                pending.popleft().result()
    if fmt is OutputFormat.csv:
        csv_writer.close()
    sink.flush()
    return rows, failed


def _find_columns(names: list[str]) -> _Columns:
    """Map items and optional fields to the input headers that hold them."""
    items: dict[str, str] = {}
    extras: dict[str, str] = {}
    for name in names:
        key = name.strip().lower()
        if key in _HEADER_ITEMS:
            found, target = items, _HEADER_ITEMS[key]
        elif key in (*_OPTIONAL, _ORIGINAL_BREATHING):
            found, target = extras, key
        else:
            continue
        if target in found:
            raise InvalidInput.for_field(name, f"holds the same field as column {found[target]}")
        found[target] = name
    if not items:
        raise InvalidInput.for_field(
            "INPUT",
            "no ALSFRS-R item columns; give q1…q12 (with q5a or q5b) or PRO-ACT headers "
            "Q1_Speech … Q9_Climbing_Stairs, R_1_Dyspnea, R_2_Orthopnea, "
            "R_3_Respiratory_Insufficiency",
        )
    clash = sorted(set(RESULT_COLUMNS) & set(names))
    if clash:
        raise InvalidInput.for_field(clash[0], "the input already has a result column; rename it")
    return _Columns(items, extras)


class _Errors:
    """Per-row error messages, built column-wise; rows without an error stay null."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.parts: list[pa.Array] = []

    def add(self, mask: npt.NDArray[np.bool_], *pieces: str | pa.Array) -> None:
        if not mask.any():
            return
        where = pa.array(mask)
        # Messages are built only for the failing rows, then scattered back into place.
        chosen = [p if isinstance(p, str) else p.filter(where) for p in pieces]
        message = pc.binary_join_element_wise(*chosen, "")
        if isinstance(message, pa.Scalar):
            message = pa.array([message.as_py()] * int(mask.sum()), pa.string())
        self.parts.append(pc.replace_with_mask(pa.nulls(self.rows, pa.string()), where, message))

    def column(self) -> pa.Array:
        if not self.parts:
            return pa.nulls(self.rows, pa.string())
        if len(self.parts) == 1:
            return self.parts[0]
        # Not null_handling="skip": pyarrow 26 drops rows where every part is null.
        filled = [pc.fill_null(pc.binary_join_element_wise(p, "; ", ""), "") for p in self.parts]
        joined = pc.utf8_rtrim(pc.binary_join_element_wise(*filled, ""), characters="; ")
        return pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)


def _numbers(text: pa.Array) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Parse cells as floats (NaN where blank or not a number); also say which cells are blank."""
    fast = _digits(text)
    if fast is not None:
        return fast
    null = pa.scalar(None, pa.string())
    try:
        blank = pc.equal(text, "")
        values = pc.cast(pc.if_else(blank, null, text), pa.float64())
    except pa.ArrowInvalid:
        # Only columns with a cell that is not a plain number pay for the trim and the regex.
        trimmed = pc.utf8_trim_whitespace(text)
        blank = pc.equal(trimmed, "")
        number = pc.match_substring_regex(trimmed, _NUMBER)
        values = pc.cast(pc.if_else(number, trimmed, null), pa.float64())
    return (
        np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64),
        np.asarray(blank.to_numpy(zero_copy_only=False), dtype=np.bool_),
    )


def _digits(text: pa.Array) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]] | None:
    """Read cells shaped "d" or "d.d" (nearly every ALSFRS cell) straight from the string bytes.

    About three times faster than pyarrow's string-to-float cast; None when any cell has
    another shape, so the caller falls back to the general parser.
    """
    if text.null_count or not pa.types.is_string(text.type):
        return None
    count = len(text)
    _, offset_buffer, data_buffer = text.buffers()
    offsets = np.frombuffer(offset_buffer, np.int32, count + 1, text.offset * 4)
    data = (
        np.frombuffer(data_buffer, np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    )
    starts, lengths = offsets[:-1], np.diff(offsets)
    blank, one, three = lengths == 0, lengths == 1, lengths == 3
    if not (blank | one | three).all():
        return None
    values = np.full(count, np.nan)
    whole = data[starts[one]].astype(np.float64) - _ZERO
    if not ((whole >= 0) & (whole <= 9)).all():
        return None
    values[one] = whole
    if three.any():
        at = starts[three]
        whole = data[at].astype(np.float64) - _ZERO
        tenth = data[at + 2].astype(np.float64) - _ZERO
        shaped = (
            (data[at + 1] == _POINT) & (whole >= 0) & (whole <= 9) & (tenth >= 0) & (tenth <= 9)
        )
        if not shaped.all():
            return None
        values[three] = whole + tenth / 10
    return values, blank


def _days(text: pa.Array) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """ISO dates as days since 1970 (NaN where blank or invalid), and which cells are invalid."""
    trimmed = pc.utf8_trim_whitespace(text)
    parsed = pc.strptime(trimmed, format=_ISO_DATE, unit="s", error_is_null=True)
    # strptime rolls 2021-02-30 over to March and accepts 2021-2-3; a round trip refuses both.
    exact = pc.equal(pc.strftime(parsed, format=_ISO_DATE), trimmed)
    valid = np.asarray(pc.fill_null(exact, False).to_numpy(zero_copy_only=False), dtype=np.bool_)
    blank = np.asarray(pc.equal(trimmed, "").to_numpy(zero_copy_only=False), dtype=np.bool_)
    seconds = pc.cast(parsed, pa.int64()).to_numpy(zero_copy_only=False).astype(np.float64)
    return np.where(valid, seconds / 86_400, np.nan), ~valid & ~blank


def _score_batch(batch: pa.RecordBatch, columns: _Columns) -> pa.RecordBatch:
    items, extras = columns
    rows = batch.num_rows
    errors = _Errors(rows)
    values: dict[str, npt.NDArray[np.float64]] = {}
    blank: dict[str, npt.NDArray[np.bool_]] = {}
    for item, header in items.items():
        text = batch.column(header)
        v, blank[item] = _numbers(text)
        values[item] = v
        with np.errstate(invalid="ignore"):
            ok = (v >= 0) & (v <= 4) & (v * 2 == np.round(v * 2))
        errors.add(~ok & ~blank[item], f'{header}: got "', text, f'"; {_ITEM_ALLOWED}')

    if "q5a" in items and "q5b" in items:
        errors.add(
            ~blank["q5a"] & ~blank["q5b"],
            f"{items['q5a']} and {items['q5b']}: give q5a (no gastrostomy) or q5b (gastrostomy), "
            "not both",
        )
    if _ORIGINAL_BREATHING in extras:
        _, no_original = _numbers(batch.column(extras[_ORIGINAL_BREATHING]))
        no_r_items = np.ones(rows, dtype=bool)
        for item in ("q10", "q11", "q12"):
            if item in blank:
                no_r_items &= blank[item]
        errors.add(
            ~no_original & no_r_items,
            f"{extras[_ORIGINAL_BREATHING]} is the original ALSFRS breathing item, not ALSFRS-R; "
            "this row has none of R_1_Dyspnea, R_2_Orthopnea, R_3_Respiratory_Insufficiency "
            "(ALSFRS-R items 10-12)",
        )

    dead = np.zeros(rows, dtype=bool)
    if "dead" in extras:
        text = batch.column(extras["dead"])
        flag = pc.utf8_lower(pc.utf8_trim_whitespace(text))
        yes = pa.array([k for k, v in _DEAD_VALUES.items() if v])
        dead = np.asarray(pc.is_in(flag, yes).to_numpy(zero_copy_only=False), dtype=np.bool_)
        known = pc.is_in(flag, pa.array([*_DEAD_VALUES, ""])).to_numpy(zero_copy_only=False)
        errors.add(
            ~known, f'{extras["dead"]}: got "', text, '"; allowed: true/false, yes/no, 1/0 or blank'
        )

    days = np.full(rows, np.nan)
    if "onset_date" in extras and "visit_date" in extras:
        onset, bad_onset = _days(batch.column(extras["onset_date"]))
        visit, bad_visit = _days(batch.column(extras["visit_date"]))
        days = visit - onset
        for field, bad in (("onset_date", bad_onset), ("visit_date", bad_visit)):
            header = extras[field]
            errors.add(
                bad, f'{header}: got "', batch.column(header), '"; allowed: YYYY-MM-DD or blank'
            )

    error = errors.column()
    results = score_arrays(values, dead)
    results["delta_fs"] = delta_fs_arrays(results["total"], days)
    # An invalid row gets no scores at all: half a row's results would look trustworthy.
    failed = np.asarray(error.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
    return pa.RecordBatch.from_arrays(
        [*batch.columns, *_result_arrays(results, failed), error],
        schema=pa.schema([*batch.schema, *_RESULT_SCHEMA]),
    )


def _result_arrays(
    results: dict[str, npt.NDArray[np.float64]], failed: npt.NDArray[np.bool_]
) -> list[pa.Array]:
    arrays = []
    for field in _RESULT_SCHEMA:
        if field.name == "error":
            continue
        values = results[field.name]
        missing = np.isnan(values) | failed
        if pa.types.is_floating(field.type):
            arrays.append(pa.array(values, mask=missing))
        elif pa.types.is_boolean(field.type):
            arrays.append(pa.array(values == 1, mask=missing))
        else:
            whole = np.where(missing, 0, values).astype(np.int8)
            arrays.append(pa.array(whole, type=field.type, mask=missing))
    return arrays


def _json_text(values: pa.Array) -> pa.Array:
    escaped = pc.replace_substring(pc.replace_substring(values, "\\", "\\\\"), '"', '\\"')
    if pc.any(pc.match_substring_regex(escaped, _JSON_CONTROL)).as_py():
        for code in range(0x20):
            escaped = pc.replace_substring(escaped, chr(code), f"\\u{code:04x}")
    return pc.binary_join_element_wise('"', escaped, '"', "")


def _write_jsonl(batch: pa.RecordBatch, *, sink: BinaryIO) -> None:
    """One JSON object per row, assembled column-wise; far faster than per-row json.dumps."""
    if batch.num_rows == 0:
        return
    fields: list[str | pa.Array] = []
    for index, name in enumerate(batch.schema.names):
        column = batch.column(index)
        if pa.types.is_string(column.type):
            rendered = _json_text(column)
        else:
            rendered = pc.cast(column, pa.string())
        key = _json_text(pa.array([name]))[0].as_py()
        fields += ["," if index else "{", f"{key}:", pc.fill_null(rendered, "null")]
    lines = pc.binary_join_element_wise(*fields, "}\n", "")
    # A string array's data buffer holds the rows back to back: write them in one go.
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    start, end = offsets[lines.offset], offsets[lines.offset + len(lines)]
    sink.write(memoryview(lines.buffers()[2])[start:end])
