"""`maou-kit learn-model`: the curriculum run (Stages 1 -> 2 -> 3) from the command line.

Argument parsing only: every option maps 1:1 onto a `LearnConfig` field (dashes
for underscores), `LearnConfig` validates, `MultiStageTrainingOrchestrator` runs.
Defaults are read from `LearnConfig`, so the CLI and notebooks cannot drift.

`--resume RUN_DIR` continues an interrupted run with the settings saved in
RUN_DIR/config.json; it takes no other option (any other is refused, so nothing
given on the command line is silently ignored). Ctrl-C and SIGTERM stop a run
with its last checkpoint intact and print the `--resume` command.

Exit codes: 0 done, 1 a stage missed its gate or the loss kept diverging,
2 bad input (raised as ValueError/FileNotFoundError before any training),
130 interrupted by Ctrl-C (SIGINT), 143 stopped by SIGTERM.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

# Option -> (type, help). Defaults come from LearnConfig; flags are handled below.
_OPTIONS: dict[str, tuple[Any, str]] = {
    "--stage": (str, "stages to run: 1, 2, 3 or all"),
    "--stage1-data-path": (
        Path,
        "stage-1 table file or directory (default: generate the 1,105 patterns)",
    ),
    "--stage2-data-path": (
        Path,
        "stage-2 data: a dir with train*/val* tables, or tables split by file",
    ),
    "--stage3-data-path": (
        Path,
        "stage-3 data: a dir with train*/val* tables, or tables split by file",
    ),
    "--model-dir": (
        Path,
        "run directory for config/metrics/result/checkpoints (default: runs/<timestamp>)",
    ),
    "--resume-backbone-from": (
        Path,
        "backbone (or stage-3) checkpoint the first stage starts from",
    ),
    "--arch": (str, "backbone architecture: resnet, mlp-mixer or vit"),
    "--preset": (str, "backbone size: tiny, small or large"),
    "--seed": (int, "seed for python/numpy/torch, shuffling and file splits"),
    "--device": (str, "auto, cpu or cuda"),
    "--batch-size": (int, "batch size of stages 2 and 3 unless overridden"),
    "--stage1-batch-size": (int, "stage-1 batch size (own default: the stage has only 1,105 rows)"),
    "--stage2-batch-size": (int, "stage-2 batch size (default: --batch-size)"),
    "--stage3-batch-size": (int, "stage-3 batch size (default: --batch-size)"),
    "--stage1-threshold": (float, "stage-1 gate: metric to reach, in (0, 1]"),
    "--stage2-threshold": (float, "stage-2 gate: metric to reach, in (0, 1]"),
    "--stage1-max-epochs": (int, "stage-1 epoch budget"),
    "--stage2-max-epochs": (int, "stage-2 epoch budget"),
    "--stage1-learning-rate": (float, "stage-1 AdamW learning rate"),
    "--stage2-learning-rate": (float, "stage-2 AdamW learning rate"),
    "--stage1-metric": (str, "stage-1 gate metric: accuracy, f1 or exact_match"),
    "--stage2-metric": (str, "stage-2 gate metric: accuracy, f1 or exact_match"),
    "--stage1-pos-weight": (float, "stage-1 BCE weight of positive squares"),
    "--stage2-pos-weight": (float, "stage-2 BCE weight of legal moves"),
    "--stage2-loss": (str, "stage-2 loss: bce or asl (Asymmetric Loss)"),
    "--stage2-gamma-pos": (float, "ASL focusing exponent for positives"),
    "--stage2-gamma-neg": (float, "ASL focusing exponent for negatives"),
    "--stage2-clip": (float, "ASL probability margin for negatives, in [0, 1)"),
    "--epoch": (int, "stage-3 epochs"),
    "--learning-ratio": (float, "stage-3 learning rate"),
    "--optimizer": (str, "stage-3 optimizer: adamw or sgd"),
    "--momentum": (float, "SGD momentum"),
    "--value-head-dropout": (float, "stage-3 dropout before the value head's output, in [0, 1)"),
    "--weight-decay": (float, "weight decay (never on biases or norm weights)"),
    "--warmup-ratio": (float, "share of optimizer steps in linear warmup before cosine decay"),
    "--policy-loss-ratio": (float, "stage-3 weight of the policy loss"),
    "--value-loss-ratio": (float, "stage-3 weight of the value loss"),
    "--early-stopping-patience": (
        int,
        "stage-3: stop after this many epochs without val-loss gain",
    ),
    "--gradient-accumulation-steps": (int, "stage-3 micro-batches per optimizer step"),
    "--test-ratio": (
        float,
        "share of files held out for validation when no train*/val* split exists",
    ),
    "--dataloader-workers": (int, "DataLoader worker processes (0: load in the main process)"),
    "--prefetch-factor": (int, "batches each worker loads ahead (workers > 0 only)"),
    "--cache-mode": (
        str,
        "stage 3: file (read tables lazily) or memory (load once); stages 1-2 always use file",
    ),
    "--resume": (
        Path,
        "continue the interrupted run in this run directory from its last checkpoint, with "
        "the settings saved in its config.json (no other option may be given)",
    ),
}
_FLAGS = {
    "--pin-memory": ("pin_memory", "store_true", "pin host memory for faster copies to the GPU"),
    "--legal-masked-policy-loss": (
        "legal_masked_policy_loss", "store_true", "stage 3: softmax over legal moves only",
    ),
    "--no-stage2-mirror-augmentation": (
        "stage2_mirror_augmentation", "store_false",
        "stage 2: do not reflect a random half of each training batch left-right",
    ),
    "--no-stage3-mirror-augmentation": (
        "stage3_mirror_augmentation", "store_false",
        "stage 3: do not reflect a random half of each training batch left-right",
    ),
    "--keep-last-weights": (
        "keep_best_weights", "store_false",
        "stage 3: end with the last epoch's weights, not the best validation-loss epoch's",
    ),
    "--compile": ("compile", "store_true", "torch.compile the model (falls back to eager on failure)"),
    "--no-mixed-precision": ("mixed_precision", "store_false", "fp32 on CUDA too (CPU is always fp32)"),
    "--no-streaming": (
        "streaming", "store_false", "stages 2-3: load whole splits into memory instead of "
        "streaming table files one at a time",
    ),
}  # fmt: skip


def _dest(option: str) -> str:
    return option.lstrip("-").replace("-", "_")


def _defaults() -> dict[str, Any]:
    from maou_kit.train.config import LearnConfig  # light: no torch model code runs here

    return {f.name: f.default for f in dataclasses.fields(LearnConfig)}


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "learn-model",
        help="train the curriculum (stage 1 reachable squares, 2 legal moves, 3 policy/value)",
        description=__doc__.splitlines()[0],
    )
    add_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = _defaults()
    for option, (kind, text) in _OPTIONS.items():
        default = defaults[_dest(option)]
        shown = "" if default is None else f" (default: {default})"
        parser.add_argument(option, type=kind, default=default, help=text + shown)
    for option, (dest, action, text) in _FLAGS.items():
        parser.add_argument(option, dest=dest, action=action, help=text)


def config_from_args(args: argparse.Namespace) -> Any:
    """The validated `LearnConfig` of parsed arguments (ValueError on bad values)."""
    from maou_kit.train.config import LearnConfig

    values = {
        name: getattr(args, name) for name in LearnConfig.field_names() if hasattr(args, name)
    }
    return LearnConfig(**values)


def _print_epoch(stage: Any, epoch: int, metrics: dict[str, float]) -> None:
    if int(stage) == 3:
        nan = float("nan")
        text = (
            f"train_loss {metrics['train_loss']:.4f} val_loss {metrics['val_loss']:.4f} "
            f"top1 {metrics.get('val_top1_accuracy', nan):.3f} "
            f"legal_top1 {metrics.get('val_legal_top1_accuracy', nan):.3f} "
            f"(random legal {metrics.get('val_random_legal_top1_accuracy', nan):.3f}) "
            f"value_brier {metrics.get('val_value_brier', nan):.4f} "
            f"(train mean {metrics.get('val_value_brier_of_train_mean', nan):.4f})"
        )
    else:
        text = (
            f"loss {metrics['train_loss']:.4f} accuracy {metrics['accuracy']:.4f} "
            f"(zero {metrics['baseline_accuracy']:.4f}) f1 {metrics['f1']:.4f} "
            f"exact {metrics['exact_match']:.4f}"
        )
    print(
        f"stage {int(stage)} epoch {epoch}: {text} lr {metrics['lr']:.2e} {metrics['seconds']:.1f}s"
    )


def _refuse_options_beside_resume(args: argparse.Namespace) -> None:
    """--resume uses the run's saved settings: any other option given would be ignored."""
    defaults = _defaults()
    options = {_dest(option): option for option in _OPTIONS}
    options.update({dest: option for option, (dest, _, _) in _FLAGS.items()})
    given = [
        option
        for dest, option in options.items()
        if dest != "resume" and hasattr(args, dest) and getattr(args, dest) != defaults.get(dest)
    ]
    if given:
        raise ValueError(
            f"--resume {args.resume}: continues the run with the settings in its config.json; "
            f"remove {', '.join(given)} (or start a new run)"
        )


