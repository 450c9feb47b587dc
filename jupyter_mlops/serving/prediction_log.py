"""Every prediction the serving process answers, written as parquet for the drift monitor.

The layout is a contract (the drift monitor reads it):

    <folder>/version=<model version>/<UTC yyyymmddTHHMMSSffffff>-<pid>-<seq>.parquet

one row per input row, with the columns
- `__request_id` string, `__row` int32 (the row's index in its request), `__at`
  timestamp[us] (naive UTC, when the request arrived), `__version` string,
  `__latency_ms` float64 (the request's prediction time), `__shadow` bool;
- the input columns, named as in the model's input frame (`input_0`, `input_1`, ... for
  an input that is not a frame: a tensor);
- the prediction: `__prediction` for one output, `__prediction.<name>` per column of a
  frame or dict output, `__prediction.<i>` per column of a 2-D array.
Requests with other input columns may share a file: their rows hold nulls there. A model
without a registry version (a `runs:/` URI) writes under `version=__HIVE_DEFAULT_PARTITION__`,
the folder name hive partitioning (pyarrow's included) reads as null, with a null `__version`.

The request path only appends to a list; a thread turns what gathered into one table
and one file every `flush_seconds`, or sooner at `flush_rows` rows (one concatenation
of the input frames and one Arrow conversion: 4 to 25 ms for 700 single-row requests,
measured, where converting each request's frame on its own took 850 ms). A file appears
whole or not at all (written under a hidden temporary name, then renamed). A batch that
cannot be written is dropped with one error line: logging never fails a request.

numpy, pandas and pyarrow are imported where used: the supervisor imports this module
for `predictions_dir`, and would pay half a second for them.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

log = logging.getLogger(__name__)

NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
PREDICTION = "__prediction"
_CLOSE_TIMEOUT = 60.0


def predictions_dir(home: Path, name: str) -> Path:
    """Where the serving process of deployment `name` logs its predictions (`--log-dir`)."""
    return Path(home) / "deployments" / name / "predictions"


class Record(NamedTuple):
    request_id: str
    at_us: int  # microseconds since the epoch, UTC
    inputs: Any
    predictions: Any
    latency_ms: float
    shadow: bool


class PredictionLog:
    def __init__(
        self,
        folder: str | Path,
        version: str | None,
        flush_rows: int = 10_000,
        flush_seconds: float = 1.0,
        max_rows: int | None = None,
    ):
        self.version = None if version is None else str(version)
        partition = NULL_PARTITION if self.version is None else self.version
        self.folder = Path(folder) / f"version={partition}"
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        # A disk slower than the traffic must not fill the memory instead.
        self.max_rows = max_rows if max_rows is not None else 50 * flush_rows
        self._lock = threading.Lock()
        self._records: list[Record] = []
        self._rows = 0
        self._dropped = 0
        self._closed = False
        self._seq = itertools.count()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self._thread.start()

    def record(
        self,
        request_id: str,
        inputs: Any,
        predictions: Any,
        latency_ms: float,
        shadow: bool,
        at_us: int | None = None,
    ) -> None:
        """Keep one answered request for the next file; `at_us` defaults to now."""
        if at_us is None:
            at_us = time.time_ns() // 1000
        rows = _row_count(inputs)
        with self._lock:
            if self._closed:
                return
            if self._rows >= self.max_rows:
                self._dropped += 1
                return
            self._records.append(Record(request_id, at_us, inputs, predictions, latency_ms, shadow))
            self._rows += rows
            full = self._rows >= self.flush_rows
        if full:
            self._wake.set()

    def close(self) -> None:
        """Write what is left and stop the thread; later records are not kept."""
        with self._lock:
            self._closed = True
        self._wake.set()
        self._thread.join(_CLOSE_TIMEOUT)
        if self._thread.is_alive():
            log.error("prediction log: the last write to %s did not end", self.folder)

    def flush(self) -> None:
        """Write what gathered now (the thread calls it; tests may too)."""
        with self._lock:
            records, self._records, self._rows = self._records, [], 0
            dropped, self._dropped = self._dropped, 0
        if dropped:
            log.error(
                "prediction log: %d requests not logged, %d rows already waited to be written",
                dropped,
                self.max_rows,
            )
        if not records:
            return
        try:
            self._write(to_table(records, self.version))
        except Exception as err:
            log.error(
                "prediction log: %d requests' predictions dropped, not written to %s: %s",
                len(records),
                self.folder,
                _one_line(err),
            )
            log.debug("the failed write", exc_info=True)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            with self._lock:
                closed = self._closed
            self.flush()
            if closed:
                return

    def _write(self, table) -> None:
        import pyarrow.parquet as pq

        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        name = f"{stamp}-{os.getpid()}-{next(self._seq)}.parquet"
        # Hidden, and not *.parquet: readers never list a half-written file.
        temp = self.folder / f".{name}.tmp"
        try:
            pq.write_table(table, temp)
            os.replace(temp, self.folder / name)
        except BaseException:
            try:
                temp.unlink(missing_ok=True)
            except OSError:
                pass
            raise


def to_table(records: list[Record], version: str | None):
    """One Arrow table, the file's, for the records in their order."""
    import numpy as np
    import pyarrow as pa

    frames = [_input_frame(record.inputs) for record in records]
    counts = np.fromiter((len(frame) for frame in frames), np.int64, len(frames))
    total = int(counts.sum())

    def each_row(values, dtype=None):
        return np.repeat(np.asarray(values, dtype), counts)

    firsts = np.repeat(np.cumsum(counts) - counts, counts)
    columns = {
        "__request_id": pa.array(each_row([r.request_id for r in records], object), pa.string()),
        "__row": pa.array((np.arange(total) - firsts).astype(np.int32)),
        "__at": pa.array(each_row([r.at_us for r in records], np.int64), pa.timestamp("us")),
        "__version": pa.repeat(pa.scalar(version, pa.string()), total),
        "__latency_ms": pa.array(each_row([r.latency_ms for r in records], np.float64)),
        "__shadow": pa.array(each_row([r.shadow for r in records], bool)),
    }
    for part in (_frames_table(frames), _predictions_table(records, counts)):
        for name, column in zip(part.column_names, part.columns, strict=True):
            columns.setdefault(name, column)  # a name ours already: ours stays
    return pa.Table.from_arrays(list(columns.values()), names=list(columns))


