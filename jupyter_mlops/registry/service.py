"""Registered models, versions and aliases, on MLflow's model registry.

A version is deployable (`models:/name@alias`) only if MLflow can check requests
against it, so registration refuses a model without a signature or input example.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from ..errors import InvalidInput, NotFound
from ..tracking import lineage
from ..tracking.client import load_mlflow, local_path, mlflow_errors
from ..tracking.service import Tracking
from . import gate

_RUNS_URI = re.compile(r"^runs:/(?P<run_id>[0-9a-f]{32})/(?P<name>[^/]+)/?$")
_LOGGED_URI = re.compile(r"^models:/(?P<model_id>m-[0-9a-f]{32})/?$")
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_NAME = re.compile(r"^[\w.\- ]{1,200}$")
_ALIAS = re.compile(r"^[A-Za-z_][\w-]{0,254}$")
KEY_METRICS = 8  # metrics of a version's source run shown beside it
MAX_VERSIONS = 50
# MLflow writes it beside MLmodel from the input example; larger ones are not sent.
SERVING_EXAMPLE = "serving_input_example.json"
EXAMPLE_BYTES = 64 * 1024

HOW_TO_SIGN = (
    "log it again with an input example, e.g. "
    "`mlflow.sklearn.log_model(model, name='model', input_example=X_train[:5])` "
    "(MLflow infers the signature from it), or pass "
    "`signature=mlflow.models.infer_signature(X_train, model.predict(X_train))` too"
)


class Registry:
    def __init__(self, tracking: Tracking):
        self.tracking = tracking

    @property
    def client(self):
        return self.tracking.client

    def register(self, source: str, name: str, alias: str | None = None) -> dict:
        """Register the model at `source` (a run id, `runs:/<run>/<model>` or
        `models:/m-<id>`) as a new version of `name`, optionally aliased."""
        _check_name(name)
        if alias is not None:
            _check_alias(alias)
        model = self._logged_model(source)
        # Through this registry's client: `mlflow.models.get_model_info` would look the
        # model up in the process-wide tracking URI, another store in a kernel or a test.
        info, _ = self._read_mlmodel(model.artifact_location, field="source")
        missing = [
            what
            for what, present in (
                ("signature", info.signature is not None),
                ("input example", info.saved_input_example_info is not None),
            )
            if not present
        ]
        if missing:
            raise InvalidInput(
                f"model {model.name!r} of run {model.source_run_id} has no "
                f"{' and no '.join(missing)}; {HOW_TO_SIGN}",
                field="source",
            )
        run = self.tracking.get_run(model.source_run_id)
        tags = {lineage.RUN_ID: model.source_run_id}
        tags.update(
            {k: run.data.tags[k] for k in lineage.INHERITED_BY_MODELS if k in run.data.tags}
        )
        with mlflow_errors(field="name"):
            if not self._exists(name):
                self.client.create_registered_model(name)
            elif alias is not None:
                guard = gate.stored(self.client.get_registered_model(name).tags)
                if guard and guard["alias"] == alias:
                    raise gate.GateRefused(
                        f"alias {alias!r} of {name!r} is gated: register without it, evaluate "
                        "the new version, then move the alias",
                        [{"metric": None, "reason": "not evaluated"}],
                    )
            version = self.client.create_model_version(
                name,
                source=model.model_uri,
                run_id=model.source_run_id,
                tags=tags,
                model_id=model.model_id,
            )
            if alias is not None:
                self.client.set_registered_model_alias(name, alias, version.version)
        return {"name": name, "version": str(version.version), "aliases": [alias] if alias else []}

    def models(self) -> list[dict]:
        with mlflow_errors():
            found = self.client.search_registered_models(order_by=["name ASC"])
        return [
            {
                "name": m.name,
                "description": m.description or "",
                "aliases": {alias: str(v) for alias, v in m.aliases.items()},
                "tags": dict(m.tags),
                "creation_timestamp": m.creation_timestamp,
                "last_updated_timestamp": m.last_updated_timestamp,
                "latest_version": max(
                    (str(v.version) for v in m.latest_versions), key=int, default=None
                ),
            }
            for m in found
        ]

    def versions(self, name: str) -> list[dict]:
        if not self._exists(name):
            raise NotFound(f"no registered model {name!r}")
        with mlflow_errors():
            # Version search results carry no aliases; the model holds them.
            aliases: dict[str, list[str]] = {}
            for alias, version in self.client.get_registered_model(name).aliases.items():
                aliases.setdefault(str(version), []).append(alias)
            found = self.client.search_model_versions(
                f"name = '{_quote(name)}'",
                max_results=MAX_VERSIONS,
                order_by=["version_number DESC"],
            )
        metrics = self._run_metrics([v.run_id for v in found if v.run_id])
        return [
            {
                "version": str(v.version),
                "run_id": v.run_id,
                "source": v.source,
                "status": v.status,
                "aliases": sorted(aliases.get(str(v.version), [])),
                "tags": dict(v.tags),
                "creation_timestamp": v.creation_timestamp,
                "metrics": metrics.get(v.run_id, {}),
                "gate": gate.verdict(name, str(v.version), v.tags),
                **self._model_files(name, v.version),
            }
            for v in found
        ]

    def _run_metrics(self, run_ids: list[str]) -> dict[str, dict[str, float]]:
        """The latest metrics of each run (at most KEY_METRICS, by name), in one search per
        experiment: what a version listing shows beside each version."""
        if not run_ids:
            return {}
        found: dict[str, dict[str, float]] = {}
        with mlflow_errors():
            # The runs may be in any experiment: search them all, by id.
            experiments = [e.experiment_id for e in self.client.search_experiments()]
            runs = self.client.search_runs(
                experiments,
                filter_string="attributes.run_id IN ({})".format(
                    ", ".join(f"'{run_id}'" for run_id in run_ids)
                ),
                max_results=len(run_ids),
            )
        for run in runs:
            shown = sorted(run.data.metrics.items())[:KEY_METRICS]
            found[run.info.run_id] = {key: float(value) for key, value in shown}
        return found

    def set_alias(
        self,
        name: str,
        alias: str,
        version: str,
        *,
        force: bool = False,
        reason: str | None = None,
        who: str | None = None,
    ) -> dict:
        """Point `alias` at `version`. The alias a gate guards moves only to a version
        that passed it, unless forced with a reason (recorded on the version, with who)."""
        _check_alias(alias)
        version = str(version)
        found = self._version(name, version)
        with mlflow_errors():
            model = self.client.get_registered_model(name)
        guard = gate.stored(model.tags)
        forced = None
        if guard and guard["alias"] == alias and str(model.aliases.get(alias)) != version:
            refused = gate.refusal(guard, version, dict(found.tags))
            if refused is not None and not force:
                raise refused
            if refused is not None:
                forced = gate.forced_tags(reason, who, refused)
        with mlflow_errors(field="alias"):
            if forced:
                for key, value in forced.items():
                    self.client.set_model_version_tag(name, version, key, value)
            self.client.set_registered_model_alias(name, alias, version)
        done = {"name": name, "alias": alias, "version": version}
        if forced:
            done.update(forced=True, reason=forced[gate.TAG_FORCED_REASON])
        return done

    def delete_alias(self, name: str, alias: str) -> None:
        with mlflow_errors(field="alias"):
            model = self.client.get_registered_model(name)
            if alias not in model.aliases:
                raise NotFound(f"model {name!r} has no alias {alias!r}")
            self.client.delete_registered_model_alias(name, alias)

    # What a gate keeps and evaluates with (see gate.py) --------------------------------

    def model_tags(self, name: str) -> dict:
        return dict(self._registered(name, "name").tags)

    def aliases(self, name: str) -> dict[str, str]:
        return {a: str(v) for a, v in self._registered(name, "name").aliases.items()}

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        self._registered(name, "name")
        with mlflow_errors(field="name"):
            self.client.set_registered_model_tag(name, key, value)

    def delete_model_tag(self, name: str, key: str) -> None:
        if key in self.model_tags(name):
            with mlflow_errors(field="name"):
                self.client.delete_registered_model_tag(name, key)

    def version_tags(self, name: str, version: str) -> dict:
        return dict(self._version(name, str(version)).tags)

    def set_version_tags(self, name: str, version: str, tags: dict[str, str]) -> None:
        with mlflow_errors():
            for key, value in tags.items():
                self.client.set_model_version_tag(name, str(version), key, value)

    def set_version_tag(self, name: str, version: str, key: str, value: str) -> dict:
        self._version(name, version)
        with mlflow_errors(field="key"):
            self.client.set_model_version_tag(name, str(version), key, str(value))
        return {"key": key, "value": str(value)}

    def version_of(
        self,
        name: str,
        *,
        alias: str | None = None,
        version: str | None = None,
        field: str | None = None,
    ) -> str:
        """The version `alias` points at now, or `version` once it is known to exist."""
        model = self._registered(name, field)
        if alias is not None:
            if alias not in model.aliases:
                known = ", ".join(sorted(model.aliases)) or "none"
                raise NotFound(
                    f"model {name!r} has no alias {alias!r} (its aliases: {known})", field=field
                )
            return str(model.aliases[alias])
        if self._registered(name, field, version=str(version)) is None:
            raise NotFound(f"model {name!r} has no version {version}", field=field)
        return str(version)

    def _registered(self, name: str, field: str | None, version: str | None = None):
        """The registered model (or its `version`); None for a missing version."""
        load_mlflow()
        from mlflow.exceptions import MlflowException

        with mlflow_errors(field=field):
            try:
                if version is not None:
                    return self.client.get_model_version(name, version)
                return self.client.get_registered_model(name)
            except MlflowException as err:
                if err.error_code != "RESOURCE_DOES_NOT_EXIST":
                    raise
        if version is None:
            raise NotFound(f"no registered model {name!r}", field=field)
        return None

    def version_run_id(self, name: str, version: str) -> str | None:
        """The run a version was registered from (None: registered from a path)."""
        with mlflow_errors():
            return self.client.get_model_version(name, str(version)).run_id or None

    def pin(self, model_uri: str, field: str = "model_uri") -> tuple[str, str | None]:
        """(a URI naming one version, that version) for `models:/name@alias|stage|version`;
        other URIs (runs:/, models:/m-<id>) as they are, with no version."""
        load_mlflow()
        from mlflow.store.artifact.utils.models import get_model_name_and_version

        if not model_uri.startswith("models:/"):
            return model_uri, None
        with mlflow_errors(field=field):
            found = get_model_name_and_version(self.client, model_uri)
        if len(found) == 1:  # models:/m-<id>, a logged model: no registry version
            return model_uri, None
        name, version = found
        return f"models:/{name}/{version}", str(version)

    # Helpers ------------------------------------------------------------------------

    def _logged_model(self, source: str):
        source = (source or "").strip()
        with mlflow_errors(field="source"):
            if match := _LOGGED_URI.match(source):
                return self.client.get_logged_model(match["model_id"])
            run_id, name = None, None
            if match := _RUNS_URI.match(source):
                run_id, name = match["run_id"], match["name"]
            elif _RUN_ID.match(source):
                run_id = source
            else:
                raise InvalidInput(
                    f"cannot register {source!r}: give a run id, runs:/<run_id>/<model name> "
                    "or models:/m-<model id>",
                    field="source",
                )
            run = self.tracking.get_run(run_id)
            models = self.client.search_logged_models(
                experiment_ids=[run.info.experiment_id],
                filter_string=f"source_run_id = '{run_id}'",
            )
        names = sorted(m.name for m in models)
        if name is not None:
            models = [m for m in models if m.name == name]
        if len(models) == 1:
            return models[0]
        if not models:
            raise InvalidInput(
                f"run {run_id} logged no model{f' named {name!r}' if name else ''}"
                f"{f' (it logged {names})' if names else ''}",
                field="source",
            )
        raise InvalidInput(
            f"run {run_id} logged several models {names}: pick one with runs:/{run_id}/<name>",
            field="source",
        )

    def _exists(self, name: str) -> bool:
        with mlflow_errors():
            return bool(self.client.search_registered_models(f"name = '{_quote(name)}'"))

    def _version(self, name: str, version: str):
        if not str(version).isdigit():
            raise InvalidInput(f"version must be a number, not {version!r}", field="version")
        with mlflow_errors():
            return self.client.get_model_version(name, str(version))

    def mlmodel(self, name: str, version: str):
        """(the version's MLmodel, its local folder or None when the artifacts are remote),
        read through this registry's client rather than MLflow's process-wide URIs (a
        kernel, or a headless agent, may point those elsewhere)."""
        with mlflow_errors():
            source = self.client.get_model_version_download_uri(name, version)
        return self._read_mlmodel(source)

    def _read_mlmodel(self, source: str, field: str | None = None):
        """(the MLmodel at the artifact location `source`, its local folder or None)."""
        load_mlflow()
        from mlflow.artifacts import download_artifacts
        from mlflow.models import Model

        folder = local_path(source)
        with mlflow_errors(field):
            if folder is not None:
                # Model.load takes a file:// URI for a remote one and finds nothing there.
                return Model.load(str(folder)), folder
            with tempfile.TemporaryDirectory() as tmp:
                local = download_artifacts(
                    artifact_uri=f"{source.rstrip('/')}/MLmodel",
                    dst_path=tmp,
                    tracking_uri=self.client.tracking_uri,
                )
                return Model.load(local), None

    def _model_files(self, name: str, version: str) -> dict:
        """What a version listing shows of its model: the signature, and the scoring
        payload MLflow saved from its input example (what a Try-it form starts from)
        when the artifacts are on this machine: a listing downloads no more than MLmodel."""
        try:
            model, folder = self.mlmodel(name, version)
        except Exception:  # an unreadable or deleted artifact must not break the listing
            return {"signature": None, "input_example": None}
        return {"signature": _signature(model), "input_example": _serving_example(folder)}


def _signature(model) -> dict | None:
    signature = model.signature
    if signature is None:
        return None
    inputs, outputs = signature.inputs, signature.outputs
    return {
        "inputs": str(inputs) if inputs is not None else None,
        "outputs": str(outputs) if outputs is not None else None,
    }


def _serving_example(folder: Path | None) -> dict | None:
    if folder is None:
        return None
    path = folder / SERVING_EXAMPLE
    try:
        if path.stat().st_size > EXAMPLE_BYTES:
            return None
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInput(
            f"invalid model name {name!r}: use 1 to 200 letters, digits, spaces, _ - .",
            field="name",
        )


def _check_alias(alias: str) -> None:
    reserved = alias.lower() == "latest" or re.fullmatch(r"v\d+", alias or "")
    if not isinstance(alias, str) or not _ALIAS.match(alias) or reserved:
        raise InvalidInput(
            f"invalid alias {alias!r}: start with a letter or _, then letters, digits, _ -"
            " ('latest' and v<number> are reserved)",
            field="alias",
        )


def _quote(value: str) -> str:
    return value.replace("'", "''")
