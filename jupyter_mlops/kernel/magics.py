"""`%mlops` and `%%track`: the kernel door. Each verb parses its arguments and calls
a service; the services raise domain errors, shown here as one-line usage errors."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.display import display

from ..cli import no_home, options
from ..errors import Conflict, InvalidInput, MLOpsError
from ..services import Services, default
from .args import build_track_parser, parse
from .display import Code, KeyValues, RunLink, Table
from .progress import JobProgress

# Verbs that only read: where there is no home yet they say so, and create none.
READS = {
    "status",
    "runs",
    "models",
    "features",
    "jobs",
    "deployments",
    "drift",
    "triggers",
    "lineage",
}


@magics_class
class MLOpsMagics(Magics):
    @property
    def services(self) -> Services:
        # Resolved on first use, from the environment the server exported to this
        # kernel (or from `.mlops/` found upward of the working directory). The same
        # object the Python API uses, so metric loggers and runs are shared.
        return default()

    @line_magic
    def mlops(self, line: str):
        """jupyter_mlops from a cell. `%mlops --help` lists the verbs."""
        args = parse(line)
        if args is None:  # `--help` printed the help
            return None
        with _user_errors(f"%mlops {args.verb}"):
            if args.verb in READS and self.services.config.home_missing():
                # Opening the stores would create the home: nothing is recorded, say so.
                print(no_home(self.services.config.home))
                return None
            return getattr(self, f"_{args.verb}")(args)

    @cell_magic
    def track(self, line: str, cell: str):
        """Run the cell inside an MLflow run: `%%track [--experiment E] [--name N] [--autolog]
        [--log-input EXPR]`.

        The run records the notebook as it is on disk, the cell, the kernel, the
        packages, the git commit and the MLOps home. Its id is shown first, with a button
        opening its page in JupyterLab. It is FAILED if the cell raises.
        With `--log-input`, the DataFrame EXPR names after the cell is logged as the
        run's training input.
        """
        from ..tracking import capture
        from ..tracking.runs import error_hint, experiment_name, tracked

        args = parse(line, build_track_parser())
        if args is None:  # `--help` printed the help
            return
        with _user_errors("%%track"):
            tracking = self.services.tracking
            with tracked(
                tracking,
                experiment=args.experiment,
                name=args.name,
                autolog=args.autolog,
                notebook=capture.notebook_path(self.shell.user_ns, self.services.config.root_dir),
                cell=cell,
                shell=self.shell,  # the snapshot is what this kernel ran
            ) as active:
                info = active.info
                experiment = args.experiment or experiment_name(tracking, info.experiment_id)
                display(RunLink(info.run_id, experiment, info.run_name))
                result = self.shell.run_cell(cell)
                if not result.success:
                    # The cell's own traceback is already shown; under it, one line naming
                    # the fix where MLflow's message buries it. Then mark the run failed.
                    hint = error_hint(result.error_in_exec or result.error_before_exec)
                    if hint is not None:
                        print(hint, file=sys.stderr)
                    raise _CellFailed(active.info.run_id)
                if args.log_input:
                    self._log_input(active.info.run_id, args.log_input)

    def _log_input(self, run_id: str, expression: str) -> None:
        """The cell ran: its run stays FINISHED whatever this finds; what could not be
        logged is said in one line."""
        try:
            frame = self.shell.ev(expression)
        except Exception as err:  # the user's expression: any error it raises
            print(
                f"%%track: --log-input {expression}: {type(err).__name__}: {err}; not logged",
                file=sys.stderr,
            )
            return
        try:
            self.services.training_sets.log_input(run_id, frame)
        except InvalidInput as err:
            print(f"%%track: --log-input {expression}: {err.message}; not logged", file=sys.stderr)
            return
        print(f"logged {expression} ({len(frame):,} rows) as the training input of run {run_id}")

    def _status(self, args):
        status = self.services.project.status()
        return status if args.json else KeyValues("jupyter_mlops status", status)

    def _run(self, args):
        from ..tracking import capture
        from ..tracking.runs import end_run, start_run

        tracking = self.services.tracking
        if args.action == "start":
            active = start_run(
                tracking,
                experiment=args.experiment,
                name=args.name,
                notebook=capture.notebook_path(self.shell.user_ns, self.services.config.root_dir),
                shell=self.shell,
            )
            print(f"run {active.info.run_id} started in experiment {active.info.experiment_id}")
        else:
            run_id = end_run(tracking, args.status)
            print(f"run {run_id} ended: {args.status}")

    def _runs(self, args):
        from ..tracking.compare import compare
        from .widgets import RunsTable

        tracking = self.services.tracking
        experiment_id = tracking.experiment_id(args.experiment, create=False)
        page = tracking.runs(
            experiment_id, filter=args.filter, order_by=args.order_by, max_results=args.max
        )
        return RunsTable(page["runs"], lambda run_ids: compare(tracking, run_ids))

    def _register(self, args):
        created = self.services.registry.register(args.source, args.name, args.alias)
        aliases = f" as {', '.join(created['aliases'])}" if created["aliases"] else ""
        print(f"registered {created['name']} version {created['version']}{aliases}")
        return created

    def _models(self, args):
        registry = self.services.registry
        if args.name is None:
            rows = registry.models()
            for row in rows:
                row["aliases"] = ", ".join(f"{a}=v{v}" for a, v in row["aliases"].items())
            return Table("registered models", rows, ["name", "latest_version", "aliases"])
        rows = registry.versions(args.name)
        for row in rows:
            row["aliases"] = ", ".join(row["aliases"])
            row["signature"] = (row["signature"] or {}).get("inputs")
        columns = ["version", "aliases", "status", "run_id", "signature"]
        return Table(f"versions of {args.name}", rows, columns)

    def _alias(self, args):
        registry = self.services.registry
        if args.delete:
            registry.delete_alias(args.name, args.alias)
            print(f"removed alias {args.alias} of {args.name}")
            return None
        if args.version is None:
            raise UsageError("%mlops alias NAME VERSION ALIAS (or NAME ALIAS --delete)")
        done = registry.set_alias(
            args.name, args.alias, args.version, force=args.force, reason=args.reason
        )
        forced = f" (forced: {done['reason']})" if done.get("forced") else ""
        print(f"{done['name']}@{done['alias']} -> version {done['version']}{forced}")
        return None

    def _gate(self, args):
        """Show or set a model's gate; with --evaluate, the version's verdict (a dict)."""
        gates = self.services.gates
        spec = options.gates.gate_request(args, self.services.config)
        found = gates.set(args.name, spec) if spec is not None else gates.get(args.name)
        if args.evaluate is None:
            print(json.dumps(found["gate"], indent=2) if found["gate"] else "no gate")
            return found
        verdict = gates.evaluate(args.name, args.evaluate)
        print("\n".join(options.gates.gate_lines(verdict)))
        return verdict

    def _features(self, args):
        from .features import FeatureBrowser

        store = self.services.features
        if args.view == "snippet" and args.name is not None:
            code = store.snippet(args.name)
            self.shell.set_next_input(code)
            return Code(code)
        if args.name is not None:
            raise UsageError("%mlops features [VIEW] [--query Q] | %mlops features snippet NAME")
        return FeatureBrowser(
            store,
            view=args.view,
            query=args.query,
            insert_snippet=lambda name: self.shell.set_next_input(store.snippet(name)),
        )

    def _job(self, args):
        jobs = self.services.jobs
        if args.action == "submit":
            submitted = jobs.submit(options.jobs.job_request(args, self.services.config))
            if "definition" in submitted:
                print(f"scheduled {submitted['definition']['id']}: {args.cron} ({args.timezone})")
                return None
            return JobProgress(jobs, submitted["execution"]["id"])
        if args.action == "cancel":
            print(f"{args.execution_id}: {jobs.cancel(args.execution_id)['status']}")
            return None
        return JobProgress(jobs, args.execution_id)

    def _score(self, args):
        submitted = self.services.scoring.submit(options.scoring.score_request(args))
        if "definition" in submitted:
            print(f"scheduled {submitted['definition']['id']}: {args.cron} ({args.timezone})")
            return None
        return JobProgress(self.services.jobs, submitted["execution"]["id"])

    def _tune(self, args):
        submitted = self.services.tuning.submit(
            options.tuning.tune_request(args, self.services.config)
        )
        search = submitted["search"]
        print(f"search {search['id']}: {search['search']['trials']} trials of {search['notebook']}")
        return None

    def _jobs(self, args):
        rows = self.services.jobs.executions(status=args.status)
        for row in rows:
            row["notebook"] = row["spec"]["notebook"]
            row["progress"] = f"{row['progress']['done']}/{row['progress']['total']}"
        columns = ["id", "status", "notebook", "progress", "attempt", "mlflow_run_id"]
        return Table("job executions", rows, columns)

    def _deploy(self, args):
        from ..serving.deployments import NO_AGENT

        body = options.deployments.deployment_request(args)
        deployments = self.services.deployments
        if args.wait and not deployments.agent_active():
            raise Conflict(NO_AGENT)  # before anything is recorded: nothing would act on it
        deployment = deployments.deploy(body)
        if args.wait:
            deployment = deployments.wait(args.name)
        return KeyValues(f"deployment {args.name}", _deployment_summary(deployment))

    def _deployments(self, args):
        rows = [_deployment_summary(d) for d in self.services.deployments.deployments()]
        columns = ["name", "status", "model", "traffic", "endpoint", "restarts", "error"]
        return Table("deployments", rows, columns)

    def _predict(self, args):
        import pandas as pd

        frame = self._dataframe(args)
        # As MLflow's own client sends a DataFrame; JSON through pandas keeps dates and
        # numpy scalars readable by the serving process.
        split = json.loads(frame.to_json(orient="split", index=False, date_format="iso"))
        answer = self.services.deployments.predict(args.name, {"dataframe_split": split})
        predictions = answer.get("predictions", answer)
        if isinstance(predictions, list) and len(predictions) == len(frame):
            if predictions and isinstance(predictions[0], dict):
                return pd.DataFrame(predictions, index=frame.index)
            return pd.DataFrame({"prediction": predictions}, index=frame.index)
        return predictions

    def _promote(self, args):
        promoted = self.services.deployments.promote(args.name)
        return KeyValues(f"deployment {args.name}", _deployment_summary(promoted))

    def _rollback(self, args):
        rolled_back = self.services.deployments.rollback(args.name)
        return KeyValues(f"deployment {args.name}", _deployment_summary(rolled_back))

    def _undeploy(self, args):
        deployments = self.services.deployments
        deployment = deployments.undeploy(args.name)
        if args.wait and deployment["status"] != "stopped":
            deployment = deployments.wait(args.name, until=("stopped",), timeout=120)
        print(f"{deployment['name']}: {deployment['status']}")

    def _drift(self, args):
        from .drift import DriftReport

        monitoring = self.services.monitoring
        return DriftReport(monitoring.drift(args.name, args.window, args.version, figures=True))

    def _reference(self, args):
        monitoring = self.services.monitoring
        change, value = options.monitoring.reference_value(args)
        found = monitoring.set_reference(args.name, value) if change else None
        from ..monitoring.reference import said

        found = found or monitoring.reference(args.name)
        print(f"{args.name}: {said(found)}")
        return found

    def _lineage(self, args):
        from ..lineage.figure import edge_lines, lineage_figure
        from .drift import PLOTLY_MIME

        graph = self.services.lineage.graph(args.kind, args.id)
        text = "\n".join(edge_lines(graph))
        display({PLOTLY_MIME: lineage_figure(graph), "text/plain": text}, raw=True)

    def _labels(self, args):
        from ..monitoring.labels import items_from_frame

        posted = self.services.monitoring.post_labels(
            args.name, items_from_frame(self._dataframe(args))
        )
        print(f"{posted['labels']} labels posted to {args.name}")

    def _triggers(self, args):
        found = self.services.firings.view(args.name)
        if args.json:
            return found
        rows = found["firings"]
        for row in rows:
            row["window"] = f"{row['window']['start']} .. {row['window']['end']}"
        columns = [
            "fired_at",
            "status",
            "reason",
            "window",
            "model_version",
            "execution_id",
            "message",
        ]
        return Table(f"trigger firings of {args.name}", rows, columns)

    def _dataframe(self, args):
        """The pandas DataFrame the verb's expression gives, evaluated in the user's
        namespace: `X`, `X.head(5)`, `df[df.a > 0]`."""
        import pandas as pd

        try:
            frame = self.shell.ev(args.expression)
        except Exception as err:  # the user's expression: any error it raises
            found = f"{type(err).__name__}: {err}"
        else:
            if isinstance(frame, pd.DataFrame):
                return frame
            found = type(frame).__name__
        raise UsageError(f"%mlops {args.verb}: {args.expression} is not a DataFrame ({found})")


def _deployment_summary(deployment: dict) -> dict:
    candidate = deployment["candidate"]
    return {
        "name": deployment["name"],
        "status": deployment["status"],
        "model": f"{deployment['model_name']} v{deployment['model_version']}",
        "endpoint": deployment["endpoint"],
        "restarts": deployment["restarts"],
        "traffic": _split(deployment["traffic"]),
        "new version": f"v{candidate['model_version']} ({candidate['strategy']}, "
        f"{candidate['status']})"
        if candidate
        else None,
        "error": deployment["error"],
    }


def _split(traffic: dict) -> str:
    shares = [traffic["stable"], traffic["candidate"]]
    return " / ".join(
        f"v{s['version']} {s['weight']:g}%{' (shadow)' if s.get('mode') == 'shadow' else ''}"
        for s in shares
        if s is not None
    )


class _CellFailed(Exception):
    """Ends a %%track block as FAILED without a second traceback."""


@contextmanager
def _user_errors(prefix: str):
    try:
        yield
    except _CellFailed:
        pass
    except MLOpsError as err:
        # A mistake the user can fix: a one-line message, not a traceback.
        raise UsageError(f"{prefix}: {err.message}") from None
