"""Runs the chosen stages in order on one backbone, and leaves a run directory behind.

Order of work in `run()`:
1. `validate()`: every chosen stage's inputs are resolved and schema-checked, and
   the backbone checkpoint the first stage would start from is read, BEFORE
   anything trains or any file is written (when resuming, also the run's status,
   that its inputs are unchanged, and its newest progress checkpoint).
2. Write `config.json` (with a fresh `run_id`) and `result.json` (status
   "running"), seed everything, build the backbone (`--arch`, `--preset`).
3. Per stage: the first stage starts from `resume_backbone_from`, else from the
   newest earlier-stage backbone in the model dir, else from scratch; every later
   stage loads the newest earlier-stage backbone (so Stage 3 starts from exactly
   the saved Stage-2 weights). Each stage then reseeds from (seed, stage) and gets a
   fresh head, so it runs the same whether or not earlier stages ran in this process.
4. While a stage runs, result.json names its checkpoint (`progress`). Stages 1-2
   write `stage{n}_progress_{ts}.pt` after every epoch another epoch follows, then,
   on meeting the gate, `stage{n}_backbone_{ts}.pt` and their head, and delete the
   progress file; a missed gate writes result.json ("gate_failed") and raises
   `StageGateError`. Stage 3 writes `stage3_policy_value_{ts}.pt` after every epoch.
5. status "completed" is written only after the last stage. Ctrl-C (and SIGTERM
   under the CLI) leaves "interrupted", an error "failed", SIGKILL "running".

Resuming (`config.resume` = a run directory, `learn-model --resume RUN_DIR`): the
run's own settings are read from RUN_DIR/config.json and replace every other field
of the given config; stages result.json reports finished are skipped, the stage
under way continues from its checkpoint, with the same optimizer, schedule, RNG and
data order (`maou_kit.train.resume`). Every file write happens on the main process
only (`is_main_process()`).
"""

from __future__ import annotations

import contextlib
import sys
import uuid
from pathlib import Path
from typing import Any

from torch import nn

from maou_kit.data.loader import DataLoaderFactory
from maou_kit.data.stage_inputs import StageInputs, check_stage_inputs
from maou_kit.train.checkpoints import (
    load_backbone_weights,
    new_timestamp,
    newest_backbone,
    progress_path,
    save_checkpoint,
    stage3_path,
)
from maou_kit.train.config import LearnConfig
from maou_kit.train.distributed import (
    barrier,
    broadcast_object,
    init_distributed,
    is_main_process,
)
from maou_kit.train.resume import (
    ResumePoint,
    check_inputs_unchanged,
    load_progress_checkpoint,
    load_run_config,
    read_resume_point,
    read_saved_config,
)
from maou_kit.train.run_files import RunFiles
from maou_kit.train.run_lock import RunLock
from maou_kit.train.seeding import seed_everything, stage_seed
from maou_kit.train.stage_runs import StageContext, run_gated_stage, run_policy_value
from maou_kit.train.stages import StageResult, TrainingStage
from maou_kit.train.tensorboard_log import TensorBoardScalars
from maou_kit.train.tensorboard_log import available as tensorboard_available
from maou_kit.train.training_parts import EpochCallback, resolve_device

GATE_HINT_OPTIONS = ("max-epochs", "threshold", "learning-rate", "batch-size")


class StageGateError(RuntimeError):
    """A stage with a gate (1 or 2) finished its epochs without reaching its threshold."""

    def __init__(self, result: StageResult) -> None:
        self.result = result
        super().__init__(gate_failure_message(result))


def gate_failure_message(result: StageResult) -> str:
    """Achieved vs required, share of target reached, the baseline, and the options to change."""
    stage = int(result.stage)
    threshold = result.threshold or float("nan")
    options = [f"--stage{stage}-{name}" for name in GATE_HINT_OPTIONS]
    return (
        f"Stage {stage} failed to meet its {result.metric_name} threshold after "
        f"{result.epochs_trained} epochs.\n"
        f"  achieved: {result.achieved:.2%} (best epoch {result.best_epoch}) / required: "
        f"{threshold:.2%} (reached {result.achieved / threshold:.1%} of target; "
        f"all-zero baseline {result.baseline:.2%})\n"
        f"  Hint: try increasing {options[0]}, lowering {options[1]}, "
        f"adjusting {options[2]} or changing {options[3]}"
    )


def _inside(path: str, run_dir: Path) -> str:
    """`path` relative to `run_dir` when it lies there; unchanged otherwise."""
    try:
        return Path(path).resolve().relative_to(run_dir.resolve()).as_posix()
    except ValueError:
        return path


