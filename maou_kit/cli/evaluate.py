"""`maou-kit evaluate MODEL DATA...`: score a network on held-out positions (see maou_kit.eval)."""

from __future__ import annotations

import argparse
from pathlib import Path

DESCRIPTION = """\
Score a network on positions it never trained on and print one table; every figure,
its 95% confidence interval (bootstrap over games), the settings, the model file(s) and
the data's fingerprint go to --output.

MODEL: a run directory, a checkpoint (.pt) or an exported .onnx file.
DATA: record files or folders (any format convert-records reads), a games table, or a
stage table (stage-3 for Stage 3 networks; stage-2 or any positions for Stage 2; the
stage-1 table for Stage 1). Stage-3 tables carry no game ids: their intervals come from
resampling rows, which the output says.

Stage 3: top-1/top-5 against the played move (all labels and legal-only), cross-entropy,
entropy, the uniform-legal-move baseline, illegal-move leakage, value Brier / log loss /
sign accuracy / ECE / best temperature against a constant training-mean predictor, and
breakdowns by move number and side to move. Stages 1-2: F1, exact match, accuracy.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="score a checkpoint or ONNX file on held-out positions (table + evaluate.json)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", type=Path, help="run directory, .pt checkpoint or .onnx file")
    parser.add_argument("data", nargs="+", type=Path, help="record files/folders or table files")
    parser.add_argument(
        "--stage",
        type=int,
        choices=(1, 2, 3),
        help="which stage of a run directory (default: highest saved)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("evaluate.json"),
        help="JSON file (default evaluate.json)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=1024, help="positions per forward pass (default 1024)"
    )
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=1000,
        help="bootstrap replicates for the intervals (default 1000; 0: none)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (default 0)")
    parser.add_argument(
        "--phase-buckets",
        type=int,
        nargs="+",
        default=[30, 60, 100],
        metavar="MOVE",
        help="last move number of each phase bucket; the last bucket is open (default 30 60 100: 1-30, 31-60, 61-100, 101+)",
    )
    parser.add_argument(
        "--ece-bins",
        type=int,
        default=10,
        help="equal-count bins of the value calibration error (default 10)",
    )
    parser.add_argument(
        "--train-mean",
        type=float,
        help="training mean outcome for the constant value baseline (default: from the run's "
        "training data named in config.json, else the evaluation data's own mean)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="processes reading record files (0: in this process)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from maou_kit.eval import evaluate
    from maou_kit.eval.report import format_report

    result = evaluate(
        args.model,
        args.data,
        stage=args.stage,
        batch_size=args.batch_size,
        bootstrap=args.bootstrap,
        seed=args.seed,
        phase_buckets=args.phase_buckets,
        ece_bins=args.ece_bins,
        train_mean=args.train_mean,
        output=args.output,
        workers=args.workers,
    )
    print(format_report(result))
    print(f"written: {args.output}")
    return 0