def run(args: argparse.Namespace) -> int:
    import shlex

    from maou_kit.train import MultiStageTrainingOrchestrator, NonFiniteLossError, StageGateError
    from maou_kit.train.distributed import is_main_process, leave_process_group
    from maou_kit.train.interrupts import exit_code, sigterm_as_interrupt
    from maou_kit.train.resume import load_run_config

    if getattr(args, "resume", None) is not None:
        _refuse_options_beside_resume(args)
        config = load_run_config(args.resume)
    else:
        config = config_from_args(args)
    orchestrator = MultiStageTrainingOrchestrator(config, on_epoch_end=_print_epoch)
    main = is_main_process()  # read now: it says True once the process group is left
    try:
        with sigterm_as_interrupt():
            results = orchestrator.run()
    except (StageGateError, NonFiniteLossError) as error:
        if not main:  # every rank reached the same decision; one reports it
            return 1
        print(f"maou-kit learn-model: {error}", file=sys.stderr)
        print(f"run directory: {config.model_dir}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as interruption:
        reason = str(interruption) or "Ctrl-C"
        print(f"maou-kit learn-model: interrupted ({reason}); checkpoints kept", file=sys.stderr)
        if (Path(config.model_dir) / "config.json").is_file():
            resume = shlex.quote(str(config.model_dir))
            print(f"resume with: maou-kit learn-model --resume {resume}", file=sys.stderr)
        return exit_code(interruption)
    finally:
        leave_process_group()
    if not main:
        return 0
    for stage, result in results.items():
        met = "" if result.threshold_met is None else f" threshold_met={result.threshold_met}"
        print(
            f"stage {int(stage)}: {result.metric_name} {result.achieved:.4f}{met} "
            f"epochs {result.epochs_trained} ({result.seconds:.1f}s)"
        )
    print(f"run directory: {config.model_dir}")
    return 0
