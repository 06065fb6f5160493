"""Locks down device feeding: the buffer-depth rule, the CPU pass-through, the bounded
CUDA read-ahead, and that spawned persistent workers run through it for several
epochs without hanging (the upstream deadlock)."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from maou_kit.train.prefetch import DataPrefetcher, calculate_recommended_buffer_size, to_device

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


class CountingLoader:
    """A loader that counts how many batches the consumer side has pulled from it."""

    def __init__(self, batches: list, batch_size: int | None = None) -> None:
        self.batches = batches
        self.batch_size = batch_size
        self.pulled = 0

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        for batch in self.batches:
            self.pulled += 1
            yield batch


def nested_batches(count: int, rows: int = 4) -> list:
    """Batches shaped like Stage 3's: ((board, hand), {"policy", "value"})."""
    generator = torch.Generator().manual_seed(0)
    return [
        (
            (torch.randint(0, 29, (rows, 9, 9), generator=generator), torch.zeros(rows, 14)),
            {"policy": torch.rand(rows, 1496, generator=generator), "value": torch.rand(rows)},
        )
        for _ in range(count)
    ]


def assert_same_batch(actual, expected) -> None:
    (board, hand), targets = actual
    (expected_board, expected_hand), expected_targets = expected
    assert torch.equal(board.cpu(), expected_board)
    assert torch.equal(hand.cpu(), expected_hand)
    assert targets.keys() == expected_targets.keys()
    for key in targets:
        assert torch.equal(targets[key].cpu(), expected_targets[key])


@pytest.mark.parametrize(
    ("batch_size", "expected"),
    [
        (1, 3), (128, 3), (129, 5), (256, 5), (257, 8), (512, 8),
        (513, 12), (1024, 12), (1025, 8), (2048, 8), (2049, 4), (65536, 4),
    ],
)  # fmt: skip
def test_buffer_size_follows_upstream_table_at_each_boundary(batch_size, expected):
    assert calculate_recommended_buffer_size(batch_size) == expected


@pytest.mark.parametrize(
    ("batch_size", "num_workers", "expected"),
    [
        (1024, 3, 12), (1024, 4, 8), (1024, 7, 8), (1024, 8, 6), (1024, 32, 6),
        (512, 4, 5), (512, 8, 4), (2048, 4, 5), (2048, 8, 4),
    ],
)  # fmt: skip
def test_many_workers_shrink_the_buffer_for_large_batches(batch_size, num_workers, expected):
    assert calculate_recommended_buffer_size(batch_size, num_workers) == expected


@pytest.mark.parametrize("batch_size", [64, 256, 511])
def test_many_workers_leave_small_batch_buffers_alone(batch_size):
    assert calculate_recommended_buffer_size(
        batch_size, num_workers=16
    ) == calculate_recommended_buffer_size(batch_size)


@pytest.mark.parametrize("num_workers", [4, 8, 64])
def test_buffer_size_never_drops_below_two(num_workers):
    assert calculate_recommended_buffer_size(100_000, num_workers) == 2


@pytest.mark.parametrize(("batch_size", "num_workers"), [(0, 0), (256, -1)])
def test_buffer_size_rejects_impossible_inputs(batch_size, num_workers):
    with pytest.raises(ValueError, match=">= "):
        calculate_recommended_buffer_size(batch_size, num_workers)


def test_cpu_pass_through_yields_the_same_batches_in_order():
    batches = nested_batches(5)
    yielded = list(DataPrefetcher(CountingLoader(batches), "cpu"))
    assert len(yielded) == len(batches)
    for actual, expected in zip(yielded, batches, strict=True):
        assert_same_batch(actual, expected)


def test_cpu_pass_through_does_not_copy_tensors_already_there():
    batches = nested_batches(2)
    for actual, expected in zip(DataPrefetcher(batches, "cpu"), batches, strict=True):
        assert actual[0][0] is expected[0][0]
        assert actual[1]["policy"] is expected[1]["policy"]


def test_cpu_pass_through_reads_nothing_ahead_of_the_consumer():
    loader = CountingLoader(nested_batches(6))
    for received, _ in enumerate(DataPrefetcher(loader, "cpu", buffer_size=4), start=1):
        assert loader.pulled == received


def test_length_is_the_loaders():
    assert len(DataPrefetcher(CountingLoader(nested_batches(7)), "cpu")) == 7


def test_every_iteration_is_a_fresh_pass():
    loader = CountingLoader(nested_batches(3))
    prefetcher = DataPrefetcher(loader, "cpu")
    assert [len(list(prefetcher)), len(list(prefetcher))] == [3, 3]


def test_default_buffer_size_comes_from_the_loaders_batch_size_and_workers():
    loader = DataLoader(TensorDataset(torch.zeros(8, 2)), batch_size=1024)
    assert DataPrefetcher(loader, "cpu").buffer_size == 12


def test_default_buffer_size_comes_from_a_streaming_datasets_batch_size():
    class BatchingDataset:
        batch_size = 2048

    class StreamingLikeLoader(CountingLoader):
        dataset = BatchingDataset()
        num_workers = 8

    loader = StreamingLikeLoader(nested_batches(1), batch_size=None)
    assert DataPrefetcher(loader, "cpu").buffer_size == 4


def test_spawned_persistent_workers_run_two_epochs_through_the_prefetcher():
    """Upstream's background-thread prefetcher hung here; `timeout` turns a hang into an error."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    rows = torch.arange(24).view(12, 2)
    loader = DataLoader(
        TensorDataset(rows),
        batch_size=4,
        num_workers=2,
        persistent_workers=True,
        multiprocessing_context="spawn",
        timeout=120,
    )
    prefetcher = DataPrefetcher(loader, device)
    epochs = [torch.cat([batch[0].cpu() for batch in prefetcher]) for _ in range(2)]
    assert all(torch.equal(epoch, rows) for epoch in epochs)


@needs_cuda
def test_cuda_batches_equal_plain_copies():
    batches = nested_batches(6)
    device = torch.device("cuda")
    yielded = list(DataPrefetcher(CountingLoader(batches), device, buffer_size=3))
    assert all(actual[0][0].device.type == "cuda" for actual in yielded)
    for actual, expected in zip(yielded, batches, strict=True):
        assert_same_batch(actual, to_device(expected, torch.device("cpu")))


@needs_cuda
def test_cuda_keeps_exactly_buffer_size_batches_in_flight():
    loader = CountingLoader(nested_batches(10))
    prefetcher = DataPrefetcher(loader, torch.device("cuda"), buffer_size=3)
    for received, _ in enumerate(prefetcher, start=1):
        assert loader.pulled == min(received + 3, 10)


@needs_cuda
def test_cuda_buffer_size_falls_back_to_the_first_batch_rows():
    loader = CountingLoader(nested_batches(20, rows=1024))
    prefetcher = DataPrefetcher(loader, torch.device("cuda"))
    next(iter(prefetcher))
    assert prefetcher.buffer_size == 12
    assert loader.pulled == 13
