"""Notebook parameters -> a validated run setup: what each notebook's config cell calls.

    setup = viz.stage_setup(1, RUN_DIR=RUN_DIR, DATA_PATH=DATA_PATH, EPOCHS=EPOCHS, ...)

Every parameter of the notebook is passed by its own name; they are type-checked,
input paths are found (see `parameters`), and the values go through `LearnConfig`,
whose range checks are reported under the notebook parameter's name. Only then
is smoke mode applied (see `smoke`), so a bad value is reported even in CI.
Nothing here trains; the run directory is cleared by `run_training`, not here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from maou_kit.train.checkpoints import newest_backbone
from maou_kit.train.config import LearnConfig
from maou_kit.train.run_layout import METRICS_FILE, RESULT_FILE
from maou_kit.train.settings import SETTINGS, apply_given_batch_size
from maou_kit.viz.parameters import (
    NOTEBOOK_PARAMETERS,
    ParameterValue,
    check_parameters,
    checked_value,
    find_input_path,
    translate_config_error,
)
from maou_kit.viz.smoke import smoke_config, smoke_requested

SMOKE_DATA_DIR = "smoke_data"
SCRATCH_DIR = "stage3_from_scratch"
# Files a notebook run writes into its run directory; a reused directory must not hold
# them unless OVERWRITE is on (then `run_training` removes them before training).
RUN_MARKERS = (RESULT_FILE, METRICS_FILE)


@dataclass(frozen=True)
class NotebookSetup:
    """A checked training setup: the `LearnConfig`, where it writes, and how it was made."""

    kind: str  # "stage1", "stage2", "stage3" or "curriculum"
    config: LearnConfig
    run_dir: Path
    smoke: bool
    overwrite: bool
    parameters: dict[str, ParameterValue] = field(default_factory=dict)

    @property
    def gates(self) -> dict[int, tuple[str, float]]:
        """Stage -> (gate metric, threshold) of the gated stages this setup runs."""
        gates = {}
        for stage in self.config.stages:
            stage_config = self.config.stage_config(stage)
            if stage_config.threshold is not None:
                gates[int(stage)] = (stage_config.metric, stage_config.threshold)
        return gates

    def with_parameters(self, run_dir: str | Path, **changes: object) -> NotebookSetup:
        """This setup writing to `run_dir`, with some notebook parameters changed.

        Used by the stage controls: `setup.with_parameters(dir, LEARNING_RATE=3e-4)`.
        Values are checked like the notebook's own (type, then `LearnConfig` range).
        """
        spec = {parameter.name: parameter for parameter in NOTEBOOK_PARAMETERS[self.kind]}
        fields: dict[str, Any] = {"model_dir": Path(run_dir).resolve()}
        for name, value in changes.items():
            parameter = spec.get(name)
            if parameter is None or parameter.field is None or parameter.path:
                raise ValueError(f"{name} cannot be changed on a {self.kind} setup")
            fields[parameter.field] = checked_value(parameter, value)
        try:
            config = replace(self.config, **fields)
        except (TypeError, ValueError, FileNotFoundError) as error:
            raise translate_config_error(error, NOTEBOOK_PARAMETERS[self.kind]) from None
        return replace(
            self,
            config=config,
            run_dir=Path(run_dir).resolve(),
            overwrite=True,
            parameters={**self.parameters, **changes},  # type: ignore[dict-item]
        )


@dataclass(frozen=True)
class CurriculumSetup:
    """Stage 1 -> 2 -> 3 in `RUN_DIR`, and Stage 3 alone from scratch on the same data and budget."""

    curriculum: NotebookSetup
    from_scratch: NotebookSetup


@dataclass(frozen=True)
class DataSetup:
    """The data notebook's inputs: resolved table paths and how much to show."""

    run_dir: Path
    games_path: Path
    stage1_path: Path | None  # None: the 1,105 generated patterns
    stage2_path: Path
    stage3_path: Path
    boards_to_show: int
    seed: int
    smoke: bool


def stage_setup(stage: int, **parameters: object) -> NotebookSetup:
    """The setup of the single-stage notebook `stage` (1, 2 or 3) from all its parameters."""
    if stage not in (1, 2, 3):
        raise ValueError(f"stage must be 1, 2 or 3, got {stage!r}")
    return _training_setup(f"stage{stage}", str(stage), parameters)


def curriculum_setup(**parameters: object) -> CurriculumSetup:
    """The curriculum notebook's two runs: `RUN_DIR` (all stages) and `RUN_DIR/stage3_from_scratch`."""
    curriculum = _training_setup("curriculum", "all", parameters)
    scratch_dir = curriculum.run_dir / SCRATCH_DIR
    scratch_config = replace(
        curriculum.config, stage="3", model_dir=scratch_dir, resume_backbone_from=None
    )
    from_scratch = replace(curriculum, kind="stage3", config=scratch_config, run_dir=scratch_dir)
    return CurriculumSetup(curriculum=curriculum, from_scratch=from_scratch)


