"""The package's shape, read from its source: imports run one way (doors -> areas ->
stores), with no circle; only the composition root and the doors know `services`;
only tracking and the registry hold an MlflowClient; argparse lives in doors.

Imports inside functions count (they are imports all the same); those under
`if TYPE_CHECKING:` do not (they never run)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "jupyter_mlops"
AREAS = (
    "tracking",
    "registry",
    "features",
    "jobs",
    "serving",
    "monitoring",
    "retraining",
    "runtime",
    "store",
)
DOORS = ("server", "kernel", "cli")
# Processes the agent starts parse their own command line: each is a door of its own.
PROCESS_ENTRIES = (
    "jupyter_mlops.jobs.worker",
    "jupyter_mlops.serving.model_server",
    "jupyter_mlops.serving.router_server",
)


def modules() -> dict[str, tuple[Path, ast.Module]]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        if "labextension" in relative.parts or "migrations" in relative.parts:
            continue
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = (path, ast.parse(path.read_text()))
    return found


MODULES = modules()


class _Imports(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool):
        self.module, self.is_package = module, is_package
        self.found: set[str] = set()
        self.names: set[str] = set()  # every name imported, for the MlflowClient check

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if getattr(test, "id", None) == "TYPE_CHECKING" or getattr(test, "attr", None) == (
            "TYPE_CHECKING"
        ):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name)
            self.names.add(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            parts = self.module.split(".")
            parts = parts if self.is_package else parts[:-1]
            parts = parts[: len(parts) - (node.level - 1)]
            base = ".".join([*parts, *([node.module] if node.module else [])])
        for alias in node.names:
            self.names.add(f"{base}.{alias.name}")
            full = f"{base}.{alias.name}"
            self._add(full if full in MODULES else base)

    def _add(self, target: str) -> None:
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        if target and target != self.module:
            self.found.add(target)


def imports_of(module: str) -> _Imports:
    path, tree = MODULES[module]
    visitor = _Imports(module, path.name == "__init__.py")
    visitor.visit(tree)
    return visitor


GRAPH = {module: imports_of(module).found for module in MODULES}


def _in(module: str, *packages: str) -> bool:
    return any(
        module == f"jupyter_mlops.{p}" or module.startswith(f"jupyter_mlops.{p}.") for p in packages
    )


def test_the_import_graph_has_no_circle():
    # Tarjan's strongly connected components: any of more than one module is a circle.
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in GRAPH[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in GRAPH:
        if module not in index:
            visit(module)
    assert circles == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _in(m, *AREAS)))
def test_areas_import_neither_the_composition_root_nor_a_door(module):
    upward = sorted(
        target
        for target in GRAPH[module]
        if target == "jupyter_mlops.services" or _in(target, *DOORS)
    )
    assert upward == []


def test_only_tracking_and_the_registry_hold_an_mlflow_client():
    holders = sorted(
        module
        for module in MODULES
        if "mlflow.MlflowClient" in imports_of(module).names
        or "mlflow.tracking.MlflowClient" in imports_of(module).names
    )
    assert holders and all(_in(m, "tracking", "registry") for m in holders), holders


def _declares_options(module: str) -> bool:
    """Whether the module imports argparse or declares options on a parser it was given."""
    calls = {
        node.func.attr
        for node in ast.walk(MODULES[module][1])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    declared = calls & {"add_argument", "add_parser", "add_subparsers", "add_argument_group"}
    return "argparse" in imports_of(module).names or bool(declared)


def test_argparse_lives_in_doors():
    parsing = sorted(m for m in MODULES if _declares_options(m))
    assert parsing, "no door parses arguments?"
    misplaced = [m for m in parsing if not _in(m, *DOORS) and m not in PROCESS_ENTRIES]
    assert misplaced == []
