"""Child process of the data-path row: one training epoch of streamed Stage-3 batches.

`python -m benchmarks.streaming_epoch DIR [--batch-size N]` reads every `.feather` file
of DIR through `StreamingKifDataset` and the kit's DataLoaderFactory, touches every
batch, and prints one JSON line: rows, seconds, peak_rss_mib (this process's own peak
resident set, from getrusage; run in a fresh process so nothing else inflates it).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path


def stream_epoch(directory: Path, batch_size: int) -> dict[str, float]:
    from maou_kit.data.loader import DataLoaderFactory, batch_size_of
    from maou_kit.data.streaming import StreamingKifDataset

    files = sorted(directory.glob("*.feather"))
    dataset = StreamingKifDataset(files, batch_size, shuffle=True, drop_last=True)
    loader = DataLoaderFactory(seed=0).train_loader(dataset, batch_size)
    started = time.perf_counter()
    rows = 0
    for inputs, targets in loader:
        rows += batch_size_of(inputs)
        targets["policy"].sum()  # touch the targets, as a loss would
    return {"rows": rows, "seconds": time.perf_counter() - started}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args(argv)
    result = stream_epoch(args.directory, args.batch_size)
    # Linux reports ru_maxrss in KiB
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
