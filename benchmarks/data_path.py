"""The streaming data path: Stage-3 rows/s delivered as tensors from `.feather` shards
beside polars' raw read of the same shards and beside the training step's consumption,
and the peak memory of a streamed epoch over a small vs an 8x larger corpus.

Shards hold full Stage-3 rows (id, board, hand, the 1496-wide float32 moveLabel,
resultValue), LZ4-compressed as upstream writes them. Peak RSS is measured in fresh
child processes (`benchmarks.streaming_epoch`), one per corpus size, with the same shard
size, so the two figures differ only in how many shards the epoch walks through.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl
import torch

from benchmarks import synthetic
from benchmarks.measure import (
    Options,
    Row,
    median_and_spread,
    not_available,
    rates_interleaved,
)

BATCH_SIZE = 256  # the learn-model default for Stage 3
REPO_ROOT = Path(__file__).resolve().parents[1]


def streamed_rows(files: list[Path]) -> int:
    from maou_kit.data.loader import DataLoaderFactory, batch_size_of
    from maou_kit.data.streaming import StreamingKifDataset

    dataset = StreamingKifDataset(files, BATCH_SIZE, shuffle=True, drop_last=True)
    rows = 0
    for inputs, _targets in DataLoaderFactory(seed=0).train_loader(dataset, BATCH_SIZE):
        rows += batch_size_of(inputs)
    return rows


def polars_read(files: list[Path]) -> None:
    for path in files:
        pl.read_ipc(path)  # LZ4-compressed: decoded in full, no memory map


def training_consumption(options: Options, batches: int, repetitions: int) -> list[float]:
    """Samples/s the Stage-3 training step of the chosen model consumes (data already on device)."""
    from benchmarks.loop_overhead import (
        hand_written_epoch,
        plain_loss,
        prepared_batches,
        stage_dataset,
        stage_model,
    )
    from maou_kit.train.stages import TrainingStage
    from maou_kit.train.stepper import autocast_dtype

    stage = TrainingStage.POLICY_VALUE
    device = torch.device(options.device)
    model = stage_model(stage, options.preset).to(device)
    data = prepared_batches(stage_dataset(stage, batches * BATCH_SIZE), BATCH_SIZE, device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    amp = autocast_dtype(device, options.amp)

    def epoch() -> None:
        hand_written_epoch(model, optimizer, data, plain_loss(stage), amp, device)

    epoch()  # warm-up
    return rates_interleaved({"train": epoch}, batches * BATCH_SIZE, repetitions)["train"]


def child_epoch(directory: Path) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.streaming_epoch", str(directory)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        raise RuntimeError(f"streaming_epoch failed: {completed.stderr.strip()[-500:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def measure(quick: bool, options: Options | None = None) -> list[Row]:
    options = options or Options()
    try:
        import maou_kit.data.streaming  # noqa: F401
    except ImportError as error:
        reason = f"maou_kit.data.streaming cannot be imported ({error})"
        return [
            not_available("stage-3 streaming delivery", "rows/s", reason, ">= 0.5x"),
            not_available("stage-3 streaming vs training", "rows/s", reason, ">= 5x"),
            not_available("peak RSS of a streamed epoch", "MiB", reason, "<= 1.1x"),
        ]
    repetitions = 2 if quick else 5
    shards, rows_per_shard = (4, 2_500) if quick else (8, 25_000)
    rss_shard_rows = 25_000 if quick else 100_000
    small_rows, large_rows = (50_000, 400_000) if quick else (1_000_000, 8_000_000)
    with tempfile.TemporaryDirectory(prefix="maou_bench_") as tmp:
        root = Path(tmp)
        files = synthetic.stage3_shards(root / "rate", shards, rows_per_shard)
        total = shards * rows_per_shard
        rates = rates_interleaved(
            {"stream": lambda: streamed_rows(files), "polars": lambda: polars_read(files)},
            total,
            repetitions,
        )
        consumption = training_consumption(options, 1 if quick else 4, repetitions)
        small_dir, large_dir = root / "small", root / "large"
        synthetic.stage3_shards(small_dir, small_rows // rss_shard_rows, rss_shard_rows)
        synthetic.stage3_shards(large_dir, large_rows // rss_shard_rows, rss_shard_rows)
        small = child_epoch(small_dir)
        large = child_epoch(large_dir)
    stream, stream_spread = median_and_spread(rates["stream"])
    polars_rate, _ = median_and_spread(rates["polars"])
    train_rate, train_spread = median_and_spread(consumption)
    settings = {
        "shards": shards, "rows_per_shard": rows_per_shard, "batch_size": BATCH_SIZE,
        "compression": "lz4", "num_workers": 0, "repetitions": repetitions,
    }  # fmt: skip
    return [
        Row(
            "stage-3 streaming delivery (tensors)", stream, "rows/s",
            anchor="polars read_ipc of the same shards", anchor_value=polars_rate,
            goal=">= 0.5x", spread=stream_spread, settings=settings,
        ),
        Row(
            "stage-3 streaming vs training", stream, "rows/s",
            anchor=f"stage-3 training step ({options.preset} resnet, {options.device})",
            anchor_value=train_rate, goal=">= 5x", spread=f"training {train_spread}",
            settings={**settings, "device": options.device, "preset": options.preset},
        ),
        Row(
            f"peak RSS, streamed epoch of {large['rows']:,} rows", large["peak_rss_mib"], "MiB",
            anchor=f"same, {small['rows']:,} rows", anchor_value=small["peak_rss_mib"],
            goal="<= 1.1x", spread="one run each",
            settings={
                "rows_per_shard": rss_shard_rows, "small_rows": small_rows,
                "large_rows": large_rows, "large_epoch_seconds": large["seconds"],
                "small_epoch_seconds": small["seconds"],
            },
        ),
    ]  # fmt: skip