def data_setup(**parameters: object) -> DataSetup:
    """The data notebook's setup: every table path must exist (STAGE1_PATH "" = generate)."""
    values = check_parameters("data", parameters)
    if values["BOARDS_TO_SHOW"] < 1:  # type: ignore[operator]
        raise ValueError(f"BOARDS_TO_SHOW must be >= 1, got {values['BOARDS_TO_SHOW']}")
    paths = {}
    for name in ("GAMES_PATH", "STAGE1_PATH", "STAGE2_PATH", "STAGE3_PATH"):
        paths[name] = find_input_path(name, str(values[name]))
        if paths[name] is None and name != "STAGE1_PATH":
            raise ValueError(f"{name} is required: set it to a table file or folder")
    run_dir = _run_dir(values)
    return DataSetup(
        run_dir=run_dir,
        games_path=paths["GAMES_PATH"],  # type: ignore[arg-type]
        stage1_path=paths["STAGE1_PATH"],
        stage2_path=paths["STAGE2_PATH"],  # type: ignore[arg-type]
        stage3_path=paths["STAGE3_PATH"],  # type: ignore[arg-type]
        boards_to_show=int(values["BOARDS_TO_SHOW"]),
        seed=int(values["SEED"]),
        smoke=smoke_requested(bool(values["SMOKE"])),
    )


def _training_setup(kind: str, stage: str, parameters: dict[str, object]) -> NotebookSetup:
    spec = NOTEBOOK_PARAMETERS[kind]
    values = check_parameters(kind, parameters)
    run_dir = _run_dir(values)
    fields: dict[str, Any] = {}
    for parameter in spec:
        if parameter.field is None:
            continue
        value = values[parameter.name]
        if parameter.path:
            value = find_input_path(parameter.name, str(value))
            if parameter.name == "BACKBONE_FROM" and value is not None and value.is_dir():
                value = _backbone_in_run(value)
        fields[parameter.field] = value
    # A BATCH_SIZE changed from its default is "given": it reaches every stage whose own
    # batch-size parameter was left at its default (as --batch-size does on the CLI).
    given = [name for name, value in fields.items() if value != SETTINGS[name].default]
    fields = apply_given_batch_size(fields, given)
    smoke = smoke_requested(bool(values["SMOKE"]))
    if fields.get("resume_backbone_from") is not None:
        _match_backbone_size(fields, smoke)
    try:
        config = LearnConfig(stage=stage, model_dir=run_dir, **fields)
    except (TypeError, ValueError, FileNotFoundError) as error:
        raise translate_config_error(error, spec) from None
    if smoke:
        config = smoke_config(config, run_dir / SMOKE_DATA_DIR)
    return NotebookSetup(
        kind=kind,
        config=config,
        run_dir=run_dir,
        smoke=smoke,
        overwrite=bool(values["OVERWRITE"]),
        parameters=values,
    )


def _run_dir(values: dict[str, ParameterValue]) -> Path:
    if values["RUN_DIR"] == "":
        raise ValueError("RUN_DIR is required: the folder that receives result.json and figures")
    run_dir = Path(str(values["RUN_DIR"])).expanduser().resolve()
    if run_dir.exists() and not run_dir.is_dir():
        raise ValueError(f"RUN_DIR = {values['RUN_DIR']!r} is a file, not a folder")
    used = [name for name in RUN_MARKERS if (run_dir / name).exists()]
    if used and not values["OVERWRITE"]:
        raise ValueError(
            f"RUN_DIR = {values['RUN_DIR']!r} already holds a run ({', '.join(used)}); "
            "choose another RUN_DIR or set OVERWRITE = True to replace it"
        )
    return run_dir


def _backbone_in_run(run_dir: Path) -> Path:
    """The newest Stage-2 (else Stage-1) backbone checkpoint inside a run directory."""
    found = newest_backbone(run_dir, (1, 2))
    if found is None:
        raise FileNotFoundError(
            f"BACKBONE_FROM = {str(run_dir)!r}: the folder holds no stage1_backbone_*.pt or "
            "stage2_backbone_*.pt; point it at a run whose Stage 1 or 2 met its gate"
        )
    return found


def _match_backbone_size(fields: dict[str, Any], smoke: bool) -> None:
    """Check ARCH/PRESET against the BACKBONE_FROM checkpoint before anything runs.

    In smoke mode the checkpoint's size is adopted (a smoke run chained onto another
    smoke run's tiny backbone); otherwise a mismatch is an error that says what to set.
    """
    from maou_kit.model import PRESETS, preset_config
    from maou_kit.train.checkpoints import read_weights_file

    path = fields["resume_backbone_from"]
    spec = read_weights_file(path).get("backbone_spec") or {}  # a raw state_dict has none
    arch = spec.get("arch")
    preset = next(
        (
            name
            for name in PRESETS
            if arch is not None and asdict(preset_config(arch, name)) == spec.get("config")
        ),
        None,
    )
    if arch is None or preset is None or (arch, preset) == (fields["arch"], fields["preset"]):
        return  # unnamed sizes are left to the orchestrator's own check
    if smoke:
        fields.update(arch=arch, preset=preset)
        return
    raise ValueError(
        f"BACKBONE_FROM {path} holds a {arch} {preset!r} backbone, but ARCH = "
        f"{fields['arch']!r} and PRESET = {fields['preset']!r}; set ARCH = {arch!r} and "
        f"PRESET = {preset!r}"
    )
