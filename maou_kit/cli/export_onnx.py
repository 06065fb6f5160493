"""`maou-kit export-onnx MODEL --output model.onnx`: the network as one ONNX graph."""

from __future__ import annotations

import argparse
from pathlib import Path

DESCRIPTION = """\
Write a trained network (backbone + heads) as one ONNX model with a dynamic batch axis.

inputs:
  board          uint8 (batch, 9, 9)   piece ids 0..28 in the mover's frame (SPEC section 2)
  hand           uint8 (batch, 14)     mover's then opponent's hand counts FU KY KE GI KI KA HI
outputs, Stage 3:
  policy_logits  float32 (batch, 1496) logits over the move labels; softmax = policy
  value_logit    float32 (batch,)      sigmoid = the mover's expected score in [0, 1]
output, Stage 1 / 2:
  logits         float32 (batch, 81) / (batch, 1496)  reachable squares / legal moves (> 0: yes)

Needs the onnx extra: pip install 'maou_kit[onnx]'. `maou-kit evaluate model.onnx DATA`
scores the file with onnxruntime.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export-onnx",
        help="write a checkpoint as one ONNX model (inputs board, hand; outputs policy_logits, value_logit)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", type=Path, help="run directory or checkpoint (.pt)")
    parser.add_argument("--output", type=Path, required=True, help="the .onnx file to write")
    parser.add_argument("--opset", type=int, default=18, help="ONNX opset version (default 18)")
    parser.add_argument(
        "--stage",
        type=int,
        choices=(1, 2, 3),
        help="which stage of a run directory (default: highest saved)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from maou_kit.eval.onnx_export import export_onnx

    path = export_onnx(args.model, args.output, opset=args.opset, stage=args.stage)
    print(f"written: {path} ({path.stat().st_size} bytes)")
    return 0
