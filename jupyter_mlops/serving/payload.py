"""Request bodies in MLflow's scoring formats, read into model input; predictions out.

The formats and what they mean are MLflow's (`mlflow models serve`): JSON holding one of
`dataframe_split`, `dataframe_records`, `instances` or `inputs` (and `params`), CSV, or
Parquet. MLflow's own parser reads them, with one exception: a JSON data frame whose
values are all numbers, for a signature of numeric columns. MLflow casts such a frame
column by column (2.8 ms of its 4.8 ms for one row of 30 columns, measured); here it
becomes one numpy block cast once, which is the frame MLflow's parser and its schema
enforcement would hand the model. Anything else takes MLflow's path.

Every answer to a bad body says what is wrong, names the column where there is one,
and never quotes the body back.
"""

from __future__ import annotations

import json
import re
from io import BytesIO, StringIO
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.pyfunc import scoring_server
from mlflow.pyfunc.utils.serving_data_parser import is_unified_llm_input
from mlflow.types import DataType, Schema
from mlflow.utils.proto_json_utils import MlflowFailedTypeConversion, dataframe_from_parsed_json

from ..errors import InvalidInput

JSON = "application/json"
CSV = "text/csv"
PARQUET = "application/vnd.apache.parquet"
FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")

# Signature types a parsed numpy block may be cast to, each with the numpy kinds whose
# cast gives what pandas' astype gives in MLflow's parser (ints and bools to floats).
# Strings, nulls and other types go MLflow's way, with its coercions and its errors.
_BLOCK_KINDS = {DataType.double: "fib", DataType.float: "fib", DataType.long: "ib"}
# Types whose pandas cast says whether a column holds the right kind of values.
_CASTABLE = (DataType.double, DataType.float, DataType.long, DataType.integer, DataType.boolean)
_CONVERSION = re.compile(r"Failed to convert column (.+) to type '([^']*)'")
_QUOTED = re.compile(r"Error:|Input:|\n|:\s*['\"\[{]")
_MAX_MESSAGE = 300


class UnsupportedContentType(InvalidInput):
    code = "unsupported_content_type"


class ModelInput(NamedTuple):
    data: Any
    params: dict | None = None
    # The signature's columns, in its order, with its dtypes: what MLflow's schema
    # enforcement would give the model, so it need not run a second time.
    conforms: bool = False
    # MLflow's unified LLM format (chat messages): answered without "predictions".
    unwrapped: bool = False


