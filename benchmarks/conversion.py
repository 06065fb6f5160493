"""Record conversion at corpus scale, each figure beside its anchor from the same run:

- positions/s of `convert_records` in one process (`workers=0`) beside a plain cshogi
  loop over the same CSA files (`cshogi.CSA.Parser.parse_file`, replay with `push`,
  `to_hcp` per position): the floor any converter on cshogi pays;
- 2 workers (crash isolation on) beside 1 worker, wall time of the whole conversion;
- peak RSS of `convert_records_to_file` over 10x the files beside the smaller corpus,
  each in a fresh process (`benchmarks.conversion_rss`, worker processes included);
- `build_stage2_tables` / `build_stage3_tables` positions/s on the converted table,
  beside cshogi's `set_hcp` + `list(legal_moves)` over the same rows.

The corpus is generated (`benchmarks.record_corpus`): 3,000 CSA files, 381k positions
(quick: 200 files); the RSS pair is 3,000 vs 30,000 files (quick: 100 vs 1,000).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import cshogi
import cshogi.CSA
import numpy as np

from benchmarks.measure import Options, Row, median_and_spread, rates_interleaved
from benchmarks.record_corpus import write_corpus

REPO_ROOT = Path(__file__).resolve().parents[1]


def plain_cshogi(files: list[Path]) -> int:
    """Parse, replay and write the HCP of every position: the anchor."""
    board = cshogi.Board()
    positions = 0
    for path in files:
        for game in cshogi.CSA.Parser.parse_file(str(path)):
            board.set_sfen(game.sfen)
            hcps = np.empty(len(game.moves), dtype=cshogi.HuffmanCodedPos)
            for ply, move in enumerate(game.moves):
                board.to_hcp(hcps[ply : ply + 1])
                board.push(move)
            positions += len(game.moves)
    return positions


def raw_enumeration(hcps: np.ndarray) -> None:
    board = cshogi.Board()
    for row in hcps:
        board.set_hcp(row)
        list(board.legal_moves)


def child_conversion(folder: Path, output: Path, workers: int) -> dict:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.conversion_rss", str(folder), str(output), str(workers)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        raise RuntimeError(f"conversion_rss failed: {completed.stderr.strip()[-500:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def measure(quick: bool, options: Options | None = None) -> list[Row]:
    """Rows of this group; CPU-side work, `options` do not apply."""
    from maou_kit.data.convert import convert_records
    from maou_kit.data.stage_tables import build_stage2_tables, build_stage3_tables

    files_count, rss_pair = (200, (100, 1_000)) if quick else (3_000, (3_000, 30_000))
    repetitions = 2 if quick else 3
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="maou_bench_records_") as tmp:
        root = Path(tmp)
        files = write_corpus(root / "kifu", files_count)
        positions = plain_cshogi(files)
        rates = rates_interleaved(
            {
                "kit": lambda: convert_records([root / "kifu"], workers=0),
                "plain": lambda: plain_cshogi(files),
            },
            positions,
            repetitions,
        )
        kit, kit_spread = median_and_spread(rates["kit"])
        plain, _ = median_and_spread(rates["plain"])
        settings = {"files": files_count, "positions": positions, "repetitions": repetitions}
        rows.append(
            Row(
                "record conversion, one process", kit, "positions/s",
                anchor="plain cshogi CSA parse + replay + to_hcp", anchor_value=plain,
                goal=">= 0.5x", spread=kit_spread, settings=settings,
            )
        )  # fmt: skip
        workers = rates_interleaved(
            {
                "one": lambda: convert_records([root / "kifu"], workers=1),
                "two": lambda: convert_records([root / "kifu"], workers=2),
            },
            positions,
            repetitions,
        )
        two, two_spread = median_and_spread(workers["two"])
        one, _ = median_and_spread(workers["one"])
        rows.append(
            Row(
                "record conversion, 2 workers (crash isolation)", two, "positions/s",
                anchor="same, 1 worker", anchor_value=one, goal=">= 1.6x",
                spread=two_spread, settings=settings,
            )
        )  # fmt: skip
        small_dir, large_dir = root / "small", root / "large"
        write_corpus(small_dir, rss_pair[0])
        write_corpus(large_dir, rss_pair[1])
        small = child_conversion(small_dir, root / "small.feather", 1)
        large = child_conversion(large_dir, root / "large.feather", 1)
        rows.append(
            Row(
                f"peak RSS, convert-records of {rss_pair[1]:,} files", large["peak_rss_mib"],
                "MiB", anchor=f"same, {rss_pair[0]:,} files", anchor_value=small["peak_rss_mib"],
                goal="<= 1.1x", spread="one run each",
                settings={"small_rows": small["rows"], "large_rows": large["rows"],
                          "large_seconds": large["seconds"], "small_seconds": small["seconds"]},
            )
        )  # fmt: skip
        games, _ = convert_records([root / "kifu"], workers=0)
    hcps = np.stack([np.frombuffer(value, dtype=np.uint8) for value in games["hcp"].to_list()])
    build = rates_interleaved(
        {
            "stage2": lambda: build_stage2_tables(games, 0.2, seed=0, progress=False),
            "stage3": lambda: build_stage3_tables(games, 0.2, seed=0, progress=False),
            "raw": lambda: raw_enumeration(hcps),
        },
        games.height,
        repetitions,
    )
    raw, _ = median_and_spread(build["raw"])
    for stage in ("stage2", "stage3"):
        value, spread = median_and_spread(build[stage])
        rows.append(
            Row(
                f"build-{stage} on the converted table", value,
                "positions/s", anchor="cshogi set_hcp + list(legal_moves) on the same rows",
                anchor_value=raw, goal=">= 0.5x", spread=spread,
                settings={"rows": games.height, "test_ratio": 0.2},
            )
        )  # fmt: skip
    return rows
