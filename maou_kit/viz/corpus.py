"""The data notebook's corpus: the games table and stage tables loaded, summarised and pictured.

`load_corpus(setup)` reads the games table and the stage tables (Stages 2-3 with a
`split` column, train/val resolved like the training run does). Stage 3's wide
target columns are not held in memory (about 6 KB per row); `stage3_policy(row)`
reads one row's move frequencies when an example needs them. In smoke mode each
table is cut to its first rows (games: the first `SMOKE_GAMES` games).

`corpus_statistics` measures what a researcher checks first: legal moves per
position, game lengths, the result balance of games, the share of duplicate
positions, and whether validation positions leak into training.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from matplotlib.figure import Figure

from maou_kit import schema
from maou_kit.train.run_layout import RESULT_FILE
from maou_kit.viz.board import destination_grid, plot_board_heatmap, sfens_from_hcp
from maou_kit.viz.notebook_config import DataSetup

SMOKE_GAMES = 10
SMOKE_STAGE_ROWS = 256
RESULT_NAMES = {
    schema.RESULT_DRAW: "draw",
    schema.RESULT_BLACK_WIN: "Black win",
    schema.RESULT_WHITE_WIN: "White win",
    schema.RESULT_NONE: "no result",
}
_STAGE3_LIGHT_COLUMNS = [schema.ID, schema.BOARD, schema.HAND, schema.RESULT_VALUE]


@dataclass(frozen=True)
class Corpus:
    games: pl.DataFrame
    stage1: pl.DataFrame
    stage2: pl.DataFrame  # with a "split" column (train / val)
    stage3: pl.DataFrame  # id, board, hand, resultValue, split (targets via stage3_policy)
    stage3_files: tuple[tuple[Path, int], ...]  # (file, rows taken from it), in frame order

    def summary(self) -> pl.DataFrame:
        """Rows and columns of every table."""
        tables = {"games": self.games, "stage1": self.stage1, "stage2": self.stage2}
        tables["stage3"] = self.stage3
        return pl.DataFrame(
            {
                "table": list(tables),
                "rows": [len(t) for t in tables.values()],
                "columns": [", ".join(t.columns) for t in tables.values()],
            }
        )

    def stage3_policy(self, row: int) -> np.ndarray:
        """The 1496 move frequencies of Stage-3 row `row`, read from its file."""
        from maou_kit.data.table_io import scan_table

        offset = row
        for path, rows in self.stage3_files:
            if offset < rows:
                frame = scan_table(path).slice(offset, 1).select(schema.MOVE_LABEL).collect()
                return np.asarray(frame[schema.MOVE_LABEL].to_numpy()[0], dtype=np.float32)
            offset -= rows
        raise IndexError(f"stage-3 row {row} out of range (table has {len(self.stage3)} rows)")

    def sample_positions(self, count: int, seed: int) -> tuple[list[str], list[str]]:
        """(SFENs, captions) of `count` seeded random positions of the games table."""
        rows = self.games.sample(min(count, len(self.games)), seed=seed)
        sfens = sfens_from_hcp(rows[schema.HCP].to_list())
        captions = [
            f"{Path(game).name} ply {ply}, {'Black' if sfen.split()[1] == 'b' else 'White'} to "
            f"move; game: {RESULT_NAMES.get(result, result)}"
            for game, ply, result, sfen in zip(
                rows[schema.GAME_ID], rows[schema.PLY], rows[schema.GAME_RESULT], sfens, strict=True
            )
        ]
        return sfens, captions


def load_corpus(setup: DataSetup) -> Corpus:
    """Read every table of the data notebook (see the module docstring)."""
    from maou_kit.data.sources import resolve_split, table_files
    from maou_kit.data.table_io import read_table

    required = (schema.HCP, schema.GAME_RESULT, schema.GAME_ID, schema.PLY)
    games = pl.concat(
        [read_table(f, required=required) for f in table_files(setup.games_path)],
        how="vertical_relaxed",
    )
    if setup.smoke:
        first_games = games[schema.GAME_ID].unique(maintain_order=True).head(SMOKE_GAMES)
        games = games.filter(pl.col(schema.GAME_ID).is_in(first_games.implode()))
    if setup.stage1_path is None:
        from maou_kit.shogi import stage1_patterns

        stage1 = stage1_patterns()
    else:
        stage1 = pl.concat([read_table(f) for f in table_files(setup.stage1_path)])
    limit = SMOKE_STAGE_ROWS if setup.smoke else None
    stage2_split = resolve_split(setup.stage2_path, 0.2, setup.seed)
    stage2_columns = [schema.ID, schema.BOARD, schema.HAND, schema.LEGAL_MOVES]
    stage2 = pl.concat(
        [
            _first_rows(read_table(path, columns=stage2_columns), limit).with_columns(
                split=pl.lit(side)
            )
            for side, files in (("train", stage2_split.train), ("val", stage2_split.val))
            for path in files
        ]
    )
    stage3_split = resolve_split(setup.stage3_path, 0.2, setup.seed)
    parts, sources = [], []
    for side, files in (("train", stage3_split.train), ("val", stage3_split.val)):
        for path in files:
            part = _first_rows(read_table(path, columns=_STAGE3_LIGHT_COLUMNS), limit)
            parts.append(part.with_columns(split=pl.lit(side)))
            sources.append((path, len(part)))
    return Corpus(games, stage1, stage2, pl.concat(parts), tuple(sources))


def _first_rows(frame: pl.DataFrame, limit: int | None) -> pl.DataFrame:
    return frame if limit is None else frame.head(limit)


@dataclass(frozen=True)
class CorpusStatistics:
    positions: int
    unique_positions: int
    games: int
    legal_moves: np.ndarray  # legal moves of every stage-2 position
    game_lengths: np.ndarray  # positions recorded per game
    results: dict[str, int]  # games per result
    stage2_val_in_train: int  # validation positions whose id also occurs in training

    @property
    def duplicate_rate(self) -> float:
        """Share of games-table positions that repeat an earlier one."""
        return 1.0 - self.unique_positions / self.positions if self.positions else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "positions": self.positions,
            "unique_positions": self.unique_positions,
            "duplicate_rate": self.duplicate_rate,
            "games": self.games,
            "results": self.results,
            "legal_moves_mean": float(np.mean(self.legal_moves)),
            "legal_moves_median": float(np.median(self.legal_moves)),
            "legal_moves_max": int(np.max(self.legal_moves)),
            "game_length_mean": float(np.mean(self.game_lengths)),
            "game_length_max": int(np.max(self.game_lengths)),
            "stage2_val_in_train": self.stage2_val_in_train,
        }


def corpus_statistics(corpus: Corpus) -> CorpusStatistics:
    """Legal moves per position, game lengths, result balance, duplicates, split leakage."""
    games = corpus.games
    per_game = games.group_by(schema.GAME_ID, maintain_order=True).agg(
        pl.len().alias("positions"), pl.col(schema.GAME_RESULT).first().alias("result")
    )
    results = {
        RESULT_NAMES.get(code, str(code)): count
        for code, count in per_game["result"].value_counts(sort=True).iter_rows()
    }
    masks = corpus.stage2[schema.LEGAL_MOVES].to_numpy().reshape(len(corpus.stage2), -1)
    train_ids = corpus.stage2.filter(pl.col("split") == "train")[schema.ID]
    val_ids = corpus.stage2.filter(pl.col("split") == "val")[schema.ID]
    return CorpusStatistics(
        positions=len(games),
        unique_positions=games[schema.HCP].n_unique(),
        games=len(per_game),
        legal_moves=masks.sum(axis=1, dtype=np.int64),
        game_lengths=per_game["positions"].to_numpy(),
        results=results,
        stage2_val_in_train=int(val_ids.is_in(train_ids.implode()).sum()),
    )


def plot_corpus_statistics(stats: CorpusStatistics) -> Figure:
    """Four panels: legal moves per position, game lengths, results per game, duplicates."""
    figure = Figure(figsize=(11, 7), layout="constrained")
    (legal, lengths), (results, duplicates) = figure.subplots(2, 2)
    legal.hist(stats.legal_moves, bins=40, color="tab:blue")
    legal.axvline(np.mean(stats.legal_moves), color="tab:red", linestyle="--", label="mean")
    legal.set(title="legal moves per position (stage 2)", xlabel="legal moves", ylabel="positions")
    legal.legend()
    lengths.hist(stats.game_lengths, bins=30, color="tab:green")
    lengths.set(title="game lengths", xlabel="positions per game", ylabel="games")
    results.bar(list(stats.results), list(stats.results.values()), color="tab:purple")
    results.set(title=f"results of {stats.games} games", ylabel="games")
    duplicate_count = stats.positions - stats.unique_positions
    duplicates.bar(
        ["unique", "repeats"], [stats.unique_positions, duplicate_count], color="tab:gray"
    )
    duplicates.set(
        title=f"positions: {stats.duplicate_rate:.1%} repeat an earlier one", ylabel="positions"
    )
    return figure


def plot_stage_example(corpus: Corpus, stage: int, seed: int = 0, row: int | None = None) -> Figure:
    """A stage table's target on its board: reachable squares (1), legal-move or played-move
    destinations (2, 3). `row` picks the row, else a seeded random one."""
    frame = {1: corpus.stage1, 2: corpus.stage2, 3: corpus.stage3}[stage]
    if row is None:
        row = int(np.random.default_rng(seed).integers(len(frame)))
    if not 0 <= row < len(frame):
        raise IndexError(f"stage-{stage} row {row} out of range (table has {len(frame)} rows)")
    board = np.asarray(frame[schema.BOARD][row].to_numpy()).reshape(9, 9)
    hand = np.asarray(frame[schema.HAND][row].to_numpy())
    if stage == 1:
        values = np.asarray(frame[schema.REACHABLE][row].to_numpy()).reshape(9, 9)
        title = f"stage 1 row {row}: reachable squares ({int(values.sum())})"
        label = "reachable"
    elif stage == 2:
        mask = np.asarray(frame[schema.LEGAL_MOVES][row].to_numpy())
        values = destination_grid(mask)
        title = f"stage 2 row {row}: where its {int(mask.sum())} legal moves end"
        label = "legal moves ending here"
    else:
        values = destination_grid(corpus.stage3_policy(row))
        value = float(frame[schema.RESULT_VALUE][row])
        title = f"stage 3 row {row}: played moves by destination\n(value target {value:.2f})"
        label = "share of played moves"
    return plot_board_heatmap(board, hand, values, title, colorbar_label=label)


def write_data_result(setup: DataSetup, stats: CorpusStatistics) -> Path:
    """`<run_dir>/result.json` of the data notebook: inputs, smoke flag and the statistics."""
    setup.run_dir.mkdir(parents=True, exist_ok=True)
    inputs = {
        "games": setup.games_path, "stage1": setup.stage1_path,
        "stage2": setup.stage2_path, "stage3": setup.stage3_path,
    }  # fmt: skip
    result = {
        "status": "completed",
        "notebook": "00_data",
        "smoke": setup.smoke,
        "inputs": {name: str(path) if path else None for name, path in inputs.items()},
        "statistics": stats.to_dict(),
    }
    path = setup.run_dir / RESULT_FILE
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path
