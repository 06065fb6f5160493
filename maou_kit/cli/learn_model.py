"""`maou-kit learn-model`: the curriculum run (Stages 1 -> 2 -> 3) from the command line.

Argument parsing only: every option is generated from the setting declaration
(`maou_kit.train.settings`: name, type, default, range, help) and maps 1:1 onto a
`LearnConfig` field (dashes for underscores); `LearnConfig` validates,
`MultiStageTrainingOrchestrator` runs. So `--help` cannot disagree with the code.

Batch size: `--batch-size N` is every stage's batch size unless that stage's own
`--stageN-batch-size` is given; with neither, each stage uses its measured default
(8, 64, 256). Under torchrun N is the global batch (each process takes N / W).

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
import sys
from pathlib import Path
from typing import Any


def _settings() -> dict[str, Any]:
    from maou_kit.train.settings import SETTINGS  # light: no torch import

    return SETTINGS


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
    """One option per declared setting, its help and default text from the declaration.

    Options default to None ("not given"); `config_from_args` fills in the declared
    defaults, so it can tell a given `--batch-size` from the default one. Choices are
    listed in the help and the metavar but checked by `LearnConfig` (one place, one
    message naming the option).
    """
    from maou_kit.train.settings import Choices

    for name, setting in _settings().items():
        if setting.kind is bool:
            action = "store_false" if setting.default else "store_true"
            parser.add_argument(setting.flag, dest=name, action=action, help=setting.help_text())
            continue
        metavar = None
        if isinstance(setting.check, Choices) and not callable(setting.check.values):
            metavar = "{" + ",".join(setting.check.names()) + "}"
        parser.add_argument(
            setting.option, dest=name, type=setting.kind, default=None, metavar=metavar,
            help=setting.help_text(),
        )  # fmt: skip


def given_options(args: argparse.Namespace) -> dict[str, Any]:
    """Settings given on the command line: options not None, switches flipped."""
    given = {}
    for name, setting in _settings().items():
        if not hasattr(args, name):
            continue
        value = getattr(args, name)
        if (setting.kind is bool and value != setting.default) or (
            setting.kind is not bool and value is not None
        ):
            given[name] = value
    return given


def config_from_args(args: argparse.Namespace) -> Any:
    """The validated `LearnConfig` of parsed arguments (ValueError on bad values).

    A given `--batch-size` reaches every stage whose own option was not given."""
    from maou_kit.train.config import LearnConfig
    from maou_kit.train.settings import apply_given_batch_size

    given = given_options(args)
    return LearnConfig(**apply_given_batch_size(given, given))


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
    settings = _settings()
    names = [name for name in given_options(args) if name != "resume"]
    names.sort(key=lambda name: settings[name].flag is not None)  # options, then switches
    given = [settings[name].flag or settings[name].option for name in names]
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
    from maou_kit.train.run_layout import CONFIG_FILE

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
        if (Path(config.model_dir) / CONFIG_FILE).is_file():
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
            f"epochs {result.epochs_trained} ({result.seconds:.1f}s){_ending(result)}"
        )
    print(f"run directory: {config.model_dir}")
    return 0


def _ending(result: Any) -> str:
    """`; stopped: REASON, checkpoint holds epoch N's weights` when the result says so."""
    parts = [f"stopped: {result.stopped_by}"] if result.stopped_by else []
    if result.weights_epoch is not None and result.weights_epoch != result.epochs_trained:
        parts.append(f"checkpoint holds epoch {result.weights_epoch}'s weights")
    return "; " + ", ".join(parts) if parts else ""
