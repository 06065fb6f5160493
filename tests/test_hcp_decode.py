"""Locks down the array HCP decoder (`maou_kit.shogi.hcp`) against cshogi's own decoder, on
sample games, random playouts, real records (handicap ones included) and hand-made
positions, and the batch stage-2 targets against a per-position reference read from
cshogi's accessors."""

from __future__ import annotations

import cshogi
import numpy as np
import polars as pl
import pytest
from conftest import REPO_ROOT, random_playout_sfens

from maou_kit.schema import HCP
from maou_kit.shogi import legal_moves_mask, stage2_targets
from maou_kit.shogi.encoding import decode_batch
from maou_kit.shogi.hcp import decode_hcp, hcp_problems
from maou_kit.shogi.records import RECORD_SUFFIXES, read_records

SAMPLE_GAMES = REPO_ROOT / "data_samples" / "games.feather"
# cshogi piece code (& 15) -> our kind id FU KY KE GI KI KA HI OU TO NKY NKE NGI UMA RYU.
KIND_OF_CODE = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 7, 7: 5, 8: 8, 9: 9, 10: 10, 11: 11, 12: 12,
                13: 13, 14: 14}  # fmt: skip


def hcp_of(sfens: list[str]) -> np.ndarray:
    rows = np.zeros((len(sfens), 32), dtype=np.uint8)
    board = cshogi.Board()
    for index, sfen in enumerate(sfens):
        board.set_sfen(sfen)
        board.to_hcp(rows[index])
    return rows


def cshogi_fields(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pieces, hands, white) of each row as cshogi's decoder and accessors give them."""
    board = cshogi.Board()
    pieces, hands, white = [], [], []
    for row in rows:
        board.set_hcp(row)
        pieces.append(board.pieces)
        hands.append(board.pieces_in_hand)
        white.append(board.turn == cshogi.WHITE)
    return np.array(pieces, np.uint8), np.array(hands, np.uint8), np.array(white)


def assert_decodes_like_cshogi(rows: np.ndarray) -> None:
    decoded = decode_hcp(rows)
    pieces, hands, white = cshogi_fields(rows)
    assert decoded.exact.all()
    assert np.array_equal(decoded.pieces, pieces)
    assert np.array_equal(decoded.hands, hands)
    assert np.array_equal(decoded.white, white)


@pytest.fixture(scope="module")
def sample_rows() -> np.ndarray:
    """The 38k positions of the bundled self-play games (both sides to move, every piece
    kind promoted and in either hand)."""
    hcps = pl.read_ipc(SAMPLE_GAMES, columns=[HCP])[HCP].to_list()
    return np.frombuffer(b"".join(hcps), dtype=np.uint8).reshape(len(hcps), 32)


@pytest.fixture(scope="module")
def playout_rows() -> np.ndarray:
    """Positions of random games, which pile up captured pieces in both hands."""
    return hcp_of(random_playout_sfens(games=20, max_plies=200, seed=7))


@pytest.fixture(scope="module")
def kifu_rows(shared_kifu) -> np.ndarray:
    """Every position of the real records with two kings (handicap games included)."""
    board = cshogi.Board()
    rows = []
    for path in sorted(shared_kifu.rglob("*")):
        if path.suffix.lower() not in RECORD_SUFFIXES or path.suffix.lower() == ".hcpe":
            continue
        for game in read_records(path).games:
            board.set_sfen(game.start_sfen)
            for move in (None, *game.moves):
                if move is not None:
                    board.push_usi(move)
                row = np.zeros(32, dtype=np.uint8)
                board.to_hcp(row)
                rows.append(row)
    rows = np.array(rows)
    # Tsume positions without one of the kings get king square 81: never shown to cshogi.
    return rows[[problem is None for problem in hcp_problems(rows)]]


def test_sample_games_cover_every_piece_hand_and_side_to_move(sample_rows):
    decoded = decode_hcp(sample_rows)
    assert set(np.unique(decoded.pieces)) == {0, *range(1, 15), *range(17, 31)}
    assert (decoded.hands > 0).any(axis=0).all()  # every kind in either hand
    assert decoded.white.any() and not decoded.white.all()


def test_sample_games_decode_like_cshogi(sample_rows):
    assert_decodes_like_cshogi(sample_rows)


def test_random_playouts_decode_like_cshogi(playout_rows):
    assert_decodes_like_cshogi(playout_rows)


def test_real_records_decode_like_cshogi(kifu_rows):
    decoded = decode_hcp(kifu_rows)
    pieces_on_board_or_in_hand = (decoded.pieces > 0).sum(axis=1) + decoded.hands.sum(axis=(1, 2))
    assert (pieces_on_board_or_in_hand < 40).any()  # handicap games: pieces in the box
    assert_decodes_like_cshogi(kifu_rows)


HAND_PIECES = "PLNSGBRplnsgbr"


@pytest.mark.parametrize("piece", HAND_PIECES)
def test_each_hand_code_decodes_like_cshogi(piece):
    # Kings and one piece in hand: cshogi writes that piece's hand code and fills the rest
    # of the record with the codes of the 37 pieces left in the box.
    rows = hcp_of([f"4k4/9/9/9/9/9/9/9/4K4 b {piece} 1"])
    decoded = decode_hcp(rows)
    expected = np.zeros(14, dtype=np.uint8)
    expected[HAND_PIECES.index(piece)] = 1
    assert decoded.exact.all()
    assert np.array_equal(decoded.hands.reshape(14), expected)
    assert_decodes_like_cshogi(rows)


