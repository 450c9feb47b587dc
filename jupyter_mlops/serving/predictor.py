"""One model loaded for serving: a pinned version, how it reads requests, its warm-up.

Imported in the serving process's loading thread, not before: MLflow takes seconds to
import, and `/health` answers meanwhile.
"""

from __future__ import annotations

import inspect
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException

from ..errors import InvalidInput, MLOpsError
from .payload import JSON, ModelInput, PayloadReader, clean_message, predictions_json

if TYPE_CHECKING:
    from ..registry.service import Registry

log = logging.getLogger(__name__)


class ModelFailed(InvalidInput):
    """The model raised on an input that passed the signature: still the caller's 400,
    but counted against the version by the traffic router (see router.MODEL_ERROR)."""

    code = "model_failed"


_SCHEMA_FAILED = "SCHEMA_ENFORCEMENT_FAILED"


class NotTestable(MLOpsError):
    """The model has no saved input example to run a test prediction on."""

    code = "not_testable"


class Answer(NamedTuple):
    body: bytes  # the answer body, as MLflow's server writes it
    inputs: Any  # the model input as parsed (a frame, mostly)
    predictions: Any  # what the model returned


class Predictor:
    def __init__(self, model, *, model_uri: str, version: str | None, local_path: Path):
        self.model = model
        self.model_uri = model_uri
        self.version = version
        self.local_path = local_path
        self.run_id = model.metadata.run_id
        self.reader = PayloadReader(model.metadata)
        metadata = model.metadata
        # Where MLflow's predict would only enforce the signature (no params schema to
        # fill in, no type hints to convert to), a frame built to the signature goes to
        # the flavor's own predict: a second enforcement costs about what the model does.
        # (Skipped with it: the tracing context PyFuncModel.predict opens.)
        direct = (
            self.reader.schema is not None
            and metadata.get_params_schema() is None
            and not metadata._is_signature_from_type_hint()
            and not metadata._is_type_hint_from_example()
        )
        self._direct = _flavor_predict(model) if direct else None

    @classmethod
    def load(cls, model_uri: str, registry: Registry, workdir: Path) -> Predictor:
        """Load `model_uri`, its alias or stage resolved once: answers come from one version."""
        # This process serves one model from one store: MLflow's globals are ours to set,
        # and `models:/` artifact downloads read the registry from them.
        tracking_uri = registry.tracking.config.tracking_uri
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(tracking_uri)
        pinned, version = registry.pin(model_uri)
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=pinned, dst_path=workdir))
        model = mlflow.pyfunc.load_model(str(local))
        return cls(model, model_uri=model_uri, version=version, local_path=local)

    def invoke(self, body: bytes, content_type: str | None, keep_input: bool = False) -> Answer:
        """A request body in, the answer out; InvalidInput for a body at fault.

        With `keep_input`, the model gets a copy of a parsed frame, so that `inputs` stays
        what the request held even for a model that adds or changes columns in place
        (a shallow copy, 10 us: pandas copies data only when it is written to)."""
        model_input = self.reader.read(body, content_type)
        inputs = model_input.data
        if keep_input and isinstance(inputs, pd.DataFrame):
            model_input = model_input._replace(data=inputs.copy(deep=False))
        predictions = self.predict(model_input)
        return Answer(predictions_json(predictions, model_input.unwrapped), inputs, predictions)

    def predict(self, model_input: ModelInput) -> Any:
        data = model_input.data
        try:
            if model_input.conforms and self._direct is not None:
                return self._direct(data)
            if (missing := self.reader.missing_columns(data)) is not None:
                raise missing
            return self.model.predict(data, params=model_input.params)
        except InvalidInput:
            raise
        except MlflowException as err:
            if getattr(err, "error_class", None) == _SCHEMA_FAILED:
                # MLflow's message quotes the input; the one it wraps names the column.
                inner = err.__context__
                detail = inner.message if isinstance(inner, MlflowException) else err.message
                raise self.reader.explain(data) or InvalidInput(
                    clean_message(detail), field="body"
                ) from None
            if err.get_http_status_code() < 500:  # params, or an input the model refused
                raise InvalidInput(clean_message(err.message), field="body") from None
            raise _nulls_in(data) or self._failed(err) from None
        except Exception as err:
            raise _nulls_in(data) or self._failed(err) from None

    def _failed(self, err: Exception) -> InvalidInput:
        # A model failing on an input answers 400, as MLflow's server does. Its message
        # may quote the input: the log keeps it, the caller gets its type.
        log.warning("the model failed on a request", exc_info=err)
        return ModelFailed(
            f"the model could not predict on this input ({type(err).__name__}); "
            "the serving log has the details",
            field="body",
        )

    def warm_up(self) -> None:
        """A test prediction on the example saved with the model, as a client would send it."""
        serving_input = self.model.metadata.get_serving_input(str(self.local_path))
        if serving_input is not None:
            self.invoke(serving_input.encode(), JSON)
            return
        example = self.model.input_example
        if example is None:
            raise NotTestable("the model was logged without an input example to test")
        self.predict(ModelInput(example))


def _flavor_predict(model):
    """The flavor's predict as PyFuncModel would call it, without params."""
    predict = model._predict_fn
    params = inspect.signature(predict).parameters.get("params")
    if params is not None and params.kind != inspect.Parameter.VAR_KEYWORD:
        return lambda data: predict(data, params=None)
    return predict


def _nulls_in(data: Any) -> InvalidInput | None:
    """Why a model that failed probably did, when the input has null numbers: most models
    refuse NaN, and the caller can fix it, where "the model failed" tells them nothing."""
    if not isinstance(data, pd.DataFrame):
        return None
    numeric = data.select_dtypes("number")
    columns = [str(name) for name in numeric.columns[numeric.isna().any().to_numpy()]]
    if not columns:
        return None
    named = ", ".join(repr(name) for name in columns[:5]) + (", ..." if len(columns) > 5 else "")
    return InvalidInput(
        f"the model could not predict: column {named} holds a null (the model takes numbers)",
        field=columns[0],
    )
