"""Locks down the streaming datasets in one process (workers simulated through
`get_worker_info`): which rows each rank and worker reads, that `__len__` equals the
batches yielded, seeded per-epoch shuffles, batches identical to the map-style ones,
and that only one shard is held at a time."""

from __future__ import annotations

import weakref
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from _streaming_shards import row_numbers, write_numbered_shards
from _train_tables import stage1_frame, stage3_frame

from maou_kit.data import streaming
from maou_kit.data.datasets import KifDataset, Stage1Dataset, Stage2Dataset
from maou_kit.data.shards import read_stage2_dataset
from maou_kit.data.streaming import (
    StreamingKifDataset,
    StreamingStage1Dataset,
    StreamingStage2Dataset,
    assign_files_to_ranks,
    effective_workers,
)
from maou_kit.data.table_io import read_table

SIZES = (7, 12, 5, 9, 3, 10)  # uneven on purpose; 46 rows


@pytest.fixture
def shards(tmp_path):
    return write_numbered_shards(tmp_path, SIZES, suffixes=(".feather", ".parquet"))


def _batches_as_worker(dataset, monkeypatch, worker: int, workers: int) -> list:
    info = SimpleNamespace(id=worker, num_workers=workers)
    monkeypatch.setattr(streaming, "get_worker_info", lambda: info)
    return list(dataset)


def _all_workers(dataset, monkeypatch, workers: int) -> list:
    return [b for w in range(workers) for b in _batches_as_worker(dataset, monkeypatch, w, workers)]


def test_effective_workers_never_exceeds_the_shards():
    assert effective_workers(4, 2) == 2
    assert effective_workers(2, 5) == 2
    assert effective_workers(0, 5) == 0
    with pytest.raises(ValueError):
        effective_workers(-1, 5)


def test_rank_split_gives_every_file_to_exactly_one_rank():
    ranks = assign_files_to_ranks(SIZES, 4)
    assert sorted(i for files in ranks for i in files) == list(range(len(SIZES)))
    assert all(files for files in ranks)


@pytest.mark.parametrize(("workers", "world_size"), [(1, 1), (2, 2), (3, 3), (4, 2)])
def test_every_row_once_per_pass_across_simulated_workers_and_ranks(
    shards, monkeypatch, workers, world_size
):
    seen = []
    for rank in range(world_size):
        dataset = StreamingStage2Dataset(
            shards, 4, shuffle=True, seed=3, rank=rank, world_size=world_size
        )
        dataset.set_epoch(11)
        seen += [n for b in _all_workers(dataset, monkeypatch, workers) for n in row_numbers(b)]
    assert sorted(seen) == list(range(sum(SIZES)))


@pytest.mark.parametrize("batch_size", [1, 4, 5, 13, 50])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize(("workers", "world_size"), [(1, 1), (2, 1), (3, 2), (2, 3)])
def test_len_equals_the_batches_yielded(
    shards, monkeypatch, batch_size, drop_last, workers, world_size
):
    for rank in range(world_size):
        dataset = StreamingStage2Dataset(
            shards, batch_size, shuffle=True, drop_last=drop_last, rank=rank,
            world_size=world_size,
        )  # fmt: skip
        assert len(_all_workers(dataset, monkeypatch, workers)) == len(dataset)


def test_drop_last_drops_each_file_tail_but_keeps_a_file_smaller_than_a_batch(shards):
    dataset = StreamingStage2Dataset(shards, 6, shuffle=True, drop_last=True)
    sizes = sorted(len(row_numbers(batch)) for batch in dataset)
    # 7 -> 6, 12 -> 6 6, 5 -> 5 (only batch), 9 -> 6, 3 -> 3 (only batch), 10 -> 6
    assert sizes == [3, 5, 6, 6, 6, 6, 6]