def _input_frame(data: Any):
    """The model input as a frame: itself, or columns input_0, input_1, ... of a tensor."""
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    try:
        if isinstance(data, dict):  # named tensors: a column each, flattened past axis 0
            parts = [_columns(np.asarray(value), str(key)) for key, value in data.items()]
            return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=range(1))
        return _columns(np.asarray(data), "input", always_number=True)
    except (ValueError, TypeError):  # ragged nested lists, say: one row of its text
        return pd.DataFrame({"input_0": [str(data)]})


def _columns(array, name: str, always_number: bool = False):
    import pandas as pd

    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim == 1 and not always_number:
        return pd.DataFrame({name: array})
    block = array.reshape(len(array), -1)
    return pd.DataFrame(block, columns=[f"{name}_{i}" for i in range(block.shape[1])])


def _frames_table(frames: list):
    """One table of the frames' rows in their order: one concatenation where all have the
    same columns (the common case); else one per set of columns, their tables unified, so
    that an int column stays ints (nulls where a request lacks it) rather than floats."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    first = frames[0].columns
    if all(frame.columns is first or frame.columns.equals(first) for frame in frames):
        return _arrow(frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True))
    groups: dict[tuple, list[int]] = {}
    for i, frame in enumerate(frames):
        groups.setdefault(tuple(frame.columns), []).append(i)
    blank = groups.pop((), [])  # frames of no columns (no prediction to log): nulls
    try:
        tables = [
            _arrow(pd.concat([frames[i] for i in group], ignore_index=True))
            for group in groups.values()
        ]
        merged = pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        # Requests that disagree on a column's type (numbers in one, text in another):
        # those columns are kept as text rather than the whole batch lost.
        return _arrow(_as_text(pd.concat(frames, ignore_index=True)))
    if blank:
        rows = sum(len(frames[i]) for i in blank)
        nulls = pa.table({f.name: pa.nulls(rows, f.type) for f in merged.schema})
        merged = pa.concat_tables([merged, nulls])
    # The groups' rows back in the frames' order.
    firsts = np.cumsum([0] + [len(frame) for frame in frames])
    grouped = np.concatenate(
        [np.arange(firsts[i], firsts[i + 1]) for group in (*groups.values(), blank) for i in group]
    )
    return merged.take(np.argsort(grouped, kind="stable"))


def _arrow(frame):
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)


def _as_text(frame):
    import pyarrow as pa

    frame = frame.copy(deep=False)
    for name in frame.columns:
        try:
            pa.array(frame[name], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            column = frame[name]
            frame[name] = column.astype(str).where(column.notna(), None)
    return frame


def _predictions_table(records: list[Record], counts):
    """The prediction columns; a request whose prediction has not one row per input row
    (a scalar for a batch, say) gets nulls there."""
    import numpy as np
    import pyarrow as pa

    outputs = [record.predictions for record in records]
    if all(isinstance(out, np.ndarray) and out.ndim in (1, 2) for out in outputs):
        shapes = {out.shape[1:] for out in outputs}
        rows = np.fromiter((len(out) for out in outputs), np.int64, len(outputs))
        if len(shapes) == 1 and (rows == counts).all():  # the common case, a single block
            block = np.concatenate(outputs)
            if block.ndim == 1:
                return pa.table({PREDICTION: block})
            return pa.table({f"{PREDICTION}.{i}": block[:, i] for i in range(block.shape[1])})
    frames = [_prediction_frame(out, int(n)) for out, n in zip(outputs, counts, strict=True)]
    return _frames_table(frames)


def _prediction_frame(predictions: Any, rows: int):
    import numpy as np
    import pandas as pd

    try:
        if isinstance(predictions, pd.DataFrame):
            frame = predictions.add_prefix(f"{PREDICTION}.").reset_index(drop=True)
        elif isinstance(predictions, pd.Series):
            frame = pd.DataFrame({PREDICTION: predictions.to_numpy()})
        elif isinstance(predictions, dict):
            frame = pd.DataFrame(
                {f"{PREDICTION}.{key}": _cells(np.asarray(v)) for key, v in predictions.items()}
            )
        else:
            array = np.asarray(predictions)
            if array.ndim == 2:
                frame = pd.DataFrame(
                    {f"{PREDICTION}.{i}": array[:, i] for i in range(array.shape[1])}
                )
            else:
                frame = pd.DataFrame({PREDICTION: _cells(array)})
    except (ValueError, TypeError):  # uneven lengths: not one prediction a row
        frame = None
    if frame is None or len(frame) != rows:
        return pd.DataFrame(index=range(rows))
    return frame


def _cells(array):
    """One value a row: a scalar kept as a one-row column, deeper arrays as lists."""
    if array.ndim == 0:
        return array.reshape(1)
    return list(array) if array.ndim > 1 else array


def _row_count(inputs: Any) -> int:
    try:
        shape = getattr(inputs, "shape", None)
        if shape is not None:
            return int(shape[0]) if len(shape) else 1
        if isinstance(inputs, dict):
            return max((len(v) for v in inputs.values()), default=1)
        return len(inputs)
    except Exception:  # a count only decides when to write: never worth a failure
        return 1


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__
