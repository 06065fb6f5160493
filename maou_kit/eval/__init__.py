"""Judging a trained network: loading it from a run, scoring it on held-out positions, exporting it.

`load_model(path)` rebuilds the network from a run directory or a checkpoint file
(see model_files.py).
"""

from maou_kit.eval.model_files import LoadedModel, load_model

__all__ = ["LoadedModel", "load_model"]
