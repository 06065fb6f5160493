"""Operating-system failures and signals end every data command in one line, with the
right exit code, and leave no temporary file and no half-replaced output behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from _record_corpus import csa_corpus

from maou_kit.cli import main
from maou_kit.data.stage_writer import write_splits
from maou_kit.data.table_io import write_table

REPO_ROOT = Path(__file__).resolve().parents[1]


def leftovers(folder: Path) -> list[str]:
    """Hidden temporary files or folders anywhere under `folder`."""
    return sorted(str(p) for p in folder.rglob(".*") if ".tmp" in p.name or ".new" in p.name)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return csa_corpus(tmp_path_factory.mktemp("corpus") / "kifu", 2500)


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory) -> Path:
    return csa_corpus(tmp_path_factory.mktemp("small") / "kifu", 20)


def run_cli(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "maou_kit.cli", *arguments],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def one_error_line(stderr: str, command: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"maou-kit {command}: "), stderr
    return lines[0]


def test_output_naming_a_folder_is_bad_input(small_corpus, tmp_path, capsys):
    code = main(["convert-records", str(small_corpus), "--output", str(tmp_path)])
    assert code == 2
    assert f"--output {tmp_path}: is a folder" in capsys.readouterr().err


def test_a_file_where_the_output_folder_should_be_is_bad_input(tmp_path, capsys):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    games = tmp_path / "games.feather"
    pl.DataFrame({"a": [1]}).write_ipc(games)
    code = main(["build-stage2", str(games), "--output", str(blocker / "stage2")])
    assert code == 2
    assert f"{blocker} is a file, not a folder" in capsys.readouterr().err


def test_disk_full_during_a_table_write_fails_in_one_line_and_keeps_the_old_table(
    small_corpus, tmp_path, monkeypatch, capsys
):
    output = tmp_path / "games.feather"
    write_table(pl.DataFrame({"old": [1, 2, 3]}), output)
    before = output.read_bytes()

    def full_disk(self, path, **options):
        Path(path).write_bytes(b"partial")  # what a real write leaves before ENOSPC
        raise OSError("No space left on device (os error 28)")  # as polars raises it

    monkeypatch.setattr(pl.DataFrame, "write_ipc", full_disk)
    code = main(["convert-records", str(small_corpus), "--output", str(output), "--workers", "0"])
    line = one_error_line(capsys.readouterr().err, "convert-records")
    assert code == 1
    assert str(output) in line and "the disk is full" in line
    assert output.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_permission_denied_fails_in_one_line(small_corpus, tmp_path, capsys):
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        output = locked / "games.feather"
    else:  # root ignores chmod; sysfs refuses new files even to root
        output = Path("/sys/maou_kit_test_games.feather")
        try:
            os.open(output, os.O_CREAT | os.O_WRONLY)
        except PermissionError:
            pass
        else:
            output.unlink()
            pytest.skip("running as root where /sys is writable")
    code = main(["convert-records", str(small_corpus), "--output", str(output), "--workers", "0"])
    line = one_error_line(capsys.readouterr().err, "convert-records")
    assert code == 1
    assert "not permitted" in line or "Permission denied" in line
    assert "change the permissions or choose another path" in line


def test_an_interrupted_stage_build_keeps_the_old_tables_and_leaves_no_temporary_folder(
    tmp_path, monkeypatch
):
    write_splits({"train": pl.DataFrame({"x": [1]}), "val": pl.DataFrame({"x": [2]})},
                 tmp_path, 10, ".feather")  # fmt: skip
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    calls = []

    def interrupted_second_write(df, path, compression="lz4"):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return write_table(df, path, compression)

    monkeypatch.setattr("maou_kit.data.stage_writer.write_table", interrupted_second_write)
    new = {"train": pl.DataFrame({"x": [5, 6]}), "val": pl.DataFrame({"x": [7]})}
    with pytest.raises(KeyboardInterrupt):
        write_splits(new, tmp_path, 10, ".feather")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def start_conversion(corpus: Path, output: Path, workers: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "maou_kit.cli", "convert-records", str(corpus),
         "--output", str(output), "--workers", str(workers)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group, as a terminal would make it
    )  # fmt: skip


def ignores_sigint(pid: int) -> bool:
    """True until the worker has set SIGINT to its default action (it is starting up)."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    masks = [int(line.split()[1], 16) for line in status if line.startswith(("SigIgn", "SigCgt"))]
    return any(mask & (1 << (signal.SIGINT - 1)) for mask in masks)


