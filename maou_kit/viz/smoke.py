"""Smoke mode: a run small enough to check a notebook end to end in seconds.

A smoke run checks the plumbing (tables -> loaders -> loops -> run files -> plots),
not learning. It is on when a notebook sets `SMOKE = True` or when the `CI`
environment variable is set (to anything but "", "0" or "false"), so
`CI=1 pytest --nbval-lax notebooks/` runs every notebook as it stands, quickly.

What smoke changes, after the notebook's own values have been validated:
- every stage table is cut to a seeded sample of `SMOKE_TRAIN_ROWS` training and
  `SMOKE_EVAL_ROWS` evaluation rows, written under `<RUN_DIR>/smoke_data/`;
- at most `SMOKE_EPOCHS` epochs per stage, batches of at most `SMOKE_BATCH_SIZE`;
- the `tiny` preset, unless a backbone checkpoint is given (its size is kept);
- the Stage 1-2 gates become element-wise accuracy >= `SMOKE_THRESHOLD`. An
  all-zero predictor scores ~0.9 there, so an untrained tiny model passes and the
  curriculum always reaches Stage 3; F1 and exact match are still plotted.
`run_training` also runs smoke runs on one torch thread (`smoke_threads`): on a
shared CPU, a tiny model's steps were measured 50-75x slower with two
intra-op threads than with one (thread hand-offs dominate tiny matmuls).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import polars as pl

from maou_kit.train.config import LearnConfig
from maou_kit.train.settings import SETTINGS

SMOKE_TRAIN_ROWS = 256
SMOKE_EVAL_ROWS = 64
# The caps, read back from the declaration (the module docstring names them).
SMOKE_EPOCHS = SETTINGS["stage1_max_epochs"].smoke.value  # type: ignore[union-attr]
SMOKE_BATCH_SIZE = SETTINGS["batch_size"].smoke.value  # type: ignore[union-attr]
SMOKE_THRESHOLD = SETTINGS["stage1_threshold"].smoke.value  # type: ignore[union-attr]
SMOKE_METRIC = SETTINGS["stage1_metric"].smoke.value  # type: ignore[union-attr]
SMOKE_PRESET = SETTINGS["preset"].smoke.value  # type: ignore[union-attr]
_FALSE_WORDS = ("", "0", "false", "no")


def smoke_requested(flag: bool, environ: Mapping[str, str] | None = None) -> bool:
    """True when the notebook asks for smoke mode or the `CI` environment variable is set."""
    environ = os.environ if environ is None else environ
    return flag or environ.get("CI", "").strip().lower() not in _FALSE_WORDS


def smoke_sample(frame: pl.DataFrame, rows: int, seed: int) -> pl.DataFrame:
    """A seeded sample of at most `rows` rows, in the table's original order."""
    if len(frame) <= rows:
        return frame
    return frame.with_row_index("_row").sample(rows, seed=seed).sort("_row").drop("_row")


def write_smoke_tables(config: LearnConfig, data_dir: Path) -> dict[str, Path]:
    """Sampled copies of the tables of every stage `config` runs; returns the new data paths."""
    from maou_kit.data.sources import resolve_split, table_files
    from maou_kit.data.table_io import read_table, write_table

    paths: dict[str, Path] = {}
    for stage in (int(s) for s in config.stages):
        if stage == 1:
            if config.stage1_data_path is None:
                from maou_kit.shogi import stage1_patterns

                table = stage1_patterns()
            else:
                files = table_files(config.stage1_data_path)
                table = pl.concat([read_table(f) for f in files], how="vertical_relaxed")
            target = write_table(
                smoke_sample(table, SMOKE_TRAIN_ROWS, config.seed), data_dir / "stage1.feather"
            )
            paths["stage1_data_path"] = target
            continue
        source = getattr(config, f"stage{stage}_data_path")
        split = resolve_split(source, config.test_ratio, config.seed)
        for side, files, rows in (
            ("train", split.train, SMOKE_TRAIN_ROWS),
            ("val", split.val, SMOKE_EVAL_ROWS),
        ):
            table = pl.concat([read_table(f) for f in files], how="vertical_relaxed")
            write_table(
                smoke_sample(table, rows, config.seed),
                data_dir / f"stage{stage}" / f"{side}.feather",
            )
        paths[f"stage{stage}_data_path"] = data_dir / f"stage{stage}"
    return paths


def smoke_config(config: LearnConfig, data_dir: Path) -> LearnConfig:
    """`config` cut down to a smoke run (see the module docstring); writes the sampled tables.

    What is capped or set comes from each setting's `smoke` rule in the declaration
    (`maou_kit.train.settings`); the preset stays when a backbone checkpoint is given."""
    changes: dict[str, object] = dict(write_smoke_tables(config, data_dir))
    for name, setting in SETTINGS.items():
        rule = setting.smoke
        if rule is None or (name == "preset" and config.resume_backbone_from is not None):
            continue
        value = getattr(config, name)
        if rule.cap:
            changes[name] = None if value is None else min(value, rule.value)
        else:
            changes[name] = rule.value
    return replace(config, **changes)


@contextmanager
def smoke_threads(enabled: bool) -> Iterator[None]:
    """Run the block on one torch intra-op thread when `enabled`; restore the count after."""
    if not enabled:
        yield
        return
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
