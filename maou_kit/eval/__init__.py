"""Judging a trained network: loading it from a run, scoring it on held-out positions, exporting it.

`load_model(path)` rebuilds the network from a run directory or a checkpoint file
(see model_files.py); `evaluate(model, data)` scores it (evaluate.py: policy, leakage,
value and calibration figures with bootstrap intervals over games); `export_onnx`
writes it as one ONNX graph (onnx_export.py) that `OnnxModel` runs (onnx_model.py).
"""

from maou_kit.eval.evaluate import evaluate
from maou_kit.eval.model_files import LoadedModel, load_model

__all__ = ["LoadedModel", "evaluate", "load_model"]
