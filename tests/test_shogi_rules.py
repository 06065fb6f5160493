"""Rules the labels rely on: perft through the masks, drop-pawn mate, colour symmetry, batches."""

from __future__ import annotations

import cshogi
import cshogi.CSA
import numpy as np
import pytest

from maou_kit.shogi import (
    encode_position,
    encode_positions,
    legal_moves_mask,
    legal_moves_mask_from_encoded,
    legal_moves_masks,
    move_label,
    move_labels,
    sfen_from_encoded,
    stage2_targets,
)

STARTPOS = "lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1"
DROP_PAWN_MATE = "ln1g1k1nl/2+P6/4gg1p1/2p1ppp2/1+rSK3PP/p1PGSPP1L/3+r5/9/LN7 w B2SN5Pbp 104"


def _perft_by_masks(sfen: str, depth: int) -> int:
    """Leaf count where each node's move count is read from its legal-move mask."""
    if depth == 1:
        return int(legal_moves_mask(sfen).sum())
    board = cshogi.Board(sfen)
    total = 0
    for move in list(board.legal_moves):
        board.push(move)
        total += _perft_by_masks(board.sfen(), depth - 1)
        board.pop()
    return total


@pytest.mark.parametrize(("depth", "nodes"), [(1, 30), (2, 900), (3, 25470)])
def test_perft_from_start_position(depth, nodes):
    assert _perft_by_masks(STARTPOS, depth) == nodes


def _label_of_drop_pawn_mate() -> int:
    # P*6d for White lands on (x=5, y=3) after rotation to (3, 5): DROP_FU 965 + 3*8 + 4.
    return 965 + 3 * 8 + 4


def test_drop_pawn_mate_is_not_in_mask():
    assert legal_moves_mask(DROP_PAWN_MATE)[_label_of_drop_pawn_mate()] == 0


def test_drop_pawn_mate_move_label_raises():
    with pytest.raises(ValueError, match="not legal"):
        move_label(DROP_PAWN_MATE, "P*6d")


def test_drop_pawn_mate_position_from_real_record(shared_kifu):
    # The floodgate record ends where White's only idea was the illegal P*6d.
    path = shared_kifu / "shogi-server/test/csa/uchifuzume.csa"
    record = cshogi.CSA.Parser.parse_str(path.read_text(encoding="cp932"))[0]
    board = cshogi.Board(record.sfen)
    for move in record.moves:
        board.push(move)
    assert board.sfen() == DROP_PAWN_MATE


def mirror_sfen(sfen: str) -> str:
    """The same position with colours swapped and the board rotated 180 degrees."""
    board_field, turn, hand, number = sfen.split()
    rows = [row[::-1] for row in board_field.split("/")][::-1]
    # Reversing a rank also reverses '+X' into 'X+'; put the promotion mark back in front.
    fixed = []
    for row in rows:
        out, i = "", 0
        while i < len(row):
            if i + 1 < len(row) and row[i + 1] == "+":
                out += "+" + row[i].swapcase()
                i += 2
            else:
                out += row[i].swapcase()
                i += 1
        fixed.append(out)
    return f"{'/'.join(fixed)} {'w' if turn == 'b' else 'b'} {hand.swapcase() if hand != '-' else '-'} {number}"


def mirror_usi(usi: str) -> str:
    def square(name: str) -> str:
        return f"{10 - int(name[0])}{'abcdefghi'[8 - 'abcdefghi'.index(name[1])]}"

    if usi[1] == "*":
        return usi[:2] + square(usi[2:4])
    return square(usi[:2]) + square(usi[2:4]) + usi[4:]


def test_colour_mirror_gives_identical_encoding(playout_sfens):
    for sfen in playout_sfens[::5]:
        board, hand = encode_position(sfen)
        mirrored_board, mirrored_hand = encode_position(mirror_sfen(sfen))
        assert np.array_equal(board, mirrored_board) and np.array_equal(hand, mirrored_hand), sfen


def test_colour_mirror_gives_identical_masks(playout_sfens):
    for sfen in playout_sfens[::5]:
        assert np.array_equal(legal_moves_mask(sfen), legal_moves_mask(mirror_sfen(sfen))), sfen


def test_colour_mirror_gives_identical_labels(playout_sfens):
    for sfen in playout_sfens[::25]:
        for move in list(cshogi.Board(sfen).legal_moves):
            usi = cshogi.move_to_usi(move)
            assert move_label(sfen, usi) == move_label(mirror_sfen(sfen), mirror_usi(usi))


def test_batch_encoding_equals_single(playout_sfens):
    sample = playout_sfens[:200]
    boards, hands = encode_positions(sample)
    for index, sfen in enumerate(sample):
        board, hand = encode_position(sfen)
        assert np.array_equal(boards[index], board) and np.array_equal(hands[index], hand)


def test_batch_from_hcp_equals_batch_from_sfen(playout_sfens):
    sample = playout_sfens[:200]
    hcps = np.zeros(len(sample), dtype=cshogi.HuffmanCodedPos)
    board = cshogi.Board()
    for index, sfen in enumerate(sample):
        board.set_sfen(sfen)
        board.to_hcp(hcps[index : index + 1])
    from_hcp = stage2_targets(hcps)
    from_sfen = stage2_targets(sample)
    for left, right in zip(from_hcp, from_sfen, strict=True):
        assert np.array_equal(left, right)


def test_batch_masks_equal_single(playout_sfens):
    sample = playout_sfens[:200]
    masks = legal_moves_masks(sample)
    assert all(np.array_equal(masks[i], legal_moves_mask(s)) for i, s in enumerate(sample))


def test_batch_move_labels_equal_single(playout_sfens):
    sample = playout_sfens[:100]
    usis = [cshogi.move_to_usi(next(iter(cshogi.Board(s).legal_moves))) for s in sample]
    labels = move_labels(sample, usis)
    assert labels.tolist() == [move_label(s, u) for s, u in zip(sample, usis, strict=True)]


def test_masks_from_encoded_positions_equal_masks(playout_sfens):
    sample = playout_sfens[:200]
    boards, hands = encode_positions(sample)
    assert np.array_equal(legal_moves_mask_from_encoded(boards, hands), legal_moves_masks(sample))


def test_sfen_from_encoded_round_trips(playout_sfens):
    for sfen in playout_sfens[:200]:
        board, hand = encode_position(sfen)
        again = encode_position(sfen_from_encoded(board, hand))
        assert np.array_equal(again[0], board) and np.array_equal(again[1], hand)


def test_batch_names_the_bad_row():
    with pytest.raises(ValueError, match="position 1"):
        encode_positions([STARTPOS, "9/9/9 b - 1"])


def test_undecodable_hcp_names_the_row():
    rows = np.zeros((2, 32), dtype=np.uint8)
    cshogi.Board().to_hcp(rows[0])
    rows[1] = 255
    with pytest.raises(ValueError, match="row 1"):
        encode_positions(rows)


def test_hcp_with_king_square_off_the_board_is_refused_before_cshogi():
    # cshogi would write a king to square 127 and corrupt memory; the row must never reach it.
    rows = np.zeros((1, 32), dtype=np.uint8)
    cshogi.Board().to_hcp(rows[0])
    rows[0, 0] |= 0xFE  # black king field (bits 1-7) = 127
    with pytest.raises(ValueError, match="king squares 127"):
        encode_positions(rows)