class PayloadReader:
    """Reads request bodies for one model, by the model's signature."""

    def __init__(self, metadata):
        self.metadata = metadata
        self.schema: Schema | None = metadata.get_input_schema()
        self._columns, self._dtypes, self._kinds = _block_plan(self.schema)
        # Built once: an index of names costs more to build than the row it labels.
        self._index = pd.Index(self._columns) if self._columns is not None else None

    def read(self, body: bytes, content_type: str | None) -> ModelInput:
        mime = _mime_type(content_type)
        if mime == JSON:
            return self._read_json(body)
        if mime == CSV:
            return ModelInput(self._read_csv(body))
        try:
            return ModelInput(scoring_server.parse_parquet_input(BytesIO(body)))
        except MlflowException:
            raise InvalidInput("the body is not a Parquet file", field="body") from None

    def missing_columns(self, data: Any) -> InvalidInput | None:
        """The signature's required columns a data frame lacks, as an error; else None."""
        schema = self.schema
        if not _names_columns(schema) or not isinstance(data, pd.DataFrame):
            return None
        missing = [name for name in schema.required_input_names() if name not in data.columns]
        if not missing:
            return None
        shown = ", ".join(repr(name) for name in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        plural = "s" if len(missing) > 1 else ""
        return InvalidInput(
            f"missing column{plural} {shown}{more}: the model signature requires "
            f"{'them' if plural else 'it'}",
            field=missing[0],
        )

    def explain(self, data: Any) -> InvalidInput | None:
        """What in a data frame breaks a column signature, by column; None if nothing does."""
        if (missing := self.missing_columns(data)) is not None:
            return missing
        if not _names_columns(self.schema) or not isinstance(data, pd.DataFrame):
            return None
        for spec in self.schema.inputs:
            if spec.name not in data.columns or spec.type not in _CASTABLE:
                continue
            column, dtype = data[spec.name], np.dtype(spec.type.to_pandas())
            try:
                column.astype(dtype)
            except (ValueError, TypeError, OverflowError):
                return _wrong_type(spec.name, spec.type.name)
            # astype truncates 2.5 to 2 where a CSV reader with the dtype refuses it.
            if dtype.kind == "i" and column.dtype.kind == "f" and (column.dropna() % 1).any():
                return _wrong_type(spec.name, spec.type.name)
        return None

    # JSON ---------------------------------------------------------------------------

    def _read_json(self, body: bytes) -> ModelInput:
        try:
            decoded = json.loads(body)
        except UnicodeDecodeError:
            raise InvalidInput("the body is not UTF-8 text", field="body") from None
        except json.JSONDecodeError as err:
            raise InvalidInput(
                f"the body is not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})",
                field="body",
            ) from None
        except RecursionError:
            # json.loads recurses once a level: thousands of nested brackets exhaust it.
            raise InvalidInput("the body is nested too deeply", field="body") from None
        if not isinstance(decoded, dict):
            raise InvalidInput(
                f"the body must be a JSON object holding one of {', '.join(FORMATS)}",
                field="body",
            )
        if self._columns is not None and (frame := self._block_frame(decoded)) is not None:
            return ModelInput(frame, conforms=True)
        if sum(key in decoded for key in FORMATS) != 1 and not is_unified_llm_input(decoded):
            raise InvalidInput(
                f"the body must hold exactly one of {', '.join(FORMATS)}", field="body"
            )
        # The parser takes the format's value; kept for explaining a failure.
        key = next((key for key in FORMATS if key in decoded), None)
        value = decoded.get(key)
        try:
            # MLflow's server reads JSON with exactly this call (formats, params, LLM input).
            parsed = scoring_server._parse_json_data(decoded, self.metadata, self.schema)
        except MlflowException as err:
            raise (self._explain_value(key, value) or _invalid(err)) from None
        return ModelInput(parsed.data, parsed.params, unwrapped=parsed.is_unified_llm_input)

    def _block_frame(self, decoded: dict) -> pd.DataFrame | None:
        """The frame for an all-numeric data frame body, or None to let MLflow read it."""
        if len(decoded) != 1:  # params, or several formats: MLflow's rules apply
            return None
        ((key, value),) = decoded.items()
        names, index, order = self._columns, None, None
        if key == "dataframe_split":
            if not isinstance(value, dict) or not value.keys() <= {"columns", "data", "index"}:
                return None
            columns, rows, index = value.get("columns"), value.get("data"), value.get("index")
            if not isinstance(columns, list) or not isinstance(rows, list):
                return None
            if columns != names:
                try:
                    position = {column: i for i, column in enumerate(columns)}
                    order = [position[name] for name in names]
                except (KeyError, TypeError):  # a column missing, or not a name
                    return None
                if len(position) != len(columns):  # repeated names
                    return None
        elif key == "dataframe_records":
            if not isinstance(value, list):
                return None
            try:
                rows = [[record[name] for name in names] for record in value]
            except (KeyError, TypeError):
                return None
            columns = names
        else:
            return None
        if not rows:
            return None
        try:
            block = np.asarray(rows)
        except (ValueError, TypeError):  # ragged rows
            return None
        if block.ndim != 2 or block.shape[1] != len(columns) or block.dtype.kind not in self._kinds:
            return None
        if order is not None:
            block = block[:, order]
        try:
            if isinstance(self._dtypes, np.dtype):
                return pd.DataFrame(block.astype(self._dtypes, copy=False), index, self._index)
            columns = {
                name: block[:, i].astype(dtype) for i, (name, dtype) in enumerate(self._dtypes)
            }
            return pd.DataFrame(columns, index, self._index)
        except (ValueError, TypeError):  # an index of the wrong length: MLflow's error to give
            return None

    def _explain_value(self, key: str | None, value: Any) -> InvalidInput | None:
        try:
            if key in ("dataframe_split", "dataframe_records"):
                frame = dataframe_from_parsed_json(value, pandas_orient=key[10:])
            elif isinstance(value, (dict, list)):  # instances, inputs: columns or records
                frame = pd.DataFrame(value)
            else:
                return None
        except Exception:  # not a frame at all: MLflow's message says so
            return None
        return self.explain(frame)

    # CSV ----------------------------------------------------------------------------

    def _read_csv(self, body: bytes) -> pd.DataFrame:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("the body is not UTF-8 text", field="body") from None
        try:
            return scoring_server.parse_csv_input(StringIO(text), schema=self.schema)
        except MlflowException:
            pass
        # MLflow's message quotes the bad value: find the column without it.
        try:
            frame = pd.read_csv(StringIO(text))
        except Exception:
            raise InvalidInput("the body is not CSV with a header row", field="body") from None
        raise self.explain(frame) or InvalidInput(
            "the CSV body does not match the model signature", field="body"
        )


def predictions_json(predictions: Any, unwrapped: bool = False) -> bytes:
    """The answer body, as MLflow's server writes it."""
    out = StringIO()
    if unwrapped:
        scoring_server.unwrapped_predictions_to_json(predictions, out)
    else:
        scoring_server.predictions_to_json(predictions, out)
    return out.getvalue().encode()


def clean_message(message: str) -> str:
    """An MLflow message fit to send back: without the quoted value or input it may carry."""
    message = message.replace(scoring_server.SCORING_PROTOCOL_CHANGE_INFO, "")
    message = message.removeprefix("Invalid input. ")
    # MLflow appends the failing value's repr after "Error:" and the body after "Input:";
    # Python's own messages quote the value after a colon ("...to float: 'x'").
    message = _QUOTED.split(message, maxsplit=1)[0].strip().rstrip(".:")
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 3] + "..."
    return message or "the input does not match the model signature"


