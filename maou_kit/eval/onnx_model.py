"""An exported ONNX network run by onnxruntime (CPU), called like the torch models.

`OnnxModel(path)((board, hand))` returns what the torch model of the same stage returns:
(policy logits (B, 1496), value logits (B,)) for Stage 3, logits (B, 81) or (B, 1496) for
Stages 1-2, as torch tensors, so evaluation code does not care which one it was given.
The stage is read from the metadata `maou_kit.onnx_export` writes, else from the output
names and widths.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from maou_kit.eval.onnx_export import INPUTS, STAGE3_OUTPUTS, STAGE_METADATA_KEY


class OnnxModel:
    """An onnxruntime session over a `.onnx` file written by `export_onnx`."""

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        try:
            import onnxruntime
        except ImportError as error:
            raise ValueError(
                f"{path}: scoring an ONNX file needs onnxruntime (pip install 'maou_kit[onnx]'): "
                f"{error}"
            ) from None
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"{self.path}: no such ONNX file")
        options = onnxruntime.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
        try:
            self.session = onnxruntime.InferenceSession(
                str(self.path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own exception types
            raise ValueError(f"{self.path}: not a loadable ONNX model ({error})") from None
        input_names = [item.name for item in self.session.get_inputs()]
        if input_names != list(INPUTS):
            raise ValueError(f"{self.path}: inputs are {input_names}, expected {list(INPUTS)}")
        self.output_names = [item.name for item in self.session.get_outputs()]
        metadata = self.session.get_modelmeta().custom_metadata_map
        if STAGE_METADATA_KEY in metadata:
            self.stage = int(metadata[STAGE_METADATA_KEY])
        elif self.output_names == list(STAGE3_OUTPUTS):
            self.stage = 3
        else:
            width = self.session.get_outputs()[0].shape[-1]
            self.stage = {81: 1, 1496: 2}.get(width, 0)
        if self.stage not in (1, 2, 3):
            raise ValueError(
                f"{self.path}: outputs {self.output_names} are not a maou_kit network's"
            )

    def eval(self) -> OnnxModel:
        return self

    def __call__(self, inputs: tuple[Tensor, Tensor]) -> Tensor | tuple[Tensor, Tensor]:
        board, hand = inputs
        feeds = {
            "board": np.ascontiguousarray(board.numpy(), dtype=np.uint8),
            "hand": np.ascontiguousarray(hand.numpy(), dtype=np.uint8),
        }
        outputs = [torch.from_numpy(value) for value in self.session.run(None, feeds)]
        return (outputs[0], outputs[1]) if self.stage == 3 else outputs[0]
