"""The notebooks' parameters: names, types, the `LearnConfig` field each one sets, and checks.

A notebook's `parameters` cell holds literals (`EPOCHS: int = 10  # ...`); papermill
may replace them with values of any type. The config cell passes every parameter
by name to a setup function, which checks them here, so a wrong value fails in
the first cells with a message that names the notebook parameter:

- wrong type: `TypeError: EPOCHS must be an int, got 'two' (str); ...`
- out of range: the `LearnConfig` message with the parameter in front,
  `ValueError: EPOCHS (--stage1-max-epochs) must be an integer >= 1, got 0`
- missing path: `FileNotFoundError: DATA_PATH = 'x.feather': no such file ...`

Input paths ("" = none) that are relative are looked up from the working
directory upward, the way git finds `.git`: the defaults `data_samples/...` then
work whether a notebook runs from `notebooks/` (Jupyter, nbval) or from the
repository root (`papermill notebooks/...`). `RUN_DIR` is an output and is taken
relative to the working directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from maou_kit.train.settings import SETTINGS

ParameterValue = int | float | str | bool


@dataclass(frozen=True)
class NotebookParameter:
    name: str  # as written in the parameters cell
    kind: type  # int, float, str or bool
    field: str | None = None  # the LearnConfig field it sets; None: used by the notebook layer
    path: bool = False  # an input path: "" means none, relative paths are looked up upward


def P(name: str, field: str | None = None, kind: type | None = None) -> NotebookParameter:
    """A notebook parameter; one that sets a setting takes its type from the declaration
    (`maou_kit.train.settings`), input paths (type Path there) are strings here."""
    if field is None:
        assert kind is not None, name
        return NotebookParameter(name, kind)
    declared = SETTINGS[field].kind
    is_path = declared is Path
    return NotebookParameter(name, str if is_path else declared, field, path=is_path)


def _input(name: str) -> NotebookParameter:
    """A path the notebook layer reads itself (the data notebook's tables)."""
    return NotebookParameter(name, str, path=True)


_COMMON = (
    P("RUN_DIR", kind=str),
    P("ARCH", "arch"),
    P("PRESET", "preset"),
    P("SEED", "seed"),
    P("DEVICE", "device"),
    P("SMOKE", kind=bool),
    P("OVERWRITE", kind=bool),
)


def _gated_stage(stage: int) -> tuple[NotebookParameter, ...]:
    return _COMMON + (
        P("DATA_PATH", f"stage{stage}_data_path"),
        P("BACKBONE_FROM", "resume_backbone_from"),
        P("EPOCHS", f"stage{stage}_max_epochs"),
        P("THRESHOLD", f"stage{stage}_threshold"),
        P("METRIC", f"stage{stage}_metric"),
        P("LEARNING_RATE", f"stage{stage}_learning_rate"),
        P("BATCH_SIZE", f"stage{stage}_batch_size"),
        P("POS_WEIGHT", f"stage{stage}_pos_weight"),
    )


NOTEBOOK_PARAMETERS: dict[str, tuple[NotebookParameter, ...]] = {
    "stage1": _gated_stage(1),
    "stage2": _gated_stage(2),
    "stage3": _COMMON
    + (
        P("DATA_PATH", "stage3_data_path"),
        P("BACKBONE_FROM", "resume_backbone_from"),
        P("EPOCHS", "epoch"),
        P("LEARNING_RATE", "learning_ratio"),
        P("BATCH_SIZE", "stage3_batch_size"),
        P("OPTIMIZER", "optimizer"),
        P("POLICY_LOSS_RATIO", "policy_loss_ratio"),
        P("VALUE_LOSS_RATIO", "value_loss_ratio"),
        P("LEGAL_MASKED_POLICY_LOSS", "legal_masked_policy_loss"),
    ),
    "curriculum": _COMMON
    + (
        P("STAGE1_DATA_PATH", "stage1_data_path"),
        P("STAGE2_DATA_PATH", "stage2_data_path"),
        P("STAGE3_DATA_PATH", "stage3_data_path"),
        P("STAGE1_EPOCHS", "stage1_max_epochs"),
        P("STAGE2_EPOCHS", "stage2_max_epochs"),
        P("STAGE3_EPOCHS", "epoch"),
        P("STAGE1_THRESHOLD", "stage1_threshold"),
        P("STAGE2_THRESHOLD", "stage2_threshold"),
        P("STAGE1_LEARNING_RATE", "stage1_learning_rate"),
        P("STAGE2_LEARNING_RATE", "stage2_learning_rate"),
        P("STAGE3_LEARNING_RATE", "learning_ratio"),
        P("STAGE1_BATCH_SIZE", "stage1_batch_size"),
        P("BATCH_SIZE", "batch_size"),
        P("STAGE1_POS_WEIGHT", "stage1_pos_weight"),
        P("STAGE2_POS_WEIGHT", "stage2_pos_weight"),
    ),
    "data": (
        P("RUN_DIR", kind=str),
        _input("GAMES_PATH"),
        _input("STAGE1_PATH"),
        _input("STAGE2_PATH"),
        _input("STAGE3_PATH"),
        P("BOARDS_TO_SHOW", kind=int),
        P("SEED", kind=int),
        P("SMOKE", kind=bool),
        P("OVERWRITE", kind=bool),
    ),
    # The evaluation notebook (20_evaluate); checked further in viz/evaluation_setup.py.
    "evaluate": (
        P("RUN_DIR", kind=str),
        P("MODELS", kind=str),  # comma-separated run dirs / checkpoints / .onnx files
        P("LABELS", kind=str),
        _input("DATA"),
        P("BOOTSTRAP", kind=int),
        P("MATCH_OPPONENT", kind=str),
        P("MATCH_GAMES", kind=int),
        P("SEED", kind=int),
        P("SMOKE", kind=bool),
        P("OVERWRITE", kind=bool),
    ),
}


def option_name(field: str) -> str:
    """The `learn-model` option of a `LearnConfig` field (`stage1_max_epochs` -> `--stage1-max-epochs`)."""
    return "--" + field.replace("_", "-")


def check_parameters(kind: str, given: Mapping[str, object]) -> dict[str, ParameterValue]:
    """Every parameter of notebook `kind`, type-checked (ints accepted where floats are)."""
    if kind not in NOTEBOOK_PARAMETERS:
        raise ValueError(f"unknown notebook kind {kind!r}; valid: {', '.join(NOTEBOOK_PARAMETERS)}")
    spec = {parameter.name: parameter for parameter in NOTEBOOK_PARAMETERS[kind]}
    unknown = sorted(set(given) - set(spec))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {', '.join(unknown)} for the {kind} notebook; "
            f"known: {', '.join(spec)}"
        )
    missing = [name for name in spec if name not in given]
    if missing:
        raise ValueError(f"the {kind} notebook must pass parameter(s) {', '.join(missing)}")
    return {name: checked_value(spec[name], given[name]) for name in spec}