class MultiStageTrainingOrchestrator:
    """The curriculum driver behind `maou-kit learn-model` and the curriculum notebook."""

    def __init__(self, config: LearnConfig, on_epoch_end: EpochCallback | None = None) -> None:
        if config.resume is not None:
            config = load_run_config(config.resume)  # the interrupted run's settings win
        self.config = config
        self.on_epoch_end = on_epoch_end
        self.model_dir = Path(config.model_dir)
        self.files = RunFiles(self.model_dir)
        # Under torchrun this joins the process group and picks this rank's GPU.
        self.device = init_distributed(resolve_device(config.device))
        self.loaders = DataLoaderFactory(
            seed=config.seed,
            num_workers=config.dataloader_workers,
            pin_memory=config.pin_memory,
            prefetch_factor=config.prefetch_factor,
        )
        self.results: dict[TrainingStage, StageResult] = {}
        self.backbone_sources: dict[int, str | None] = {}
        self.run_id: str | None = None
        self._earlier_results: dict[str, Any] = {}
        self._resume_point: ResumePoint | None = None
        self._resume_state: dict[str, Any] | None = None  # the stage under way's checkpoint
        self._progress: dict[str, Any] | None = None  # result.json's pointer to it
        self._inputs: dict[TrainingStage, StageInputs] = {}  # their split goes in result.json
        # Event files beside metrics.jsonl when the optional package is there (rank 0 only).
        self.tensorboard = (
            TensorBoardScalars(self.model_dir)
            if config.tensorboard and tensorboard_available() and is_main_process()
            else None
        )

    @classmethod
    def resume(
        cls, run_dir: str | Path, on_epoch_end: EpochCallback | None = None
    ) -> MultiStageTrainingOrchestrator:
        """The orchestrator that continues the interrupted run in `run_dir`."""
        return cls(load_run_config(run_dir), on_epoch_end)

    # ------------------------------------------------------------------ checks
    def validate(self) -> dict[TrainingStage, StageInputs]:
        """Check every chosen stage's inputs and the starting backbone; writes nothing."""
        config = self.config
        saved = None
        if config.resume is not None:
            saved = read_saved_config(self.model_dir)
            self.run_id = saved.get("run_id")
            self._resume_point = read_resume_point(self.model_dir, self.run_id)
        paths = {1: config.stage1_data_path, 2: config.stage2_data_path, 3: config.stage3_data_path}
        inputs = {
            stage: check_stage_inputs(int(stage), paths[int(stage)], config.test_ratio, config.seed)
            for stage in config.stages
        }
        if saved is not None:
            described = {int(stage): item.describe() for stage, item in inputs.items()}
            check_inputs_unchanged(saved, described, self.files.config_path)
            progress = self._resume_point.progress
            if progress is not None:
                checkpoint = self.model_dir / progress["checkpoint"]
                if checkpoint.exists():  # a corrupt one fails here, naming the file
                    self._resume_state = load_progress_checkpoint(checkpoint, progress["stage"])
                elif self.files.metrics_line_count() > progress["metrics_lines"] and (
                    is_main_process()
                ):  # an epoch finished, so its checkpoint was written and then removed
                    print(
                        f"{checkpoint}: missing, although stage {progress['stage']} finished an "
                        "epoch; the stage starts again from its first epoch",
                        file=sys.stderr,
                    )
        start = self._starting_backbone(config.stages[0])
        if start is not None:
            load_backbone_weights(self._build_backbone(), start)  # fails now, not mid-run
        return inputs

    def _starting_backbone(self, first_stage: TrainingStage) -> Path | None:
        if self.config.resume_backbone_from is not None:
            return self.config.resume_backbone_from
        return newest_backbone(self.model_dir, range(1, int(first_stage)))

    def _build_backbone(self) -> nn.Module:
        from maou_kit.model import build_backbone

        return build_backbone(self.config.arch, self.config.preset)

    # ------------------------------------------------------------------ run
    def run(self) -> dict[TrainingStage, StageResult]:
        inputs = self.validate()
        # One writer per run directory, for the whole run (rank 0 writes it alone).
        with RunLock(self.model_dir) if is_main_process() else contextlib.nullcontext():
            try:
                return self._run_locked(inputs)
            finally:
                if self.tensorboard is not None:
                    self.tensorboard.close()

    def _run_locked(
        self, inputs: dict[TrainingStage, StageInputs]
    ) -> dict[TrainingStage, StageResult]:
        config = self.config
        self._inputs = dict(inputs)
        if self._resume_point is None:
            self._start_run_files(inputs)
        else:
            self._continue_run_files(self._resume_point)
        self._write_result("running")
        try:
            seed_everything(config.seed)
            backbone = self._build_backbone()
            for index, stage in enumerate(config.stages):
                if stage not in self.results:  # finished before an interruption: skipped
                    self._run_stage(index, stage, backbone, inputs[stage])
        except StageGateError:
            raise  # result.json already says "gate_failed"
        except KeyboardInterrupt:
            self._write_result("interrupted")
            raise
        except Exception as error:
            try:
                self._write_result("failed", error)
            except OSError:  # the disk that failed the run may refuse result.json too
                pass
            raise
        self._write_result("completed")
        return dict(self.results)

    def _start_run_files(self, inputs: dict[TrainingStage, StageInputs]) -> None:
        self.run_id = broadcast_object(uuid.uuid4().hex)  # one id for all ranks
        self._earlier_results = self.files.read_result_stages()
        self.files.write_config(
            {
                **self.config.to_dict(),
                "run_id": self.run_id,
                "resolved_device": str(self.device),
                "inputs": {int(s): i.describe() for s, i in inputs.items()},
            }
        )

    def _continue_run_files(self, point: ResumePoint) -> None:
        self._earlier_results = dict(point.entries)
        self.results.update(point.finished)
        self.backbone_sources.update(point.backbone_sources)
        self._progress = point.progress
        if point.progress is not None:
            # Metrics of epochs after the checkpoint (or of a stage that wrote none) are
            # dropped: the resumed run does those epochs again.
            state = self._resume_state or {}
            self.files.truncate_metrics(state.get("metrics_lines", point.progress["metrics_lines"]))

    def _run_stage(
        self, index: int, stage: TrainingStage, backbone: nn.Module, inputs: StageInputs
    ) -> None:
        if index == 0:
            start = self._starting_backbone(stage)
        else:
            start = newest_backbone(self.model_dir, range(1, int(stage)))
        state: dict[str, Any] | None = None  # set when resuming from the stage's checkpoint
        if self._progress is not None and self._progress["stage"] == int(stage):
            state, self._resume_state = self._resume_state, None
            checkpoint = self.model_dir / self._progress["checkpoint"]
        else:
            timestamp = broadcast_object(new_timestamp())
            checkpoint = (
                stage3_path(self.model_dir, timestamp)
                if stage is TrainingStage.POLICY_VALUE
                else progress_path(self.model_dir, int(stage), timestamp)
            )
            self._progress = {
                "stage": int(stage),
                "checkpoint": checkpoint.name,
                "metrics_lines": self.files.metrics_line_count(),
            }
            self._write_result("running")
        if start is not None and state is None:
            load_backbone_weights(backbone, start)
        self.backbone_sources[int(stage)] = str(start) if start is not None else None
        summary = inputs.summary()  # one line: a split inside a file, or test_ratio 0
        if summary is not None and is_main_process():
            print(summary, file=sys.stderr)
        seed_everything(stage_seed(self.config.seed, int(stage)))
        context = StageContext(
            self.config, self.loaders, self.device, self.model_dir, self._record_epoch, self._save
        )
        if stage is TrainingStage.POLICY_VALUE:
            result = run_policy_value(context, backbone, inputs, checkpoint, state)
        else:
            result = run_gated_stage(context, stage, backbone, inputs, checkpoint, state)
        self.results[stage] = result
        self._progress = None
        failed = result.threshold_met is False
        self._write_result("gate_failed" if failed else "running")
        if stage is not TrainingStage.POLICY_VALUE and is_main_process():
            checkpoint.unlink(missing_ok=True)  # the stage's final files replace it
        # Rank 0 has written the stage's files before any rank looks for the newest backbone.
        barrier()
        if failed:
            raise StageGateError(result)

    # ------------------------------------------------------------------ records
    def _save(self, payload: dict[str, Any], path: Path) -> None:
        """Write a checkpoint from the main process, with the metrics.jsonl length it goes with."""
        if is_main_process():
            save_checkpoint({**payload, "metrics_lines": self.files.metrics_line_count()}, path)

    def _record_epoch(self, stage: TrainingStage, epoch: int, metrics: dict[str, float]) -> None:
        record = {"stage": int(stage), "epoch": epoch, **metrics}
        self.files.append_metrics(record)
        if self.tensorboard is not None:
            self.tensorboard.write(record)
        if self.on_epoch_end is not None and is_main_process():  # ranks agree: one report
            self.on_epoch_end(stage, epoch, metrics)

    def _write_result(self, status: str, error: BaseException | None = None) -> None:
        # Results of stages an earlier run in this model dir trained (and this run did
        # not) are kept, so `--stage 1` then `--stage 2` leave one complete result.json.
        rerun = {str(int(stage)) for stage in self.config.stages}
        stages = {key: value for key, value in self._earlier_results.items() if key not in rerun}
        for stage, result in self.results.items():
            entry = result.to_dict()
            # Relative to the run directory, so a moved or copied run still loads.
            entry["checkpoints"] = {
                name: _inside(path, self.model_dir) for name, path in entry["checkpoints"].items()
            }
            stages[str(int(stage))] = {
                **entry,
                "backbone_started_from": self.backbone_sources.get(int(stage)),
            }
            if stage in self._inputs:  # the data split and what the evaluation was judged on
                stages[str(int(stage))]["data_split"] = self._inputs[stage].split()
                stages[str(int(stage))]["gate_data"] = self._inputs[stage].gate_data
        payload: dict[str, Any] = {
            "status": status,
            "run_id": self.run_id,
            "device": str(self.device),
            "stages": dict(sorted(stages.items())),
        }
        if self._progress is not None:
            payload["progress"] = self._progress
        if error is not None:
            first_line = (str(error).strip().splitlines() or [""])[0]
            payload["error"] = f"{type(error).__name__}: {first_line}"
        self.files.write_result(payload)
