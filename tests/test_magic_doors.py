"""The magics' argument doors: `--help` shown once and nothing else, and the DataFrame
verbs (`predict`, `labels`) taking any Python expression, in an in-process shell."""

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from magic_helpers import mlops_shell

from jupyter_mlops.services import default
from jupyter_mlops.serving import records as deployment_records


@pytest.fixture
def shell(tmp_path, monkeypatch):
    with mlops_shell(monkeypatch, tmp_path / "home", tmp_path) as shell:
        yield shell


def add_deployment(name: str, status: str) -> None:
    """A deployment row in the kernel's state DB, as `deploy` records it (no serving
    process)."""
    with default().store.begin() as conn:
        deployment_records.insert(
            conn,
            name=name,
            spec={"name": name, "model_uri": "models:/m/1"},
            model_name="m",
            model_version="1",
            status=status,
        )


@pytest.mark.parametrize(
    ("magic", "line", "cell", "usage"),
    [
        ("mlops", "--help", None, "usage: %mlops"),
        ("track", "--help", "raise RuntimeError('the cell must not run')", "usage: %%track"),
        ("mlops", "deploy --help", None, "usage: %mlops deploy"),
        ("mlops", "predict --help", None, "usage: %mlops predict"),
    ],
)
def test_help_is_printed_once_and_is_no_error(shell, magic, line, cell, usage):
    prefix = "%%" if cell is not None else "%"
    source = f"{prefix}{magic} {line}" + (f"\n{cell}" if cell is not None else "")
    with capture_output() as captured:
        result = shell.run_cell(source)
    assert result.success, result.error_in_exec
    assert captured.stdout.count(usage) == 1
    assert "show this help message" in captured.stdout
    assert captured.stderr == ""
    assert captured.outputs == []  # nothing returned, no UsageError shown


def test_a_bad_option_stays_a_usage_error(shell):
    with pytest.raises(UsageError, match="unrecognized arguments: --nope"):
        shell.run_line_magic("mlops", "deployments --nope")


def test_labels_take_an_expression(shell):
    add_deployment("web", "ready")
    shell.user_ns["truth"] = pd.DataFrame(
        {"request_id": ["1-0", "1-1", "2-0"], "label": [1, 0, 1], "city": ["Lyon", "Nice", "Lyon"]}
    )
    with capture_output() as captured:
        # Spaces and quotes kept as typed: the rest of the line is Python, not shell words.
        shell.run_line_magic(
            "mlops", "labels web truth[truth.city == 'Lyon'][['request_id', 'label']]"
        )
    assert captured.stdout.strip() == "2 labels posted to web"
    with capture_output() as captured:
        shell.run_line_magic("mlops", "labels web truth.drop(columns='city').head(1)")
    assert captured.stdout.strip() == "1 labels posted to web"

    with pytest.raises(
        UsageError, match=r"^%mlops labels: truth.label is not a DataFrame \(Series\)$"
    ):
        shell.run_line_magic("mlops", "labels web truth.label")
    with pytest.raises(UsageError, match=r"^%mlops labels: nothing is not a DataFrame \(NameError"):
        shell.run_line_magic("mlops", "labels web nothing")
    with pytest.raises(
        UsageError, match=r"^%mlops labels: truth\[ is not a DataFrame \(SyntaxError"
    ):
        shell.run_line_magic("mlops", "labels web truth[")


def test_predict_takes_an_expression(shell, monkeypatch):
    X = pd.DataFrame(
        {"a": [1.0, -2.0, 3.0, 4.0], "b": ["x", "y", "z", "w"]}, index=[10, 11, 12, 13]
    )
    shell.user_ns["X"] = X
    with pytest.raises(
        UsageError, match=r"^%mlops predict: X.a.sum\(\) is not a DataFrame \(float"
    ):
        shell.run_line_magic("mlops", "predict web X.a.sum()")
    # The expression is evaluated, then the service answers for the deployment.
    with pytest.raises(UsageError, match="^%mlops predict: no deployment 'web'"):
        shell.run_line_magic("mlops", "predict web X.head(2)")
    add_deployment("web", "pending")
    with pytest.raises(UsageError, match="^%mlops predict: deployment 'web' is pending, not ready"):
        shell.run_line_magic("mlops", "predict web X[X.a > 0]")

    # What the serving process would be sent, for a ready deployment (a stand-in answers).
    sent = []

    def answer(name, payload):
        sent.append((name, payload))
        return {"predictions": [row[0] * 10 for row in payload["dataframe_split"]["data"]]}

    monkeypatch.setattr(default().deployments, "predict", answer)
    predictions = shell.run_line_magic("mlops", "predict web X[X.a > 0].head(2)")
    assert sent == [
        ("web", {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, "x"], [3.0, "z"]]}})
    ]
    assert predictions["prediction"].to_dict() == {10: 10.0, 12: 30.0}
