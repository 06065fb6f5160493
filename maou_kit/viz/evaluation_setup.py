"""The evaluation notebook's setup: its parameters checked, the networks to score found or made.

    setup = viz.evaluation_setup(RUN_DIR=RUN_DIR, MODELS=MODELS, LABELS=LABELS, DATA=DATA, ...)
    models = viz.evaluation_models(setup)

`evaluation_setup` only checks (types through `parameters.check_parameters`, then
ranges, paths and the run directory), so a bad value stops the config cell before
anything runs. `MODELS` is a comma-separated list of run directories, `.pt`
checkpoints or `.onnx` files, looked up like every input path (working directory,
then its parents); `LABELS` names them in the table and legends ("" = the file names).

Smoke mode (SMOKE or the CI variable) checks the plumbing, not the networks: a fresh
clone has no trained checkpoint, so when any of MODELS is missing `evaluation_models`
trains two throwaway tiny Stage-3 networks instead (smoke-sized: 256 rows, 2 epochs;
one after a smoke Stage 1 -> 2 curriculum, one from scratch; ~15 s on one thread),
under `RUN_DIR/smoke_models/`. Smoke also cuts the data to its first
`SMOKE_EVAL_GAMES` games, the bootstrap to `SMOKE_BOOTSTRAP` replicates and the match
to `SMOKE_MATCH_GAMES` games of at most `SMOKE_MATCH_MAX_MOVES` plies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from maou_kit.train.run_layout import RESULT_FILE
from maou_kit.viz.parameters import ParameterValue, check_parameters, find_input_path
from maou_kit.viz.smoke import smoke_config, smoke_requested, smoke_threads

SMOKE_EVAL_GAMES = 3  # ~380 positions of the held-out games
SMOKE_BOOTSTRAP = 50
SMOKE_MATCH_GAMES = 2
SMOKE_MATCH_MAX_MOVES = 128
SMOKE_MODELS_DIR = "smoke_models"
SMOKE_LABELS = ("smoke: curriculum", "smoke: from scratch")
SMOKE_SAMPLES = {
    "stage1_data_path": "data_samples/stage1.feather",
    "stage2_data_path": "data_samples/stage2",
    "stage3_data_path": "data_samples/stage3",
}
# Files this notebook writes at the top of RUN_DIR; a reused RUN_DIR must not hold
# result.json unless OVERWRITE is on.
MATCH_DIR = "match"  # CSA files and match.json of the notebook's match
TABLE_SUFFIXES = (".feather", ".parquet")


@dataclass(frozen=True)
class EvaluationModel:
    """One network to score: its label and path (None until a smoke network is trained)."""

    label: str
    path: Path | None


@dataclass(frozen=True)
class EvaluationSetup:
    """The checked parameters of the evaluation notebook."""

    run_dir: Path
    models: tuple[EvaluationModel, ...]
    data_path: Path
    bootstrap: int
    match_opponent: str
    match_games: int
    match_max_moves: int | None  # None: the game loop's default
    seed: int
    smoke: bool
    overwrite: bool
    parameters: dict[str, ParameterValue]

    @property
    def needs_smoke_models(self) -> bool:
        return any(model.path is None for model in self.models)


def evaluation_setup(**parameters: object) -> EvaluationSetup:
    """The evaluation notebook's setup from all its parameters (see the module docstring)."""
    values = check_parameters("evaluate", parameters)
    smoke = smoke_requested(bool(values["SMOKE"]))
    for name, low in (("BOOTSTRAP", 0), ("MATCH_GAMES", 0)):
        if int(values[name]) < low:  # type: ignore[arg-type]
            raise ValueError(f"{name} must be >= {low}, got {values[name]}")
    if values["MATCH_GAMES"] and not str(values["MATCH_OPPONENT"]).strip():
        raise ValueError("MATCH_OPPONENT is required when MATCH_GAMES > 0 (e.g. 'random')")
    data_path = find_input_path("DATA", str(values["DATA"]))
    if data_path is None:
        raise ValueError("DATA is required: records, a games table or a stage-3 table")
    models = _models(str(values["MODELS"]), str(values["LABELS"]), smoke)
    run_dir = _run_dir(str(values["RUN_DIR"]), bool(values["OVERWRITE"]))
    bootstrap, games = int(values["BOOTSTRAP"]), int(values["MATCH_GAMES"])  # type: ignore[arg-type]
    return EvaluationSetup(
        run_dir=run_dir,
        models=models,
        data_path=data_path,
        bootstrap=min(bootstrap, SMOKE_BOOTSTRAP) if smoke else bootstrap,
        match_opponent=str(values["MATCH_OPPONENT"]).strip(),
        match_games=min(games, SMOKE_MATCH_GAMES) if smoke else games,
        match_max_moves=SMOKE_MATCH_MAX_MOVES if smoke else None,
        seed=int(values["SEED"]),  # type: ignore[arg-type]
        smoke=smoke,
        overwrite=bool(values["OVERWRITE"]),
        parameters=values,
    )


