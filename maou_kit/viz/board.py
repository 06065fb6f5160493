"""Boards as pictures: encoded positions drawn with matplotlib, heatmaps on squares, cshogi SVG.

Positions are in the mover's frame (SPEC section 2): `board[y][x]`, row 0 = rank a,
column 0 = file 1, ids 1..14 the mover's pieces, 15..28 the opponent's. A board is
drawn the usual way round: file 9 on the left, rank a at the top; the mover's
pieces in black as SFEN letters, the opponent's in red lower case.

Heatmaps are (9, 9) arrays in the same `[y][x]` layout: a stage-1 target as is,
and 1496-wide label vectors (legal-move masks, move probabilities) summed per
destination square by `destination_grid`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from maou_kit.schema import MOVE_LABELS_NUM

# Mover's piece ids 1..14 as SFEN letters (FU KY KE GI KI KA HI OU TO NKY NKE NGI UMA RYU).
PIECE_LETTERS = ("", "P", "L", "N", "S", "G", "B", "R", "K", "+P", "+L", "+N", "+S", "+B", "+R")
HAND_LETTERS = ("P", "L", "N", "S", "G", "B", "R")  # hand order FU KY KE GI KI KA HI
RANK_NAMES = "abcdefghi"


def destination_grid(label_values: np.ndarray) -> np.ndarray:
    """Sum a 1496-wide label vector per destination square -> float (9, 9) as `[rank][file]`.

    For a legal-move mask: how many legal moves end on each square; for move
    probabilities: the probability mass landing on each square.
    """
    from maou_kit.shogi import LABEL_DESTINATION

    values = np.asarray(label_values, dtype=np.float64).reshape(-1)
    if values.shape != (MOVE_LABELS_NUM,):
        raise ValueError(f"label values must have {MOVE_LABELS_NUM} entries, got {values.shape}")
    by_square = np.bincount(LABEL_DESTINATION, weights=values, minlength=81)  # sq = x * 9 + y
    return by_square.reshape(9, 9).T  # [x][y] -> [y][x]


def hand_text(hand: np.ndarray) -> str:
    """'mover: P2 G | opponent: -' for a 14-long hand vector."""
    hand = np.asarray(hand).reshape(-1)

    def side(counts: np.ndarray) -> str:
        items = [f"{HAND_LETTERS[i]}{n if n > 1 else ''}" for i, n in enumerate(counts) if n > 0]
        return " ".join(items) or "-"

    return f"in hand: mover {side(hand[:7])} | opponent {side(hand[7:])}"


def draw_board(
    ax: Axes,
    board: np.ndarray,
    hand: np.ndarray | None = None,
    values: np.ndarray | None = None,
    title: str = "",
    cmap: str = "Blues",
    vmax: float | None = None,
    colorbar_label: str | None = None,
) -> None:
    """Draw an encoded board on `ax`, with an optional (9, 9) heatmap under the pieces."""
    board = np.asarray(board).reshape(9, 9)
    if values is not None:
        grid = np.asarray(values, dtype=np.float64).reshape(9, 9)[:, ::-1]  # file 9 at the left
        top = vmax if vmax is not None else max(float(grid.max()), 1e-9)
        image = ax.imshow(grid, cmap=cmap, vmin=0.0, vmax=top, extent=(-0.5, 8.5, 8.5, -0.5))
        if colorbar_label is not None:
            ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=colorbar_label)
    for y in range(9):
        for x in range(9):
            piece = int(board[y, x])
            if piece == 0:
                continue
            mover = piece <= 14
            letter = PIECE_LETTERS[piece if mover else piece - 14]
            ax.text(
                8 - x, y, letter if mover else letter.lower(), ha="center", va="center",
                fontsize=11, fontweight="bold", color="black" if mover else "tab:red",
            )  # fmt: skip
    ax.set_xlim(-0.5, 8.5)
    ax.set_ylim(8.5, -0.5)
    ax.set_xticks(range(9), [str(9 - column) for column in range(9)])
    ax.set_yticks(range(9), list(RANK_NAMES))
    ax.xaxis.tick_top()
    ax.yaxis.tick_right()
    ax.set_xticks(np.arange(-0.5, 9), minor=True)
    ax.set_yticks(np.arange(-0.5, 9), minor=True)
    ax.grid(which="minor", color="0.4", linewidth=0.6)
    ax.tick_params(which="minor", length=0)
    ax.set_aspect("equal")
    if hand is not None:
        ax.set_xlabel(hand_text(hand), fontsize="small")
    if title:
        ax.set_title(title, fontsize="medium", pad=18)


def plot_board_heatmap(
    board: np.ndarray,
    hand: np.ndarray | None,
    values: np.ndarray | None,
    title: str = "",
    colorbar_label: str | None = None,
    cmap: str = "Blues",
) -> Figure:
    """One board with a heatmap on its squares (e.g. a stage-1 target, legal-move destinations)."""
    figure = Figure(figsize=(5.2, 5.4), layout="constrained")
    draw_board(
        figure.subplots(), board, hand, values, title, cmap=cmap, colorbar_label=colorbar_label
    )
    return figure


def plot_prediction(
    board: np.ndarray,
    hand: np.ndarray | None,
    truth: np.ndarray,
    predicted: np.ndarray,
    truth_title: str,
    predicted_title: str,
    colorbar_label: str,
    title: str = "",
) -> Figure:
    """Truth and prediction as two heatmaps of the same board, on one colour scale."""
    figure = Figure(figsize=(10.4, 5.4), layout="constrained")
    left, right = figure.subplots(1, 2)
    top = max(float(np.max(truth)), float(np.max(predicted)), 1e-9)
    draw_board(left, board, hand, truth, truth_title, vmax=top)
    draw_board(
        right, board, hand, predicted, predicted_title, vmax=top, colorbar_label=colorbar_label
    )
    if title:
        figure.suptitle(title)
    return figure


def sfens_from_hcp(hcps: Sequence[bytes]) -> list[str]:
    """SFEN strings of 32-byte cshogi HCP records (the games table's `hcp` column)."""
    import cshogi

    board = cshogi.Board()
    sfens = []
    for index, record in enumerate(hcps):
        row = np.frombuffer(record, dtype=np.uint8)
        if row.shape != (32,):
            raise ValueError(f"hcp record {index} has {row.size} bytes, expected 32")
        board.set_hcp(row)
        sfens.append(board.sfen())
    return sfens


def boards_html(
    sfens: Sequence[str], captions: Sequence[str] | None = None, columns: int = 4
) -> str:
    """A grid of cshogi SVG boards with captions, as one HTML string."""
    import cshogi

    if captions is not None and len(captions) != len(sfens):
        raise ValueError(f"{len(captions)} captions for {len(sfens)} positions")
    cells = []
    for index, sfen in enumerate(sfens):
        caption = html.escape(captions[index] if captions is not None else sfen)
        cells.append(
            "<figure style='margin:4px'>"
            f"{cshogi.Board(sfen).to_svg()}"
            f"<figcaption style='font-size:small'>{caption}</figcaption></figure>"
        )
    style = f"display:grid;grid-template-columns:repeat({columns}, auto);gap:6px"
    return f"<div style='{style}'>{''.join(cells)}</div>"
