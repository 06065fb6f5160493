"""`maou-kit usi`: the trained network as a USI engine on stdin/stdout.

Argument parsing only; the protocol lives in `maou_kit.play.usi_server`.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "usi",
        help="run a trained network as a USI engine (stdin/stdout)",
        description=(
            "Speak USI on stdin/stdout with a Stage 3 network: policy-only by default (the "
            "legal move with the highest policy logit), or a small PUCT search with "
            "--playouts. Mate in one, entering-king declarations (bestmove win) and "
            "resignation only when no legal move is left are handled by the rules."
        ),
    )
    parser.add_argument(
        "--model", type=Path, required=True, help="run directory or stage3_policy_value_*.pt"
    )
    parser.add_argument(
        "--playouts",
        type=int,
        default=0,
        help="PUCT playouts per move; 0 = policy only (default %(default)s); USI option Playouts",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=16,
        help="leaves evaluated per network call during search (default %(default)s)",
    )
    parser.add_argument(
        "--temperature",
        type=float,
        default=0.0,
        help="0 plays the best move; > 0 samples (policy softmax or visit counts) (default 0)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for sampling (default 0)")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch CPU threads (default %(default)s)"
    )
    parser.add_argument("--device", default="cpu", help="torch device (default cpu)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    import torch

    from maou_kit.play.net_evaluator import NetEvaluator
    from maou_kit.play.net_player import NetPlayer
    from maou_kit.play.usi_server import UsiServer

    if args.playouts < 0:
        raise ValueError(f"--playouts must be >= 0, got {args.playouts}")
    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.threads < 1:
        raise ValueError(f"--threads must be >= 1, got {args.threads}")
    torch.set_num_threads(args.threads)
    evaluator = NetEvaluator.from_checkpoint(args.model, device=args.device)
    player = NetPlayer(
        evaluator,
        playouts=args.playouts,
        batch_size=args.batch_size,
        temperature=args.temperature,
        seed=args.seed,
    )
    return UsiServer(player, sys.stdout).run(sys.stdin)
