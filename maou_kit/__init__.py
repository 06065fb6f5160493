"""maou_kit: curriculum training of shogi networks (reachable squares -> legal moves -> policy/value).

The package root re-exports the label-space size; everything else lives in the
subpackages `shogi`, `data`, `model`, `train`, `viz` and the `cli`.
"""

from maou_kit.schema import MOVE_LABELS_NUM

__all__ = ["MOVE_LABELS_NUM"]
__version__ = "0.1.0"
