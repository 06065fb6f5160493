#!/usr/bin/env bash
# Regenerate data_samples/ from engine self-play: games -> games table -> stage tables.
# Needs a USI engine for the shipped quality (Debian: apt-get install fairy-stockfish);
# without one, `--engine auto` falls back to the built-in player (weaker games).
set -euo pipefail
cd "$(dirname "$0")"
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT

maou-kit selfplay --output "$workdir/selfplay" --games 300 --seed 1 --engine auto
maou-kit convert-records "$workdir/selfplay" --output games.feather --workers 2 --compression zstd
maou-kit build-stage1 --output stage1.feather --compression zstd
maou-kit build-stage2 games.feather --output stage2 --test-ratio 0.2 --seed 0 --compression zstd
maou-kit build-stage3 games.feather --output stage3 --test-ratio 0.2 --seed 0 --compression zstd --with-win-rate

# Extra Stage-2 training positions. Stage 2 needs no game results, and 30k positions were
# too few for its gate, so more self-play games (other seeds) go to the training side
# only; the validation split stays the held-out games above. The extra games table is
# not kept (Stage 3 uses games.feather alone).
maou-kit selfplay --output "$workdir/extra/seed2" --games 200 --seed 2 --engine auto
maou-kit selfplay --output "$workdir/extra/seed3" --games 150 --seed 3 --engine auto
maou-kit convert-records "$workdir/extra" --output "$workdir/extra.feather" --workers 2
# build-stage2 needs a validation share; both sides are merged into training below.
maou-kit build-stage2 "$workdir/extra.feather" --output "$workdir/extra_stage2" \
    --test-ratio 0.01 --seed 0
python - "$workdir/extra_stage2" <<'PY'
"""Append the extra positions to stage2/train.feather: unique by position hash, and never
a position of stage2/val.feather (the gate measures unseen positions) or already there."""
import sys
from pathlib import Path

import polars as pl

train = pl.read_ipc("stage2/train.feather")
val_ids = pl.read_ipc("stage2/val.feather", columns=["id"])["id"].implode()
extra = pl.concat([pl.read_ipc(f) for f in sorted(Path(sys.argv[1]).glob("*.feather"))])
extra = extra.unique("id", keep="first", maintain_order=True).filter(
    ~pl.col("id").is_in(val_ids) & ~pl.col("id").is_in(train["id"].implode())
)
pl.concat([train, extra]).write_ipc("stage2/train.feather", compression="zstd")
print(f"stage2/train.feather: {len(train)} + {len(extra)} extra positions")
PY

# Held-out games for evaluation (`maou-kit evaluate`): a seed never used for training data
# (training used seeds 1-3), 140 games, kept apart from every stage table.
maou-kit selfplay --output "$workdir/heldout" --games 140 --seed 7 --engine auto
maou-kit convert-records "$workdir/heldout" --output heldout_games.feather --compression zstd
