"""The rules adapter on cshogi: encoding, the 1496 move labels, legal masks, stage-1 patterns, records.

Everything is in the mover's frame (SPEC sections 2-4). Single-position functions
take SFEN strings; batch forms take lists of SFEN or arrays of cshogi HCP records.
"""

from maou_kit.schema import MOVE_LABELS_NUM
from maou_kit.shogi.encoding import encode_position, encode_positions
from maou_kit.shogi.labels import BLOCK_STARTS, LABEL_DESTINATION, labels_of_moves
from maou_kit.shogi.legal import (
    label_to_usi,
    legal_moves_mask,
    legal_moves_mask_from_encoded,
    legal_moves_masks,
    move_label,
    move_labels,
    stage2_targets,
)
from maou_kit.shogi.mirror import (
    MIRROR_LABEL,
    MIRROR_SQUARE,
    mirror_boards,
    mirror_labels,
    mirror_sfen,
)
from maou_kit.shogi.patterns import stage1_arrays, stage1_patterns
from maou_kit.shogi.records import (
    HCPE_DTYPE,
    RECORD_SUFFIXES,
    FileRecords,
    GameRecord,
    SkippedGame,
    read_hcpe,
    read_records,
    write_hcpe,
)
from maou_kit.shogi.sfen import parse_sfen, sfen_from_encoded

__all__ = [
    "HCPE_DTYPE",
    "RECORD_SUFFIXES",
    "FileRecords",
    "GameRecord",
    "SkippedGame",
    "read_hcpe",
    "read_records",
    "write_hcpe",
    "BLOCK_STARTS",
    "LABEL_DESTINATION",
    "MIRROR_LABEL",
    "MIRROR_SQUARE",
    "MOVE_LABELS_NUM",
    "encode_position",
    "encode_positions",
    "label_to_usi",
    "labels_of_moves",
    "legal_moves_mask",
    "legal_moves_mask_from_encoded",
    "legal_moves_masks",
    "mirror_boards",
    "mirror_labels",
    "mirror_sfen",
    "move_label",
    "move_labels",
    "parse_sfen",
    "sfen_from_encoded",
    "stage1_arrays",
    "stage1_patterns",
    "stage2_targets",
]
