"""Scoring a whole dataset with one model, in bounded memory: the input is streamed in
batches (pyarrow datasets, never the whole file), each batch (an entity file's joined
to its feature service's features first) checked against the model's signature,
predicted by the model loaded once, and written beside the input's key columns as one
parquet part. Parts go to a staging folder that `outputs.publish`
renames into place only once every batch has been written, so a failed job leaves
nothing visible under the output's name.

It runs where the job runs (the scoring notebook's kernel: see notebook.py), so it
imports only what that process needs and takes plain values.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidInput

# pyarrow's CSV reader names the failing cell: "In CSV column #3: Row #12: CSV conversion
# error to double: invalid value 'x'" (its rows count the header as row 1).
_CSV_ERROR = re.compile(r"In CSV column #(\d+): Row #(\d+): CSV conversion error to (\w+)")
# MLflow's signature types, as the arrays `mlflow.pyfunc` enforces them to be.
_ARROW = {
    "boolean": "bool_",
    "integer": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
    "string": "string",
}
_NUMERIC = {"integer", "long", "float", "double"}
HASH_CHUNK = 8 << 20


@dataclass(frozen=True)
class Scored:
    rows: int
    parts: int
    seconds: float
    keys: list[str]
    predictions: list[str]


class BadBatch(InvalidInput):
    """Input the model cannot score: names the column and the first bad row."""

    def __init__(self, message: str, column: str | None = None, row: int | None = None):
        super().__init__(message, field=f"input.{column}" if column else "input")
        self.column, self.row = column, row


def score(model, input_path: Path, staging: Path, batch_rows: int, keys=None, join=None) -> Scored:
    """Score `input_path` (parquet or CSV, a file or a folder of parts) with `model` (a
    loaded pyfunc model) into parquet parts under `staging`. `keys`: the input columns
    written beside the predictions (default: the columns the model does not take).
    `join(frame)`: a batch of the input's rows with the columns the model takes added
    (a feature service's point-in-time join of entity rows); None: the input has them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    started = time.monotonic()
    inputs = _signature_inputs(model)
    # Entity rows hold keys and times, not the model's columns: read as written.
    dataset = _dataset(input_path, inputs if join is None else [])
    names = dataset.schema.names
    wanted = [name for name, _ in inputs] if inputs else None
    if join is None:
        wanted = wanted or names
        _check_columns(wanted, names, "the input")
    if keys is None:
        keys = [name for name in names if name not in (wanted or [])]
    keys = list(keys)
    for key in keys:
        if key not in names:
            raise BadBatch(f"the input has no key column {key!r}", column=key)
    staging.mkdir(parents=True, exist_ok=False)
    rows = parts = 0
    predicted: list[str] = []
    batches = _batches(dataset, batch_rows)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            break
        except pa.ArrowInvalid as err:
            raise _csv_error(err, names) from None
        frame = batch.to_pandas()
        if join is not None:
            frame = join(frame)
            taken = wanted or [name for name in frame.columns if name not in names]
            _check_columns(taken, list(frame.columns), "the joined batch")
        else:
            taken = wanted
        frame = _numbers_from_text(frame, inputs, rows)
        try:
            predictions = model.predict(frame[taken])
        except Exception as err:  # MLflow's enforcement, or the model's own
            raise _model_error(err, frame[taken], rows) from None
        table = _with_predictions(frame[keys], predictions)
        predicted = [name for name in table.columns if name not in keys]
        pq.write_table(
            pa.Table.from_pandas(table, preserve_index=False), staging / f"part-{parts:05d}.parquet"
        )
        rows, parts = rows + len(frame), parts + 1
    return Scored(rows, parts, time.monotonic() - started, keys, predicted)


def _check_columns(wanted: list[str], names: list[str], what: str) -> None:
    missing = [name for name in wanted if name not in names]
    if missing:
        raise BadBatch(
            f"{what} has no column {missing[0]!r}, which the model takes", column=missing[0]
        )


def _batches(dataset, rows: int):
    """Tables of `rows` rows (the last one shorter): a reader's own batches are as large
    as its blocks, and a predict call per small block costs the model's per-call price
    (MLflow's schema enforcement) thousands of times. Little read-ahead: memory is a few
    batches, not a scanner's queue."""
    import pyarrow as pa

    pending: list = []
    count = 0
    for batch in dataset.to_batches(batch_size=rows, batch_readahead=2, fragment_readahead=1):
        pending.append(batch)
        count += batch.num_rows
        while count >= rows:
            table = pa.Table.from_batches(pending, schema=dataset.schema)
            yield table.slice(0, rows)
            rest = table.slice(rows)
            pending, count = rest.to_batches(), rest.num_rows
    if count:
        yield pa.Table.from_batches(pending, schema=dataset.schema)


def file_hash(path: Path) -> str:
    """sha256 of the input's bytes (of every file, in name order, for a folder)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        with file.open("rb") as handle:
            while chunk := handle.read(HASH_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def _signature_inputs(model) -> list[tuple[str, str]]:
    """(column, MLflow type) the model's signature names; [] without a column signature."""
    schema = model.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        return []
    return [(spec.name, getattr(spec.type, "name", str(spec.type))) for spec in schema.inputs]


def _dataset(path: Path, inputs: list[tuple[str, str]]):
    """A pyarrow dataset of the input; a CSV's model columns read as the signature's types,
    so a bad cell fails where pyarrow reads it, naming its row."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.dataset as ds

    if input_format(path) == ".parquet":
        return ds.dataset(str(path), format="parquet")
    types = {name: getattr(pa, _ARROW[kind])() for name, kind in inputs if kind in _ARROW}
    csv = ds.CsvFileFormat(convert_options=pacsv.ConvertOptions(column_types=types))
    return ds.dataset(str(path), format=csv)


def input_columns(path: Path) -> list[str]:
    """The input's column names (a CSV's header, a parquet file's schema), or InvalidInput
    for what is neither."""
    import pyarrow as pa

    try:
        return _dataset(path, []).schema.names
    except (pa.ArrowInvalid, OSError) as err:
        said = (str(err).splitlines() or [""])[0][:200]
        raise InvalidInput(f"{path.name!r} cannot be read: {said}", field="input") from None


def input_format(path: Path) -> str:
    """ ".parquet" or ".csv": the input's files' kind, or InvalidInput."""
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    suffixes = {p.suffix.lower() for p in files if not p.name.startswith((".", "_"))}
    if suffixes == {".parquet"} or suffixes == {".csv"}:
        return suffixes.pop()
    raise InvalidInput(
        f"{path.name!r} is not a parquet or CSV file (or a folder of one kind)", field="input"
    )


def _csv_error(err, names: list[str]) -> BadBatch:
    found = _CSV_ERROR.search(str(err))
    if not found:
        return BadBatch(f"the input could not be read: {str(err).splitlines()[0][:300]}")
    column = names[int(found[1])]
    row = int(found[2]) - 2  # pyarrow's row 1 is the header; ours count from 0
    value = re.search(r"invalid value '(.*)'", str(err))
    said = f" {value[1]!r}" if value else ""
    return BadBatch(
        f"column {column!r}, row {row} (line {row + 2} of the file): the value{said} is "
        f"not a {found[3]}, as the model's signature needs",
        column=column,
        row=row,
    )


def _numbers_from_text(frame, inputs: list[tuple[str, str]], offset: int):
    """`frame` with each numeric input held as text (parquet keeps what it was written
    with) read as numbers, or BadBatch naming the first cell that is not one."""
    import pandas as pd

    for name, kind in inputs:
        column = frame[name]
        if kind not in _NUMERIC or pd.api.types.is_numeric_dtype(column):
            continue
        numbers = pd.to_numeric(column, errors="coerce")
        bad = numbers.isna() & column.notna()
        if bad.any():
            at = int(bad.to_numpy().argmax())
            raise BadBatch(
                f"column {name!r}, row {offset + at}: {column.iloc[at]!r} is not a {kind}, "
                "as the model's signature needs",
                column=name,
                row=offset + at,
            )
        whole = kind in ("integer", "long") and not numbers.isna().any()
        frame[name] = (
            numbers.astype(_ARROW[kind]) if whole or kind in ("float", "double") else numbers
        )
    return frame


def _model_error(err: Exception, frame, offset: int) -> BadBatch:
    """The model refused a batch: its words, and the first empty cell it was given (the
    usual cause: most models take no nulls, and a CSV's `NA` or blank reads as one)."""
    said = f"{type(err).__name__}: {(str(err).splitlines() or [''])[0][:300]}"
    nulls = frame.isna().to_numpy()
    if not nulls.any():
        return BadBatch(
            f"the model could not score rows {offset}-{offset + len(frame) - 1}: {said}"
        )
    row, column = (int(at) for at in divmod(int(nulls.argmax()), nulls.shape[1]))
    name = str(frame.columns[column])
    return BadBatch(
        f"column {name!r}, row {offset + row}: empty, and the model could not score it ({said})",
        column=name,
        row=offset + row,
    )


def _with_predictions(keys, predictions):
    """The key columns with the predictions beside them: `prediction` for one value per
    row, `prediction_<i>` per column of a 2-D answer, a frame's own column names."""
    import numpy as np
    import pandas as pd

    table = keys.reset_index(drop=True).copy()
    if isinstance(predictions, pd.DataFrame):
        for name in predictions.columns:
            table[f"prediction_{name}"] = predictions[name].to_numpy()
        return table
    values = np.asarray(predictions)
    if values.ndim == 1:
        table["prediction"] = values
    else:
        for index in range(values.shape[1]):
            table[f"prediction_{index}"] = values[:, index]
    return table
