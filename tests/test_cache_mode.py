"""Locks down `load_stage_datasets(..., cache_mode=...)`: "memory" gives Stage 3 a map-style
dataset read once (same rows as "file"), even when streaming is on; Stages 1-2 ignore it
and say so in one log line; "file" keeps the streaming/map-style choice."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from _streaming_shards import row_numbers, write_numbered_shards
from _train_tables import stage1_frame, stage2_frame, stage3_frame

from maou_kit.data import sources
from maou_kit.data.datasets import KifDataset, Stage1Dataset, Stage2Dataset
from maou_kit.data.loader import DataLoaderFactory
from maou_kit.data.stage_inputs import check_stage_inputs, load_stage_datasets, stage_read_mode
from maou_kit.data.streaming import StreamingKifDataset, StreamingStage2Dataset

BATCH = 4
SIZES = (8, 12, 8, 4)  # multiples of BATCH, so training passes drop no rows


@pytest.fixture
def stage3_inputs(tmp_path):
    write_numbered_shards(tmp_path / "stage3", SIZES, frame_maker=stage3_frame)
    return check_stage_inputs(3, tmp_path / "stage3", test_ratio=0.5, seed=0)


def _count_reads(monkeypatch) -> list:
    """The table files read (rows, not metadata) from now on, one entry per read."""
    reads = []
    real_read_table = sources.read_table

    def counting_read_table(path, *args, **kwargs):
        reads.append(path)
        return real_read_table(path, *args, **kwargs)

    monkeypatch.setattr(sources, "read_table", counting_read_table)
    return reads


def _eval_pass(dataset) -> dict[str, torch.Tensor]:
    """Every row of one evaluation pass, concatenated in order."""
    columns: dict[str, list[torch.Tensor]] = {}
    for (board, hand), targets in DataLoaderFactory().eval_loader(dataset, BATCH):
        for name, value in {"board": board, "hand": hand, **targets}.items():
            columns.setdefault(name, []).append(value)
    return {name: torch.cat(parts) for name, parts in columns.items()}


def test_memory_gives_stage3_map_style_datasets_even_when_streaming(stage3_inputs):
    train, evaluation = load_stage_datasets(
        stage3_inputs, streaming=True, batch_size=BATCH, cache_mode="memory"
    )
    assert type(train) is KifDataset and type(evaluation) is KifDataset
    assert (len(train), len(evaluation)) == (stage3_inputs.train_rows, stage3_inputs.eval_rows)


def test_memory_needs_no_batch_size(stage3_inputs):
    train, _ = load_stage_datasets(stage3_inputs, streaming=True, cache_mode="memory")
    assert len(train) == stage3_inputs.train_rows


def test_file_keeps_streaming_for_stage3(stage3_inputs):
    train, evaluation = load_stage_datasets(
        stage3_inputs, streaming=True, batch_size=BATCH, cache_mode="file"
    )
    assert isinstance(train, StreamingKifDataset) and isinstance(evaluation, StreamingKifDataset)


def test_memory_evaluation_rows_equal_the_streamed_ones(stage3_inputs):
    _, streamed = load_stage_datasets(stage3_inputs, streaming=True, batch_size=BATCH)
    _, in_memory = load_stage_datasets(stage3_inputs, streaming=True, cache_mode="memory")
    expected, actual = _eval_pass(streamed), _eval_pass(in_memory)
    assert set(actual) == set(expected) == {"board", "hand", "policy", "value", "legal"}
    for name in expected:
        assert torch.equal(actual[name], expected[name]), name


def test_memory_training_pass_covers_the_same_rows_as_streaming(stage3_inputs):
    streamed, _ = load_stage_datasets(stage3_inputs, streaming=True, batch_size=BATCH)
    in_memory, _ = load_stage_datasets(stage3_inputs, streaming=True, cache_mode="memory")
    loaders = DataLoaderFactory(seed=3)
    rows = [
        sorted(n for batch in loaders.train_loader(dataset, BATCH) for n in row_numbers(batch))
        for dataset in (streamed, in_memory)
    ]
    assert rows[0] == rows[1] and len(rows[0]) == stage3_inputs.train_rows


def test_memory_reads_each_file_once_over_two_epochs(stage3_inputs, monkeypatch):
    reads = _count_reads(monkeypatch)
    train, evaluation = load_stage_datasets(stage3_inputs, streaming=True, cache_mode="memory")
    loaders = DataLoaderFactory()
    for _ in range(2):
        for loader in (loaders.train_loader(train, BATCH), loaders.eval_loader(evaluation, BATCH)):
            assert sum(1 for _ in loader) > 0
    files = [*stage3_inputs.train_files, *stage3_inputs.eval_files]
    assert sorted(reads) == sorted(files)


def test_file_streaming_rereads_the_training_files_every_epoch(stage3_inputs, monkeypatch):
    reads = _count_reads(monkeypatch)
    train, _ = load_stage_datasets(stage3_inputs, streaming=True, batch_size=BATCH)
    loader = DataLoaderFactory().train_loader(train, BATCH)
    for _ in range(2):
        assert sum(1 for _ in loader) > 0
    assert sorted(reads) == sorted([*stage3_inputs.train_files] * 2)


@pytest.mark.parametrize(
    ("stage", "frame", "streaming", "how"),
    [
        (1, stage1_frame, True, "into memory once (stage 1 is never streamed)"),
        (2, stage2_frame, True, "lazily (file)"),
        (2, stage2_frame, False, "into memory once (streaming is off)"),
    ],
)
def test_memory_is_ignored_by_stages_1_and_2_with_one_log_line(
    tmp_path, caplog, stage, frame, streaming, how
):
    write_numbered_shards(tmp_path, (8, 8), frame_maker=frame)
    inputs = check_stage_inputs(stage, tmp_path, test_ratio=0.5, seed=0)
    with caplog.at_level(logging.INFO, logger="maou_kit"):
        train, _ = load_stage_datasets(
            inputs, streaming=streaming, batch_size=BATCH, cache_mode="memory"
        )
    assert [record.getMessage() for record in caplog.records] == [
        f"--cache-mode memory applies to stage 3; stage {stage} reads its tables {how}"
    ]
    expected = (
        StreamingStage2Dataset if streaming and stage == 2 else (Stage1Dataset, Stage2Dataset)
    )
    assert isinstance(train, expected)


def test_no_log_line_when_memory_applies_or_file_is_asked(stage3_inputs, tmp_path, caplog):
    write_numbered_shards(tmp_path / "stage2", (8, 8))
    stage2_inputs = check_stage_inputs(2, tmp_path / "stage2", test_ratio=0.5, seed=0)
    with caplog.at_level(logging.DEBUG, logger="maou_kit"):
        load_stage_datasets(stage3_inputs, streaming=True, cache_mode="memory")
        load_stage_datasets(stage2_inputs, streaming=True, batch_size=BATCH, cache_mode="file")
    assert caplog.records == []


@pytest.mark.parametrize(
    ("stage", "streaming", "cache_mode", "mode"),
    [
        (1, True, "file", "memory"),
        (2, True, "file", "streaming"),
        (2, True, "memory", "streaming"),
        (2, False, "file", "memory"),
        (3, True, "file", "streaming"),
        (3, True, "memory", "memory"),
        (3, False, "file", "memory"),
    ],
)
def test_read_mode_of_each_stage(stage, streaming, cache_mode, mode):
    assert stage_read_mode(stage, streaming, cache_mode) == mode


def test_unknown_cache_mode_is_refused(stage3_inputs):
    with pytest.raises(ValueError, match="unknown cache mode 'disk'; use one of file, memory"):
        load_stage_datasets(stage3_inputs, streaming=True, batch_size=BATCH, cache_mode="disk")


def test_memory_stage3_training_set_gets_legal_masks_only_when_asked(stage3_inputs):
    plain, evaluation = load_stage_datasets(stage3_inputs, cache_mode="memory")
    masked, _ = load_stage_datasets(stage3_inputs, train_legal_masks=True, cache_mode="memory")
    assert not plain.has_legal_masks and masked.has_legal_masks and evaluation.has_legal_masks
    assert np.array_equal(masked.boards, plain.boards)
