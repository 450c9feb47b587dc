"""Papermill's parameter options (-p, -r, -y, -f, -b) on `jupyter mlops run`, `jobs submit`
and `%mlops job submit`: papermill's own type resolution, its merge order, values that
start with a dash, and bad input refused with the option named and nothing queued."""

import base64
import shlex
import subprocess
from pathlib import Path

import cli_helpers as cli
import nbformat
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from jobs_helpers import notebook
from papermill.cli import _resolve_type as papermills_resolve_type

from jupyter_mlops.cli import build_parser
from jupyter_mlops.cli.options.jobs import job_request
from jupyter_mlops.cli.parameters import protect, resolve_type
from jupyter_mlops.config import GPUS_ENV, HOME_ENV, ROOT_DIR_ENV, resolve
from jupyter_mlops.errors import InvalidInput
from jupyter_mlops.kernel.args import parse
from jupyter_mlops.services import default


@pytest.fixture
def config(tmp_path):
    return resolve(root_dir=tmp_path, home=tmp_path / ".mlops", environ={})


def parameters(line: str, config) -> dict:
    """The parameters `jobs submit nb.ipynb LINE` sends, the same through either door."""
    argv = protect(["jobs", "submit", "nb.ipynb", *shlex.split(line)])
    from_cli = job_request(build_parser().parse_args(argv), config)["parameters"]
    from_magic = job_request(parse(f"job submit nb.ipynb {line}"), config)["parameters"]
    assert from_cli == from_magic
    return from_cli


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "text",
    [
        "True",
        "False",
        "None",
        "true",
        "null",
        "none",
        "3",
        "-3",
        "1_000",
        " 7 ",
        "0x10",
        "1.5",
        "-1e-3",
        "1e5",
        "nan",
        "inf",
        "-inf",
        "1.",
        ".5",
        "3j",
        "",
        "msg",
        "[1, 2]",
    ],
)
def test_values_are_typed_as_papermill_types_them(text):
    ours, theirs = resolve_type(text), papermills_resolve_type(text)
    assert type(ours) is type(theirs)
    assert ours == theirs or (ours != ours and theirs != theirs)  # nan


def test_each_option_as_papermill_reads_it(config, tmp_path):
    assert parameters("-p msg true -p none null -p flag True -p empty None", config) == {
        "msg": "true",
        "none": "null",
        "flag": True,
        "empty": None,
    }
    assert parameters("-p epochs 3 -p lr 0.1 -p lr2 -1e-3 -p name -x --parameters k 2", config) == {
        "epochs": 3,
        "lr": 0.1,
        "lr2": -0.001,
        "name": "-x",
        "k": 2,
    }
    assert parameters("-r epochs 3 -r flag True --parameters_raw neg -5", config) == {
        "epochs": "3",
        "flag": "True",
        "neg": "-5",
    }
    # YAML 1.1 as papermill loads it: dates stay strings, 1e-3 (no dot) is a string.
    assert parameters("-y 'layers: [1, 2]\nwhen: 2024-01-01\nlr: 1e-3\nok: yes'", config) == {
        "layers": [1, 2],
        "when": "2024-01-01",
        "lr": "1e-3",
        "ok": True,
    }
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "p.yaml").write_text("depth: 4\nopt: {name: adam}\n")
    (tmp_path / "conf" / "p.json").write_text('{"seed": 7}')
    assert parameters("-f conf/p.yaml --parameters_file conf/p.json", config) == {
        "depth": 4,
        "opt": {"name": "adam"},
        "seed": 7,
    }
    assert parameters(f"-b {b64('depth: 5')} -b ''", config) == {"depth": 5}


def test_options_merge_in_papermills_order_whatever_their_order_on_the_line(config, tmp_path):
    (tmp_path / "x.yaml").write_text("x: file\nfrom_file: 1\n")
    line = (
        f"-r x raw -p x 1 -y 'x: yaml' -f x.yaml -b {b64('x: b64')} "
        f"-b {b64('from_b64: 1')} -y 'from_yaml: 1'"
    )
    merged = {"from_file": 1, "from_b64": 1, "from_yaml": 1}
    assert parameters(line, config) == {**merged, "x": "raw"}
    assert parameters(line.replace("-r x raw ", ""), config) == {**merged, "x": 1}
    assert parameters(line.replace("-r x raw -p x 1 ", ""), config) == {**merged, "x": "yaml"}
    # Within one option, the later one wins, as papermill's dict updates do.
    assert parameters("-p x 1 -p x 2 -y 'x: 3' -y 'x: 4'", config) == {"x": 2}
    assert parameters("-y 'x: 3' -y 'x: 4'", config) == {"x": 4}