def checked_value(parameter: NotebookParameter, value: object) -> ParameterValue:
    """`value` as `parameter.kind`, or TypeError naming the parameter and how to fix it."""
    kind = parameter.kind
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value  # type: ignore[return-value]
    example = {int: "10", float: "0.001", str: '"text"', bool: "True"}[kind]
    raise TypeError(
        f"{parameter.name} must be {'an' if kind is int else 'a'} {kind.__name__}, got {value!r} "
        f"({type(value).__name__}); fix it in the parameters cell or pass "
        f"-p {parameter.name} {example} to papermill"
    )


def find_input_path(name: str, value: str, start: Path | None = None) -> Path | None:
    """An input path parameter resolved to an existing absolute path ("" -> None).

    Relative paths are tried against `start` (the working directory) and then each
    of its parents; FileNotFoundError names the parameter and where it looked.
    """
    if value == "":
        return None
    path = Path(value).expanduser()
    start = (start or Path.cwd()).resolve()
    candidates = [path] if path.is_absolute() else [base / path for base in (start, *start.parents)]
    for candidate in candidates:
        if candidate.exists():
            return candidate.resolve()
    where = "" if path.is_absolute() else f" (looked in {start} and its parent folders)"
    raise FileNotFoundError(
        f"{name} = {value!r}: no such file or directory{where}; set {name} to an existing path"
    )


def translate_config_error(
    error: Exception, parameters: tuple[NotebookParameter, ...]
) -> Exception:
    """A `LearnConfig` error reworded to name the notebook parameter behind its option.

    `--stage1-max-epochs must be ...` becomes `EPOCHS (--stage1-max-epochs) must be ...`;
    messages about options no parameter sets are returned unchanged.
    """
    message = str(error)
    for parameter in parameters:
        if parameter.field is None:
            continue
        option = option_name(parameter.field)
        if message == option or message.startswith(option + " "):
            message = f"{parameter.name} ({option}){message[len(option) :]}"
            break
    return type(error)(message)
