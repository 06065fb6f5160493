"""Locks down how the committed notebooks are written: no outputs in git, a literal
`parameters` cell first that papermill can read, every parameter handed to the
package by name, no function/class/lambda in any cell, figures shown without
printing object reprs, and an import cell that says how to install the kit."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import nbformat
import pytest

from maou_kit.train import LearnConfig, TrainingStage
from maou_kit.viz.parameters import NOTEBOOK_PARAMETERS

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK_KINDS = {
    "00_data": "data",
    "01_stage1_reachable_squares": "stage1",
    "02_stage2_legal_moves": "stage2",
    "03_stage3_policy_value": "stage3",
    "10_curriculum": "curriculum",
    "20_evaluate": "evaluate",
}
PARAMETER_LINE = re.compile(r"^([A-Z][A-Z0-9_]*): (int|float|str|bool) = (.+?)  # (\S.*)$")
TYPES = {"int": int, "float": float, "str": str, "bool": bool}


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)


def _code_cells(name: str) -> list[nbformat.NotebookNode]:
    return [cell for cell in _read(name).cells if cell.cell_type == "code"]


def _parameter_lines(name: str) -> list[str]:
    return [line for line in _code_cells(name)[0].source.splitlines() if line.strip()]


def _parameters(name: str) -> dict[str, object]:
    values = {}
    for line in _parameter_lines(name):
        match = PARAMETER_LINE.match(line)
        values[match.group(1)] = ast.literal_eval(match.group(3))
    return values


notebooks = pytest.mark.parametrize("name", sorted(NOTEBOOK_KINDS))


def test_notebook_folder_holds_exactly_the_listed_notebooks():
    assert sorted(p.stem for p in NOTEBOOKS_DIR.glob("*.ipynb")) == sorted(NOTEBOOK_KINDS)


@notebooks
def test_committed_notebook_has_no_outputs_and_no_execution_counts(name):
    for cell in _code_cells(name):
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@notebooks
def test_kernelspec_is_python3(name):
    assert _read(name).metadata["kernelspec"]["name"] == "python3"


@notebooks
def test_first_code_cell_is_tagged_parameters_and_no_other_is(name):
    tagged = ["parameters" in cell.metadata.get("tags", []) for cell in _code_cells(name)]
    assert tagged[0] and sum(tagged) == 1


@notebooks
def test_parameter_lines_are_typed_literals_with_help(name):
    for line in _parameter_lines(name):
        match = PARAMETER_LINE.match(line)
        assert match, f"not `NAME: type = literal  # help`: {line!r}"
        value = ast.literal_eval(match.group(3))
        assert type(value) is TYPES[match.group(2)], line


@notebooks
def test_papermill_reads_every_parameter_with_its_help(name):
    import papermill

    inferred = papermill.inspect_notebook(str(NOTEBOOKS_DIR / f"{name}.ipynb"))
    assert list(inferred) == list(_parameters(name))
    assert all(parameter["help"] for parameter in inferred.values())


@notebooks
def test_notebook_declares_the_parameters_its_setup_function_expects(name):
    expected = [p.name for p in NOTEBOOK_PARAMETERS[NOTEBOOK_KINDS[name]]]
    assert sorted(_parameters(name)) == sorted(expected)
    assert {"RUN_DIR", "SEED", "SMOKE"} <= set(expected)


@notebooks
def test_config_cell_passes_every_parameter_by_its_own_name(name):
    tree = ast.parse(_code_cells(name)[1].source)
    calls = [
        node for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "").endswith("_setup")
    ]  # fmt: skip
    assert len(calls) == 1
    keywords = {k.arg: k.value.id for k in calls[0].keywords if isinstance(k.value, ast.Name)}
    assert keywords == {parameter: parameter for parameter in _parameters(name)}


@notebooks
def test_no_cell_defines_a_function_class_or_lambda(name):
    banned = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
    for cell in _code_cells(name):
        found = [type(node).__name__ for node in ast.walk(ast.parse(cell.source))]
        assert not [kind for kind in found if kind in {b.__name__ for b in banned}], cell.source


@notebooks
def test_cells_that_make_figures_end_without_a_figure_value(name):
    for cell in _code_cells(name):
        if "plot_" not in cell.source:
            continue
        last = ast.parse(cell.source).body[-1]
        shown = (
            isinstance(last, ast.Expr)
            and isinstance(last.value, ast.Call)
            and getattr(last.value.func, "attr", "") == "show"
        )
        assert shown or isinstance(last, ast.Assign), cell.source


@notebooks
def test_import_cell_says_how_to_install_the_kit_when_it_is_missing(name, monkeypatch):
    monkeypatch.setitem(sys.modules, "maou_kit", None)  # makes `from maou_kit import viz` fail
    with pytest.raises(ImportError, match=r"pip install -e \."):
        exec(compile(_code_cells(name)[1].source, name, "exec"), {})


@pytest.mark.parametrize("kind", ["stage1", "stage2", "stage3", "curriculum"])
def test_training_notebook_defaults_match_learn_config(kind, tmp_path):
    name = next(n for n, k in NOTEBOOK_KINDS.items() if k == kind)
    defaults = LearnConfig(stage="1", model_dir=tmp_path)
    values = _parameters(name)
    for parameter in NOTEBOOK_PARAMETERS[kind]:
        if parameter.field is None or parameter.path:
            continue
        expected = getattr(defaults, parameter.field)
        if expected is None:  # stage2/stage3_batch_size: None falls back to batch_size
            expected = defaults.stage_config(TrainingStage(int(kind[-1]))).batch_size
        assert values[parameter.name] == expected, parameter.name