def worker_pids(pid: int, count: int, timeout: float = 60.0) -> list[int]:
    """The child processes of `pid` once `count` of them run (the spawned workers)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        workers = [  # not multiprocessing's resource tracker
            int(child) for child in children
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
            and not ignores_sigint(int(child))  # still starting up
        ]  # fmt: skip
        if len(workers) >= count:
            return workers
        time.sleep(0.05)
    raise AssertionError("the workers never started")


@pytest.mark.parametrize(
    ("target", "signal_number", "code"),
    [
        ("group", signal.SIGINT, 130),  # Ctrl-C in a terminal
        ("worker", signal.SIGINT, 130),
        ("parent", signal.SIGTERM, 143),
    ],
)
def test_a_signal_stops_the_whole_conversion_in_one_line(
    corpus, tmp_path, target, signal_number, code
):
    output = tmp_path / "games.feather"
    write_table(pl.DataFrame({"old": [1]}), output)
    before = output.read_bytes()
    process = start_conversion(corpus, output, workers=2)
    workers = worker_pids(process.pid, 2)
    if target == "group":
        os.killpg(process.pid, signal_number)
    elif target == "worker":
        os.kill(workers[0], signal_number)
    else:
        os.kill(process.pid, signal_number)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == code, stderr
    line = one_error_line(stderr, "convert-records")
    assert "interrupted" in line and signal.Signals(signal_number).name in line
    assert output.read_bytes() == before
    assert leftovers(tmp_path) == []
    for worker in workers:  # no worker outlives the command
        assert (
            not Path(f"/proc/{worker}").exists()
            or "Z" in Path(f"/proc/{worker}/stat").read_text().split()[2]
        )


def test_a_closed_stdout_ends_quietly_and_the_table_is_still_written(small_corpus, tmp_path):
    output = tmp_path / "games.feather"
    process = subprocess.Popen(
        [sys.executable, "-m", "maou_kit.cli", "convert-records", str(small_corpus),
         "--output", str(output), "--workers", "0"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    process.stdout.close()  # like `| head` that has read enough
    stderr = process.stderr.read().decode()
    process.wait(timeout=120)
    assert stderr == ""
    assert process.returncode == 141
    assert pl.read_ipc(output).height > 0


@pytest.mark.parametrize(("signal_number", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_selfplay_in_one_line_keeping_finished_games(tmp_path, signal_number, code):
    output = tmp_path / "games"
    process = subprocess.Popen(
        [sys.executable, "-m", "maou_kit.cli", "selfplay", "--output", str(output),
         "--games", "500", "--engine", "builtin"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not list(output.glob("*.csa")) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal_number)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    line = one_error_line(stderr, "selfplay")
    assert "interrupted" in line and signal.Signals(signal_number).name in line
    assert list(output.glob("*.csa"))
    assert not list(output.glob("*.partial"))


# `maou-kit build-stage2 ...` whose second table write sends SIGTERM to its own process,
# so the signal lands mid-write every time.
SIGTERM_ON_SECOND_WRITE = """
import os, signal, sys
import maou_kit.data.stage_writer as stage_writer
from maou_kit.cli import main
real_write, calls = stage_writer.write_table, []
def write_then_signal(*args, **kwargs):
    calls.append(args)
    if len(calls) == 2:
        os.kill(os.getpid(), signal.SIGTERM)
    return real_write(*args, **kwargs)
stage_writer.write_table = write_then_signal
sys.exit(main(sys.argv[1:]))
"""


def test_sigterm_during_build_stage2_keeps_the_old_tables(tmp_path):
    games_file = REPO_ROOT / "data_samples" / "games.feather"
    output = tmp_path / "stage2"
    write_splits({"train": pl.DataFrame({"x": [1]}), "val": pl.DataFrame({"x": [2]})},
                 output, 10, ".feather")  # fmt: skip
    before = {p.name: p.read_bytes() for p in output.iterdir()}
    completed = subprocess.run(
        [sys.executable, "-c", SIGTERM_ON_SECOND_WRITE, "build-stage2", str(games_file),
         "--output", str(output)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert completed.returncode == 143, completed.stderr
    assert "interrupted (SIGTERM)" in one_error_line(completed.stderr, "build-stage2")
    assert {p.name: p.read_bytes() for p in output.iterdir()} == before
