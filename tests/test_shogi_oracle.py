"""Cross-checks the rules layer against python-shogi, an independent pure-Python rules library.

python-shogi wrongly allows a pawn drop that gives mate; those drops are removed
from its move lists here, and the rule itself is pinned by a real record below.
"""

from __future__ import annotations

import shogi as pyshogi

from maou_kit.shogi import encode_position, legal_moves_mask, move_label

# SPEC section 3 written out again, independently of maou_kit.shogi.labels.
BLOCKS = [
    ("UP", 0, lambda x, y: y != 8), ("UP_LEFT", 72, lambda x, y: y != 8 and x != 0),
    ("UP_RIGHT", 136, lambda x, y: y != 8 and x != 8), ("LEFT", 200, lambda x, y: x != 0),
    ("RIGHT", 272, lambda x, y: x != 8), ("DOWN", 344, lambda x, y: y != 0),
    ("DOWN_LEFT", 416, lambda x, y: y != 0 and x != 0),
    ("DOWN_RIGHT", 480, lambda x, y: y != 0 and x != 8),
    ("KEIMA_LEFT", 544, lambda x, y: 2 <= y <= 6 and x != 0),
    ("KEIMA_RIGHT", 584, lambda x, y: 2 <= y <= 6 and x != 8),
    ("UP_PROMOTION", 624, lambda x, y: y < 3), ("UP_LEFT_PROMOTION", 651, lambda x, y: y < 3 and x != 0),
    ("UP_RIGHT_PROMOTION", 675, lambda x, y: y < 3 and x != 8),
    ("LEFT_PROMOTION", 699, lambda x, y: y < 3 and x != 0),
    ("RIGHT_PROMOTION", 723, lambda x, y: y < 3 and x != 8), ("DOWN_PROMOTION", 747, lambda x, y: y != 0),
    ("DOWN_LEFT_PROMOTION", 819, lambda x, y: y >= 1 and x >= 1 and y <= x + 2),
    ("DOWN_RIGHT_PROMOTION", 868, lambda x, y: y >= 1 and x <= 7 and y <= (8 - x) + 2),
    ("KEIMA_LEFT_PROMOTION", 917, lambda x, y: y < 3 and x != 0),
    ("KEIMA_RIGHT_PROMOTION", 941, lambda x, y: y < 3 and x != 8),
    ("DROP_P", 965, lambda x, y: y != 0), ("DROP_L", 1037, lambda x, y: y != 0),
    ("DROP_N", 1109, lambda x, y: y >= 2), ("DROP_S", 1172, lambda x, y: True),
    ("DROP_G", 1253, lambda x, y: True), ("DROP_B", 1334, lambda x, y: True),
    ("DROP_R", 1415, lambda x, y: True),
]  # fmt: skip
BLOCK = {name: (start, valid) for name, start, valid in BLOCKS}
KIND_IDS = {
    pyshogi.PAWN: 1, pyshogi.LANCE: 2, pyshogi.KNIGHT: 3, pyshogi.SILVER: 4, pyshogi.GOLD: 5,
    pyshogi.BISHOP: 6, pyshogi.ROOK: 7, pyshogi.KING: 8, pyshogi.PROM_PAWN: 9,
    pyshogi.PROM_LANCE: 10, pyshogi.PROM_KNIGHT: 11, pyshogi.PROM_SILVER: 12,
    pyshogi.PROM_BISHOP: 13, pyshogi.PROM_ROOK: 14,
}  # fmt: skip
HAND_KINDS = (pyshogi.PAWN, pyshogi.LANCE, pyshogi.KNIGHT, pyshogi.SILVER, pyshogi.GOLD,
              pyshogi.BISHOP, pyshogi.ROOK)  # fmt: skip


def _square(name: str, white: bool) -> tuple[int, int]:
    x, y = int(name[0]) - 1, "abcdefghi".index(name[1])
    return (8 - x, 8 - y) if white else (x, y)


def oracle_label(usi: str, white: bool) -> int:
    """Label of a USI move computed straight from SPEC section 3."""
    if usi[1] == "*":
        name, (x, y) = "DROP_" + usi[0], _square(usi[2:4], white)
    else:
        (fx, fy), (x, y) = _square(usi[0:2], white), _square(usi[2:4], white)
        dx, dy = x - fx, y - fy
        if (dx, dy) in ((1, -2), (-1, -2)):
            name = "KEIMA_LEFT" if dx > 0 else "KEIMA_RIGHT"
        else:
            vertical = "UP" if dy < 0 else "DOWN" if dy > 0 else ""
            horizontal = "LEFT" if dx > 0 else "RIGHT" if dx < 0 else ""
            name = "_".join(part for part in (vertical, horizontal) if part)
        if usi.endswith("+"):
            name += "_PROMOTION"
    start, valid = BLOCK[name]
    assert valid(x, y), f"{usi} lands outside its block {name}"
    rank = sum(1 for sq in range(x * 9 + y) if valid(*divmod(sq, 9)))
    return start + rank


def oracle_legal_usi(sfen: str) -> set[str]:
    """python-shogi's legal moves without its drop-pawn-mate bug."""
    board = pyshogi.Board(sfen)
    moves = set()
    for move in board.legal_moves:
        if move.drop_piece_type == pyshogi.PAWN:
            board.push(move)
            mate = board.is_checkmate()
            board.pop()
            if mate:
                continue
        moves.add(move.usi())
    return moves


def test_legal_move_masks_match_python_shogi(playout_sfens):
    for sfen in playout_sfens:
        white = sfen.split()[1] == "w"
        expected = {oracle_label(usi, white) for usi in oracle_legal_usi(sfen)}
        mask = legal_moves_mask(sfen)
        assert set(mask.nonzero()[0].tolist()) == expected, sfen


def test_legal_moves_have_distinct_labels(playout_sfens):
    for sfen in playout_sfens:
        moves = oracle_legal_usi(sfen)
        assert int(legal_moves_mask(sfen).sum()) == len(moves), sfen


def test_move_label_matches_spec_oracle(playout_sfens):
    for sfen in playout_sfens[::4]:
        white = sfen.split()[1] == "w"
        for usi in oracle_legal_usi(sfen):
            assert move_label(sfen, usi) == oracle_label(usi, white), (sfen, usi)


def test_encoding_matches_python_shogi(playout_sfens):
    for sfen in playout_sfens:
        board = pyshogi.Board(sfen)
        white = board.turn == pyshogi.WHITE
        encoded_board, encoded_hand = encode_position(sfen)
        for square, name in enumerate(pyshogi.SQUARE_NAMES):
            x, y = _square(name, white)
            piece = board.piece_at(square)
            expected = 0
            if piece is not None:
                expected = KIND_IDS[piece.piece_type] + (0 if piece.color == board.turn else 14)
            assert encoded_board[y, x] == expected, (sfen, name)
        mover, opponent = board.turn, 1 - board.turn
        expected_hand = [board.pieces_in_hand[mover][kind] for kind in HAND_KINDS] + [
            board.pieces_in_hand[opponent][kind] for kind in HAND_KINDS
        ]
        assert encoded_hand.tolist() == expected_hand, sfen


def test_python_shogi_drop_pawn_mate_bug_is_filtered():
    # The oracle helper must remove the drop-pawn mate python-shogi offers here.
    sfen = "ln1g1k1nl/2+P6/4gg1p1/2p1ppp2/1+rSK3PP/p1PGSPP1L/3+r5/9/LN7 w B2SN5Pbp 104"
    assert "P*6d" in {move.usi() for move in pyshogi.Board(sfen).legal_moves}
    assert "P*6d" not in oracle_legal_usi(sfen)
