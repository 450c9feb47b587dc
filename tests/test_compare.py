"""The comparison's parallel-coordinates plot names its runs and shows a param a run
lacks as an empty tick, never "None"; the diff holds null for it."""

import pytest
from mlflow import MlflowClient

from jupyter_mlops.config import resolve
from jupyter_mlops.services import Services
from jupyter_mlops.tracking.compare import compare


@pytest.fixture(scope="module")
def tracking(tmp_path_factory):
    services = Services(resolve(home=tmp_path_factory.mktemp("compare") / ".mlops", environ={}))
    yield services.tracking
    services.close()


@pytest.fixture(scope="module")
def runs(tracking) -> list[str]:
    """Three runs: `optimizer` and `depth` logged by the first two only."""
    tracking.client  # noqa: B018  (the store is ours first, as the server does at start)
    client = MlflowClient(tracking_uri=tracking.config.tracking_uri)
    experiment_id = tracking.experiment_id("compare-missing")
    params = [
        {"lr": "0.1", "optimizer": "sgd", "depth": "10"},
        {"lr": "0.01", "optimizer": "adam", "depth": "3"},
        {"lr": "0.001"},
    ]
    ids = []
    for i, logged in enumerate(params):
        run_id = client.create_run(experiment_id, run_name=f"cmp-{i}").info.run_id
        for key, value in logged.items():
            client.log_param(run_id, key, value)
        client.log_metric(run_id, "acc", 0.5 + i / 10)
        ids.append(run_id)
    return ids


def _dimension(figure: dict, label: str) -> dict:
    return next(d for d in figure["data"][0]["dimensions"] if d["label"] == label)


def test_the_first_axis_names_each_run_and_lines_take_the_curves_colours(tracking, runs):
    parallel = compare(tracking, runs)["figures"]["parallel"]
    first = parallel["data"][0]["dimensions"][0]
    assert first["label"] == "run"
    assert first["ticktext"] == ["cmp-0", "cmp-1", "cmp-2"]
    assert first["tickvals"] == first["values"] == [0, 1, 2]
    line = parallel["data"][0]["line"]
    assert line["color"] == [0, 1, 2]
    # Each run's line has the colour its curve has in the other figure's legend.
    curves = compare(tracking, runs)["figures"]["curves"]
    by_name = {trace["name"]: trace["line"]["color"] for trace in curves["data"]}
    assert [color for _, color in line["colorscale"]] == [by_name[f"cmp-{i}"] for i in range(3)]
    assert len(set(by_name.values())) == 3


def test_a_missing_param_is_an_empty_tick_not_none(tracking, runs):
    result = compare(tracking, runs)
    parallel = result["figures"]["parallel"]
    optimizer = _dimension(parallel, "optimizer")
    assert optimizer["ticktext"] == ["", "adam", "sgd"]
    assert optimizer["values"] == [2, 1, 0]
    # Numbers some runs lack keep their numeric order (10 after 3), the gap below them.
    depth = _dimension(parallel, "depth")
    assert depth["ticktext"] == ["", "3", "10"]
    assert depth["values"] == [2, 1, 0]
    # A param every run logged stays a numeric axis.
    assert _dimension(parallel, "lr")["values"] == [0.1, 0.01, 0.001]
    ticks = [t for d in parallel["data"][0]["dimensions"] for t in d.get("ticktext", [])]
    assert "None" not in ticks

    optimizer_row = next(row for row in result["diff"]["params"] if row["key"] == "optimizer")
    assert optimizer_row["values"] == {runs[0]: "sgd", runs[1]: "adam", runs[2]: None}
    assert optimizer_row["differs"] is True
