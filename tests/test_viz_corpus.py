"""Locks down the data notebook's measurements on hand-made tables: duplicates,
game lengths, result balance, legal moves per position, validation leakage, and
that the corpus loader reads the shipped samples (smoke-sized) with its splits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from maou_kit import schema
from maou_kit.shogi import legal_moves_mask
from maou_kit.viz.corpus import Corpus, corpus_statistics, load_corpus, plot_stage_example
from maou_kit.viz.notebook_config import DataSetup

SAMPLES = Path(__file__).resolve().parents[1] / "data_samples"
START = "lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1"


def small_corpus() -> Corpus:
    # Game g1: 3 positions, the first repeated at its end; game g2: 1 position. g1 White wins.
    games = pl.DataFrame(
        {
            schema.HCP: [b"a" * 32, b"b" * 32, b"a" * 32, b"c" * 32],
            schema.GAME_ID: ["g1", "g1", "g1", "g2"],
            schema.PLY: [0, 1, 2, 0],
            schema.GAME_RESULT: [2, 2, 2, 0],
        }
    )
    masks = np.stack([legal_moves_mask(START), np.zeros(schema.MOVE_LABELS_NUM, np.uint8)])
    stage2 = pl.DataFrame(
        {
            schema.ID: [7, 7],
            schema.LEGAL_MOVES: pl.Series(masks, dtype=pl.Array(pl.UInt8, schema.MOVE_LABELS_NUM)),
            "split": ["train", "val"],
        }
    )
    return Corpus(games, pl.DataFrame(), stage2, pl.DataFrame(), ())


def test_duplicate_rate_counts_repeated_positions():
    stats = corpus_statistics(small_corpus())
    assert (stats.positions, stats.unique_positions) == (4, 3) and stats.duplicate_rate == 0.25


def test_game_lengths_and_results_are_per_game():
    stats = corpus_statistics(small_corpus())
    assert sorted(stats.game_lengths.tolist()) == [1, 3]
    assert stats.results == {"White win": 1, "draw": 1}


def test_legal_moves_per_position_come_from_the_stage2_masks():
    assert corpus_statistics(small_corpus()).legal_moves.tolist() == [30, 0]


def test_validation_positions_seen_in_training_are_counted():
    assert corpus_statistics(small_corpus()).stage2_val_in_train == 1


def test_loader_reads_the_samples_smoke_sized_with_splits(tmp_path):
    setup = DataSetup(
        run_dir=tmp_path, games_path=SAMPLES / "games.feather", stage1_path=None,
        stage2_path=SAMPLES / "stage2", stage3_path=SAMPLES / "stage3",
        boards_to_show=2, seed=0, smoke=True,
    )  # fmt: skip
    corpus = load_corpus(setup)
    assert corpus.games[schema.GAME_ID].n_unique() == 10 and len(corpus.stage1) == 1105
    assert sorted(corpus.stage2["split"].unique()) == ["train", "val"]
    assert corpus.stage3_policy(len(corpus.stage3) - 1).sum() == pytest.approx(1.0, abs=1e-5)
    sfens, captions = corpus.sample_positions(2, seed=0)
    assert len(sfens) == 2 and "ply" in captions[0]
    assert (
        plot_stage_example(corpus, stage=3, row=0).axes[0].get_title().startswith("stage 3 row 0")
    )
