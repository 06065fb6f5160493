"""Locks down streaming datasets under a real multi-process DataLoader: every row once per
epoch across 2 workers x 2 ranks, a new order each epoch also with persistent workers,
`len(loader)` equal to the batches yielded, workers clamped to the shard count, and
the factory's train/eval behaviour (batch_size=None, shuffle, per-file drop_last)."""

from __future__ import annotations

import pytest
from _streaming_shards import row_numbers, write_numbered_shards

from maou_kit.data.loader import DataLoaderFactory
from maou_kit.data.streaming import StreamingDataLoader, StreamingStage2Dataset

SIZES = (7, 12, 5, 9, 3)  # 36 rows
TIMEOUT = 60  # seconds per batch: a hang fails the test instead of stalling the suite


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    return write_numbered_shards(tmp_path_factory.mktemp("shards"), SIZES)


def _epoch_rows(loader) -> list[int]:
    return [n for batch in loader for n in row_numbers(batch)]


def test_every_row_once_per_epoch_across_two_workers_and_two_ranks(shards):
    epochs: list[list[int]] = [[], []]
    for rank in (0, 1):
        dataset = StreamingStage2Dataset(shards, 4, shuffle=True, seed=1, rank=rank, world_size=2)
        loader = StreamingDataLoader(
            dataset, batch_size=None, num_workers=2, persistent_workers=True, timeout=TIMEOUT
        )
        for epoch in epochs:
            epoch += _epoch_rows(loader)
    for epoch in epochs:
        assert sorted(epoch) == list(range(sum(SIZES)))


def test_epoch_two_order_differs_from_epoch_one_with_persistent_workers(shards):
    factory = DataLoaderFactory(seed=2, num_workers=2, persistent_workers=True, timeout=TIMEOUT)
    loader = factory.train_loader(StreamingStage2Dataset(shards, 3), batch_size=3)
    first = _epoch_rows(loader)
    workers_of_epoch_one = loader._iterator
    second = _epoch_rows(loader)
    assert workers_of_epoch_one is not None and loader._iterator is workers_of_epoch_one
    assert second != first


def test_loader_len_equals_the_batches_yielded_with_two_workers_on_rank_one(shards):
    # More worker/rank/batch-size combinations run in-process in test_streaming_datasets.
    dataset = StreamingStage2Dataset(shards, 5, rank=1, world_size=2)
    loader = DataLoaderFactory(num_workers=2, timeout=TIMEOUT).eval_loader(dataset, 5)
    assert loader.num_workers == 2
    assert len(list(loader)) == len(loader)


def test_more_workers_than_files_are_clamped_and_the_epoch_finishes(shards):
    factory = DataLoaderFactory(num_workers=3, timeout=TIMEOUT)
    loader = factory.eval_loader(StreamingStage2Dataset(shards[:1], 4), batch_size=4)
    assert loader.num_workers == 1
    assert _epoch_rows(loader) == list(range(SIZES[0]))


def test_factory_streams_with_batch_size_none_and_its_own_batching(shards):
    factory = DataLoaderFactory(seed=4)
    dataset = StreamingStage2Dataset(shards, 100)
    train = factory.train_loader(dataset, batch_size=4)
    evaluation = factory.eval_loader(dataset, batch_size=4)
    assert train.batch_size is None and isinstance(train, StreamingDataLoader)
    assert (train.dataset.shuffle, train.dataset.drop_last) == (True, True)
    assert (evaluation.dataset.shuffle, evaluation.dataset.drop_last) == (False, False)
    assert _epoch_rows(evaluation) == list(range(sum(SIZES)))
    assert len(train) == 1 + 3 + 1 + 2 + 1  # per file: 7 12 5 9 3 rows, tails dropped