@pytest.mark.parametrize(
    ("line", "field", "said"),
    [
        ("-y 'a: [1'", "parameters_yaml", "-y: not valid YAML at line"),
        ("-y '[1, 2]'", "parameters_yaml", "-y: expected a mapping"),
        ("-y '1: a'", "parameters_yaml", "-y: expected a mapping"),
        ("-y 'a: !!binary aGk='", "parameters_yaml", "-y: a value is not a number"),
        ("-y 'a: !!python/name:os.system'", "parameters_yaml", "-y: not valid YAML"),
        ("-b '%%%'", "parameters_base64", "-b: '%%%' is not base64"),
        (f"-b {b64('- 1')}", "parameters_base64", "-b: expected a mapping"),
        ("-f missing.yaml", "parameters_file", "-f: cannot read 'missing.yaml'"),
        ("-f ../outside.yaml", "parameters_file", "outside the server root"),
        ("-f list.yaml", "parameters_file", "-f list.yaml: expected a mapping"),
    ],
)
def test_bad_parameters_are_refused_naming_the_option(config, tmp_path, line, field, said):
    (tmp_path / "list.yaml").write_text("- 1\n")
    (tmp_path.parent / "outside.yaml").write_text("a: 1\n")
    with pytest.raises(InvalidInput) as refused:
        parameters(line, config)
    assert refused.value.field == field and said in refused.value.message


def test_a_run_sees_the_values_papermill_would_have_injected(tmp_path):
    notebook(
        tmp_path / "nb" / "p.ipynb",
        'msg = "hello"\nlr = 0.01\nflag = False\nanything = None\nlayers = [8]',
        "print(repr((msg, lr, flag, anything, layers)))",
    )
    (tmp_path / "p.yaml").write_text("layers: [4, 2]\nflag: true\n")
    ran = mlops(
        tmp_path,
        "run",
        "nb/p.ipynb",
        "-p",
        "msg",
        "true",
        "-p",
        "lr",
        "-1e-3",
        "-r",
        "anything",
        "3",
        "-f",
        "p.yaml",
    )
    assert ran.returncode == 0, ran.stderr
    output = next(line for line in ran.stdout.splitlines() if line.startswith("output notebook:"))
    ran_nb = nbformat.read(output.split(": ", 1)[1], as_version=4)
    outputs = [output for cell in ran_nb.cells for output in cell.get("outputs", [])]
    printed = "".join(output.get("text", "") for output in outputs)
    assert printed.strip() == "('true', -0.001, True, '3', [4, 2])"


def test_bad_parameters_queue_nothing_from_either_door(tmp_path, monkeypatch):
    notebook(tmp_path / "nb" / "p.ipynb", "lr = 0.01", "print(lr)")
    refused = mlops(tmp_path, "jobs", "submit", "nb/p.ipynb", "-y", "lr: [1")
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "jupyter mlops jobs: -y: not valid YAML at line 1, column 7"
    ]
    # The declared type is still checked: papermill would inject the string "fast".
    typed = mlops(tmp_path, "jobs", "submit", "nb/p.ipynb", "-p", "lr", "fast")
    assert typed.returncode == 1 and "parameter 'lr' must be of type float" in typed.stderr

    monkeypatch.setenv(HOME_ENV, str(tmp_path / ".mlops"))
    monkeypatch.setenv(ROOT_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(GPUS_ENV, "none")
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_mlops")
    try:
        with pytest.raises(UsageError, match="%mlops job: -b: '@@' is not base64"):
            shell.run_line_magic("mlops", "job submit nb/p.ipynb -b @@")
        assert default().jobs.executions() == []
    finally:
        shell.run_line_magic("unload_ext", "jupyter_mlops")
        InteractiveShell.clear_instance()


def mlops(project: Path, *args: str) -> subprocess.CompletedProcess:
    return cli.mlops("--home", str(project / ".mlops"), *args, cwd=project)