def test_len_reads_no_rows(shards, monkeypatch):
    def refuse(files):
        raise AssertionError("rows were read")

    monkeypatch.setattr(streaming, "read_stage2_dataset", refuse)
    assert len(StreamingStage2Dataset(shards, 4)) == sum(-(-n // 4) for n in SIZES)


def test_same_epoch_key_repeats_the_order_and_a_new_key_changes_it(shards):
    dataset = StreamingStage2Dataset(shards, 4, shuffle=True, seed=7)
    dataset.set_epoch(1)
    first = [n for batch in dataset for n in row_numbers(batch)]
    again = [n for batch in dataset for n in row_numbers(batch)]
    dataset.set_epoch(2)
    second = [n for batch in dataset for n in row_numbers(batch)]
    assert first == again
    assert second != first and sorted(second) == sorted(first)


def test_without_shuffle_rows_come_in_file_order(shards):
    dataset = StreamingStage2Dataset(shards, 4)
    assert [n for batch in dataset for n in row_numbers(batch)] == list(range(sum(SIZES)))


def test_only_one_shard_is_held_at_a_time(shards, monkeypatch):
    live: list[weakref.ref] = []
    reads = []

    def counting_reader(files):
        reads.append(sum(ref() is not None for ref in live))
        shard = read_stage2_dataset(files)
        live.append(weakref.ref(shard))
        return shard

    monkeypatch.setattr(streaming, "read_stage2_dataset", counting_reader)
    for _ in StreamingStage2Dataset(shards, 4, shuffle=True):
        pass
    assert reads == [0] * len(SIZES)


def _assert_same_batch(streamed, mapped):
    assert type(streamed) is type(mapped)
    if isinstance(mapped, torch.Tensor):
        assert streamed.dtype == mapped.dtype and torch.equal(streamed, mapped)
    elif isinstance(mapped, dict):
        assert streamed.keys() == mapped.keys()
        for key in mapped:
            _assert_same_batch(streamed[key], mapped[key])
    else:
        assert len(streamed) == len(mapped)
        for streamed_part, mapped_part in zip(streamed, mapped, strict=True):
            _assert_same_batch(streamed_part, mapped_part)


@pytest.mark.parametrize(
    ("streaming_class", "map_class", "frame_maker", "options"),
    [
        (StreamingStage1Dataset, Stage1Dataset, stage1_frame, {}),
        (StreamingStage2Dataset, Stage2Dataset, None, {}),
        (StreamingKifDataset, KifDataset, stage3_frame, {"with_legal_masks": True}),
    ],
)
def test_streamed_batches_equal_map_style_batches(
    tmp_path, streaming_class, map_class, frame_maker, options
):
    maker = {} if frame_maker is None else {"frame_maker": frame_maker}
    (table,) = write_numbered_shards(tmp_path, [10], **maker)
    mapped = map_class.from_frame(read_table(table))
    streamed = list(streaming_class([table], 4, **options))
    for index, batch in enumerate(streamed):
        rows = np.arange(index * 4, min(index * 4 + 4, 10))
        _assert_same_batch(batch, mapped.__getitems__(rows))
    assert len(streamed) == 3


def test_more_ranks_than_files_is_refused(shards):
    with pytest.raises(ValueError, match="ranks"):
        StreamingStage2Dataset(shards[:2], 4, rank=0, world_size=3)


def test_a_file_whose_row_count_changed_is_named(shards):
    dataset = StreamingStage2Dataset(shards[:1], 4, row_counts=[8])
    with pytest.raises(ValueError, match=shards[0].name):
        list(dataset)


def test_mirror_augmentation_reaches_the_streamed_batches(shards):
    originals = read_stage2_dataset(shards).boards
    dataset = StreamingStage2Dataset(shards, 8, shuffle=True)
    dataset.mirror_augmentation = True
    torch.manual_seed(0)
    mirrored = 0
    for batch in dataset:
        for board, number in zip(batch[0][0].numpy(), row_numbers(batch), strict=True):
            flipped = np.array_equal(board, originals[number][:, ::-1])
            assert flipped or np.array_equal(board, originals[number])
            mirrored += flipped and not np.array_equal(board, originals[number])
    assert 0 < mirrored < sum(SIZES)