HANDMADE = {
    "kings on the first and last squares": "8K/9/9/9/9/9/9/9/k8 w - 1",
    "kings on the two squares of one decoding step": "9/9/9/9/4k4/4K4/9/9/9 b - 1",
    "every piece in a hand": "4k4/9/9/9/9/9/9/9/4K4 w RB2G2S2N2L9Prb2g2s2n2l9p 1",
    "every promoted piece on the board": "+R+B2k4/+S+N+L+P5/9/9/9/9/9/+p+l+n+s5/+r+b2K4 b 4G8P8p 1",
    "handicap, rook and bishop in the box": "lnsgkgsnl/9/ppppppppp/9/9/9/PPPPPPPPP/9/LNSGKGSNL b - 1",
}


@pytest.mark.parametrize("sfen", HANDMADE.values(), ids=HANDMADE.keys())
def test_handmade_positions_decode_to_the_position_written(sfen):
    board = cshogi.Board(sfen)
    decoded = decode_hcp(hcp_of([sfen]))
    assert decoded.exact.all()
    assert np.array_equal(decoded.pieces[0], np.array(board.pieces, np.uint8))
    assert np.array_equal(decoded.hands[0], np.array(board.pieces_in_hand, np.uint8))
    assert decoded.white[0] == (board.turn == cshogi.WHITE)


def stream_row(turn: int, black_king: int, white_king: int, tail: str) -> np.ndarray:
    """An HCP row from its fields: 79 empty squares, then `tail` bits (stream order), zeros."""
    bits = [turn] + [(black_king >> i) & 1 for i in range(7)]
    bits += [(white_king >> i) & 1 for i in range(7)] + [0] * 79 + [int(bit) for bit in tail]
    stream = np.zeros(256, dtype=np.uint8)
    stream[: len(bits)] = bits
    return np.packbits(stream, bitorder="little")[None]


def test_overflowing_hand_is_not_exact_and_is_read_back_from_cshogi():
    # 162 zero bits after the board read as 54 Black pawns: more than cshogi's 5-bit field.
    rows = stream_row(0, 4, 76, "")
    assert not decode_hcp(rows).exact[0]
    batch = decode_batch(rows)
    pieces, hands, _ = cshogi_fields(rows)
    assert np.array_equal(batch.pieces, pieces) and np.array_equal(batch.hands, hands)


def test_invalid_hand_code_is_not_exact_and_the_batch_names_the_row():
    # "011" starts no hand code (cshogi: "incorrect Huffman code").
    rows = np.concatenate([hcp_of([cshogi.STARTING_SFEN]), stream_row(0, 4, 76, "011")])
    assert decode_hcp(rows).exact.tolist() == [True, False]
    with pytest.raises(ValueError, match="row 1 does not decode"):
        decode_batch(rows)


def test_king_square_off_the_board_decodes_without_touching_memory():
    rows = stream_row(1, 127, 3, "")
    assert not decode_hcp(rows).exact[0]


def reference_targets(rows: np.ndarray):
    """Per position from cshogi's accessors: board and hands in the mover's frame, the
    single-position legal mask and the hash."""
    board = cshogi.Board()
    boards, hands, masks, hashes = [], [], [], []
    for row in rows:
        board.set_hcp(row)
        white = board.turn == cshogi.WHITE
        pieces = board.pieces
        encoded = np.zeros((9, 9), dtype=np.uint8)
        for y in range(9):
            for x in range(9):
                square = 80 - (x * 9 + y) if white else x * 9 + y
                code = pieces[square]
                if code:
                    theirs = (code >= 16) != white
                    encoded[y, x] = KIND_OF_CODE[code & 15] + (14 if theirs else 0)
        black_hand, white_hand = board.pieces_in_hand
        boards.append(encoded)
        hands.append((white_hand + black_hand) if white else (black_hand + white_hand))
        masks.append(legal_moves_mask(board.sfen()))
        hashes.append(board.zobrist_hash())
    return (
        np.array(boards),
        np.array(hands, np.uint8),
        np.array(masks),
        np.array(hashes, np.uint64),
    )


def test_stage2_targets_equal_the_per_position_reference(sample_rows, playout_rows):
    # More rows than one chunk of any batch stage (decode, encode, masks).
    rows = np.concatenate([sample_rows[::3], playout_rows])
    for got, expected in zip(stage2_targets(rows), reference_targets(rows), strict=True):
        assert got.dtype == expected.dtype
        assert np.array_equal(got, expected)


def test_stage2_targets_on_real_records_equal_the_reference(kifu_rows):
    for got, expected in zip(stage2_targets(kifu_rows), reference_targets(kifu_rows), strict=True):
        assert np.array_equal(got, expected)


def test_stage2_targets_of_no_positions_are_empty():
    boards, hands, masks, hashes = stage2_targets(np.zeros((0, 32), dtype=np.uint8))
    assert boards.shape == (0, 9, 9) and hands.shape == (0, 14)
    assert masks.shape == (0, 1496) and hashes.shape == (0,)
