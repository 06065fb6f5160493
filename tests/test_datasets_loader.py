"""Locks down the DataLoader factory: batches come straight from `__getitems__` (no
re-collation), training shuffles (differently each epoch) and drops the last partial
batch, evaluation does neither, and batch sizes are read from nested inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _train_tables import stage2_frame

from maou_kit.data.datasets import Stage2Dataset
from maou_kit.data.loader import DataLoaderFactory, batch_size_of


@pytest.fixture
def dataset() -> Stage2Dataset:
    return Stage2Dataset.from_frame(stage2_frame(10))


def _row_ids(loader) -> list[int]:
    """Dataset row index of every row the loader yields (the random boards are distinct)."""
    ids = []
    boards = loader.dataset.boards.reshape(len(loader.dataset), -1)
    for (board, _), _ in loader:
        for row in board.reshape(len(board), -1).numpy():
            ids.append(int(np.flatnonzero((boards == row).all(axis=1))[0]))
    return ids


def test_batch_size_of_reads_nested_inputs():
    board = torch.zeros(5, 9, 9)
    assert batch_size_of(board) == 5
    assert batch_size_of(((board, torch.zeros(5, 14)), torch.zeros(5, 81))) == 5
    assert batch_size_of([{"policy": torch.zeros(3, 1496)}, None]) == 3
    assert batch_size_of({"inputs": (np.zeros((7, 2)),)}) == 7


def test_batch_size_of_rejects_values_without_a_batch_dimension():
    with pytest.raises(ValueError):
        batch_size_of(torch.tensor(1.0))
    with pytest.raises(ValueError):
        batch_size_of(())


def test_loader_yields_the_dataset_batch_structure_unchanged(dataset):
    loader = DataLoaderFactory().eval_loader(dataset, batch_size=4)
    (board, hand), targets = next(iter(loader))
    assert board.shape == (4, 9, 9) and board.dtype == torch.uint8
    assert hand.shape == (4, 14) and targets.shape == (4, 1496)


def test_train_loader_shuffles_and_drops_the_last_partial_batch(dataset):
    loader = DataLoaderFactory(seed=1).train_loader(dataset, batch_size=4)
    ids = _row_ids(loader)
    assert len(loader) == 2 and len(ids) == 8
    assert ids != sorted(ids)


def test_eval_loader_keeps_order_and_the_last_partial_batch(dataset):
    loader = DataLoaderFactory(seed=1).eval_loader(dataset, batch_size=4)
    assert [batch_size_of(batch) for batch in loader] == [4, 4, 2]
    assert _row_ids(loader) == list(range(10))


def test_epoch_two_order_differs_from_epoch_one(dataset):
    loader = DataLoaderFactory(seed=1).train_loader(dataset, batch_size=5)
    assert _row_ids(loader) != _row_ids(loader)


def test_same_seed_gives_the_same_order(dataset):
    first = _row_ids(DataLoaderFactory(seed=7).train_loader(dataset, batch_size=5))
    second = _row_ids(DataLoaderFactory(seed=7).train_loader(dataset, batch_size=5))
    assert first == second


def test_train_set_smaller_than_one_batch_still_yields_one_batch(dataset):
    loader = DataLoaderFactory().train_loader(dataset, batch_size=64)
    assert [batch_size_of(batch) for batch in loader] == [10]


def test_worker_options_are_passed_only_with_workers(dataset):
    without = DataLoaderFactory(prefetch_factor=4, timeout=5).train_loader(dataset, 4)
    assert without.num_workers == 0 and without.timeout == 0
    with_workers = DataLoaderFactory(num_workers=1, prefetch_factor=4, timeout=5).train_loader(
        dataset, 4
    )
    assert with_workers.prefetch_factor == 4 and with_workers.persistent_workers
    assert with_workers.timeout == 5 and with_workers.worker_init_fn is not None


def test_worker_process_batches_match_in_process_batches(dataset):
    in_process = list(DataLoaderFactory().eval_loader(dataset, 5))
    workers = list(DataLoaderFactory(num_workers=1).eval_loader(dataset, 5))
    for (inputs_a, targets_a), (inputs_b, targets_b) in zip(in_process, workers, strict=True):
        assert torch.equal(inputs_a[0], inputs_b[0]) and torch.equal(targets_a, targets_b)