def _invalid(err: MlflowException) -> InvalidInput:
    if isinstance(err, MlflowFailedTypeConversion) and (found := _CONVERSION.search(err.message)):
        return _wrong_type(*found.groups())
    return InvalidInput(clean_message(err.message), field="body")


def _wrong_type(column: str, type_name: str) -> InvalidInput:
    return InvalidInput(
        f"column {column!r} holds values that are not of type {type_name}", field=column
    )


def _mime_type(content_type: str | None) -> str:
    """The media type, refused (415) unless MLflow's server would take it."""
    if not content_type:
        raise UnsupportedContentType(
            f"no Content-Type: send {JSON}, {CSV} or {PARQUET}", field="content-type"
        )
    mime, *parameters = (part.strip() for part in content_type.split(";"))
    mime = mime.lower()
    if mime not in (JSON, CSV, PARQUET):
        raise UnsupportedContentType(
            f"unsupported Content-Type {mime[:100]!r}: send {JSON}, {CSV} or {PARQUET}",
            field="content-type",
        )
    for parameter in parameters:
        key, _, value = parameter.partition("=")
        if key.strip().lower() != "charset":
            raise UnsupportedContentType(
                f"unsupported Content-Type parameter {key.strip()[:50]!r}", field="content-type"
            )
        if value.strip().strip('"').lower() != "utf-8":
            raise UnsupportedContentType("only the utf-8 charset is read", field="content-type")
    return mime


def _names_columns(schema: Schema | None) -> bool:
    return schema is not None and not schema.is_tensor_spec() and schema.has_input_names()


def _block_plan(schema: Schema | None) -> tuple[list[str] | None, Any, str]:
    """(column names, the dtype or per-column dtypes, numpy kinds all of them accept) for a
    signature of numeric columns, else (None, None, "") and MLflow reads every body."""
    if not _names_columns(schema):
        return None, None, ""
    specs = schema.inputs
    if any(spec.type not in _BLOCK_KINDS or not spec.required for spec in specs):
        return None, None, ""
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        return None, None, ""
    kinds = "".join(
        kind for kind in "fib" if all(kind in _BLOCK_KINDS[spec.type] for spec in specs)
    )
    dtypes = [(spec.name, np.dtype(spec.type.to_pandas())) for spec in specs]
    if len({dtype for _, dtype in dtypes}) == 1:  # one dtype: the frame is one block
        return names, dtypes[0][1], kinds
    return names, dtypes, kinds
