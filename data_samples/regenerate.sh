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