def _models(models: str, labels: str, smoke: bool) -> tuple[EvaluationModel, ...]:
    entries = [entry.strip() for entry in models.split(",") if entry.strip()]
    if not entries:
        raise ValueError("MODELS is required: comma-separated run folders, .pt or .onnx files")
    paths: list[Path | None] = []
    for entry in entries:
        try:
            paths.append(find_input_path("MODELS", entry))
        except FileNotFoundError:
            if not smoke:
                raise
            # A fresh clone has no trained network: smoke mode trains throwaway ones
            # (LABELS belong to the missing MODELS and are not used).
            return tuple(EvaluationModel(label, None) for label in SMOKE_LABELS)
    names = [label.strip() for label in labels.split(",")] if labels.strip() else []
    if names and len(names) != len(entries):
        raise ValueError(
            f"LABELS has {len(names)} label(s) for {len(entries)} model(s); give one per model "
            'or set LABELS = "" to use the file names'
        )
    if len(set(names)) != len(names) or "" in names:
        raise ValueError(f"LABELS must be distinct and not empty, got {labels!r}")
    names = names or _file_labels(paths)  # type: ignore[arg-type]
    return tuple(EvaluationModel(n, p) for n, p in zip(names, paths, strict=True))


def _file_labels(paths: list[Path]) -> list[str]:
    """Short distinct labels: the last path part, more parts where two would collide."""
    for depth in range(1, 6):
        labels = ["/".join(path.parts[-depth:]) for path in paths]
        if len(set(labels)) == len(labels):
            return labels
    return [str(path) for path in paths]


def _run_dir(value: str, overwrite: bool) -> Path:
    if value == "":
        raise ValueError("RUN_DIR is required: the folder that receives the evaluation files")
    run_dir = Path(value).expanduser().resolve()
    if run_dir.exists() and not run_dir.is_dir():
        raise ValueError(f"RUN_DIR = {value!r} is a file, not a folder")
    if (run_dir / RESULT_FILE).exists() and not overwrite:
        raise ValueError(
            f"RUN_DIR = {value!r} already holds an evaluation (result.json); choose another "
            "RUN_DIR or set OVERWRITE = True to replace it"
        )
    return run_dir


def evaluation_models(setup: EvaluationSetup) -> tuple[EvaluationModel, ...]:
    """The models to score, every one with a path: in smoke mode missing ones are trained.

    First clears what an earlier evaluation left at the top of RUN_DIR (result.json,
    evaluate_*.json, PNGs, match/), so no stale file is read as this run's.
    """
    _clear_earlier_evaluation(setup.run_dir)
    if not setup.needs_smoke_models:
        return setup.models
    root = setup.run_dir / SMOKE_MODELS_DIR
    curriculum = _train_smoke(root / "curriculum", "all", setup.seed)
    scratch = _train_smoke(root / "from_scratch", "3", setup.seed)
    return (
        EvaluationModel(setup.models[0].label, curriculum),
        EvaluationModel(setup.models[1].label, scratch),
    )


def _clear_earlier_evaluation(run_dir: Path) -> None:
    import shutil

    for pattern in (RESULT_FILE, "evaluate_*.json", "*.png"):
        for path in run_dir.glob(pattern):
            if path.is_file():
                path.unlink()
    shutil.rmtree(run_dir / MATCH_DIR, ignore_errors=True)


def _train_smoke(run_dir: Path, stage: str, seed: int) -> Path:
    """A smoke-sized training run (`stage` "all" or "3") into `run_dir`; returns the folder."""
    import shutil

    from maou_kit.train import LearnConfig, MultiStageTrainingOrchestrator

    if run_dir.exists():
        shutil.rmtree(run_dir)  # only this notebook writes here
    paths = {
        field: find_input_path(field, sample)
        for field, sample in SMOKE_SAMPLES.items()
        if stage == "all" or field == "stage3_data_path"
    }
    config = LearnConfig(stage=stage, model_dir=run_dir, seed=seed, **paths)  # type: ignore[arg-type]
    config = smoke_config(config, run_dir / "smoke_data")
    with smoke_threads(True):
        MultiStageTrainingOrchestrator(config).run()
    return run_dir


def evaluation_data(setup: EvaluationSetup) -> Path | pl.DataFrame:
    """The data to score: the DATA path, or in smoke mode the first games of a games table."""
    if not setup.smoke or setup.data_path.suffix not in TABLE_SUFFIXES:
        return setup.data_path
    frame = (
        pl.read_ipc(setup.data_path)
        if setup.data_path.suffix == ".feather"
        else pl.read_parquet(setup.data_path)
    )
    if "gameId" not in frame.columns:
        return frame.head(SMOKE_EVAL_GAMES * 128)
    games = frame["gameId"].unique(maintain_order=True).head(SMOKE_EVAL_GAMES)
    return frame.filter(pl.col("gameId").is_in(games.to_list()))


def slug(label: str) -> str:
    """A label as a file-name part: `smoke: from scratch` -> `smoke_from_scratch`."""
    return re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_") or "model"
