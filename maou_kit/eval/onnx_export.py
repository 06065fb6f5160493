"""Writing a trained network as one ONNX model (backbone + heads), for other runtimes.

The graph has a dynamic batch axis (named "batch") and these named tensors:

| name | dtype | shape | meaning |
|---|---|---|---|
| input `board` | uint8 | (batch, 9, 9) | piece ids 0..28 in the mover's frame (SPEC section 2) |
| input `hand` | uint8 | (batch, 14) | mover's then opponent's hand counts FU KY KE GI KI KA HI |
| output `policy_logits` (Stage 3) | float32 | (batch, 1496) | unnormalised log-probabilities over the move labels (SPEC section 3); softmax gives the policy |
| output `value_logit` (Stage 3) | float32 | (batch,) | sigmoid gives the mover's expected score in [0, 1] |
| output `logits` (Stage 1 / 2) | float32 | (batch, 81) / (batch, 1496) | per-square reachability / per-label legality logits; > 0 means yes |

The model's metadata records `maou_kit.stage` (1, 2 or 3) and the backbone spec, which is
how `maou_kit.eval.onnx_model` tells the stages apart. The graph is produced by torch's
`torch.export`-based exporter (`dynamo=True`, needs `onnxscript`), the exporter torch
maintains; on the kit's backbones its outputs match torch's to ~1e-6 in fp32.
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

import torch
from torch import Tensor, nn

from maou_kit.eval.model_files import LoadedModel, load_model

DEFAULT_OPSET = 18
STAGE3_OUTPUTS = ("policy_logits", "value_logit")
MULTILABEL_OUTPUTS = ("logits",)
INPUTS = ("board", "hand")
STAGE_METADATA_KEY = "maou_kit.stage"
SPEC_METADATA_KEY = "maou_kit.backbone_spec"


class _PolicyValueGraph(nn.Module):
    """Two named inputs instead of the training models' (board, hand) tuple; value as (B,)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, board: Tensor, hand: Tensor) -> tuple[Tensor, Tensor]:
        policy_logits, value_logits = self.model((board, hand))
        return policy_logits, value_logits.reshape(-1)


class _MultiLabelGraph(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, board: Tensor, hand: Tensor) -> Tensor:
        return self.model((board, hand))


def export_onnx(
    model: str | Path | LoadedModel,
    output: str | Path,
    opset: int = DEFAULT_OPSET,
    stage: int | None = None,
) -> Path:
    """Write `model` (run directory, checkpoint file or loaded model) to `output` as ONNX."""
    try:
        import onnx
        import onnxscript  # noqa: F401  (the exporter needs it; fail here with a clear message)
    except ImportError as error:
        raise ValueError(
            f"ONNX export needs the onnx extra (pip install 'maou_kit[onnx]'): {error}"
        ) from None
    output = Path(output)
    if output.suffix != ".onnx":
        raise ValueError(f"--output {output}: the file name must end in .onnx")
    if opset < 18:
        raise ValueError(f"--opset {opset}: the exporter writes opset 18 or newer")
    loaded = model if isinstance(model, LoadedModel) else load_model(model, stage)
    network = loaded.model.eval()
    if loaded.stage == 3:
        graph, outputs = _PolicyValueGraph(network).eval(), STAGE3_OUTPUTS
    else:
        graph, outputs = _MultiLabelGraph(network).eval(), MULTILABEL_OUTPUTS
    example = (torch.zeros(2, 9, 9, dtype=torch.uint8), torch.zeros(2, 14, dtype=torch.uint8))
    batch = torch.export.Dim("batch", min=1)
    output.parent.mkdir(parents=True, exist_ok=True)
    # The exporter logs that torchvision's ops are not registered (the kit uses none) and
    # warns that the backbones' input-shape checks are traced as constants: both harmless.
    exporter_log = logging.getLogger("torch.onnx._internal.exporter._registration")
    previous_level = exporter_log.level
    exporter_log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                graph,
                example,
                input_names=list(INPUTS),
                output_names=list(outputs),
                dynamic_shapes={"board": {0: batch}, "hand": {0: batch}},
                opset_version=opset,
                dynamo=True,
                external_data=False,
                verbose=False,
            )
    finally:
        exporter_log.setLevel(previous_level)
    program.save(str(output))
    onnx_model = onnx.load(str(output))
    for key, value in (
        (STAGE_METADATA_KEY, str(loaded.stage)),
        (SPEC_METADATA_KEY, json.dumps(loaded.backbone_spec, sort_keys=True, default=str)),
    ):
        entry = onnx_model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(onnx_model)
    onnx.save(onnx_model, str(output))
    return output
