"""A run directory has one writer and can be moved: a second run on a held directory is
refused naming the holder's pid, a lock left by a dead process is taken over with a
line saying so, temporary names are unique per process, result.json stores checkpoint
paths relative to the run directory, an OS error leaves status "failed" with its
reason, and a resumed run whose checkpoint was deleted says so."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _train_tables import stage1_frame

from maou_kit.cli import main
from maou_kit.data.table_io import write_table
from maou_kit.train import LearnConfig, MultiStageTrainingOrchestrator
from maou_kit.train.run_lock import LOCK_NAME, RunDirectoryBusy, RunLock

REPO_ROOT = Path(__file__).resolve().parents[1]
STAGE1 = dict(arch="mlp-mixer", preset="tiny", device="cpu", seed=0, stage1_batch_size=8,
              stage1_max_epochs=2, stage1_threshold=0.5, stages=None)  # fmt: skip


@pytest.fixture(scope="module")
def stage1_table(tmp_path_factory) -> Path:
    return write_table(stage1_frame(24), tmp_path_factory.mktemp("tables") / "stage1.feather")


def stage1_config(table: Path, model_dir: Path) -> LearnConfig:
    settings = {key: value for key, value in STAGE1.items() if key != "stages"}
    return LearnConfig(stage="1", stage1_data_path=table, model_dir=model_dir, **settings)


def hold_lock_in_child(run_dir: Path) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from maou_kit.train.run_lock import RunLock; "
         f"RunLock({str(run_dir)!r}).acquire(); print('held', flush=True); time.sleep(60)"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_second_learn_model_on_a_held_run_directory_exits_2_naming_the_holder(
    stage1_table, tmp_path, capsys
):
    run_dir = tmp_path / "run"
    holder = hold_lock_in_child(run_dir)
    try:
        code = main(["learn-model", "--stage", "1", "--stage1-data-path", str(stage1_table),
                     "--model-dir", str(run_dir), "--arch", "mlp-mixer", "--preset", "tiny",
                     "--device", "cpu"])  # fmt: skip
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == [
        f"maou-kit learn-model: error: {run_dir}: another learn-model (pid {holder.pid}) is "
        "writing this run directory; wait for it to end or choose another --model-dir"
    ]
    assert not (run_dir / "result.json").exists()


def test_a_lock_left_by_a_dead_process_is_taken_over_with_a_line(tmp_path, capsys):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / LOCK_NAME).write_text(f"{dead.pid}\n")
    with RunLock(tmp_path):
        assert (tmp_path / LOCK_NAME).read_text() == f"{os.getpid()}\n"
    assert f"taking over the run directory from pid {dead.pid}" in capsys.readouterr().err
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_killed_holder_frees_the_directory(tmp_path):
    holder = hold_lock_in_child(tmp_path)
    with pytest.raises(RunDirectoryBusy):
        RunLock(tmp_path).acquire()
    holder.kill()
    holder.wait()
    time.sleep(0.1)
    RunLock(tmp_path).acquire().release()


def test_checkpoint_and_run_file_temporary_names_carry_the_pid(tmp_path, monkeypatch):
    from maou_kit.train.checkpoints import save_checkpoint
    from maou_kit.train.run_files import RunFiles

    names = []
    real_replace = os.replace
    monkeypatch.setattr(
        os, "replace", lambda a, b: (names.append(Path(a).name), real_replace(a, b))
    )
    save_checkpoint({"x": 1}, tmp_path / "a.pt")
    RunFiles(tmp_path).write_result({"status": "running"})
    assert names == [f".a.pt.{os.getpid()}.tmp", f".result.json.{os.getpid()}.tmp"]


def test_result_json_checkpoints_are_relative_and_a_moved_run_loads(
    stage1_table, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    MultiStageTrainingOrchestrator(stage1_config(stage1_table, Path("runs/one"))).run()
    entry = json.loads(Path("runs/one/result.json").read_text())["stages"]["1"]
    assert all("/" not in path for path in entry["checkpoints"].values()), entry["checkpoints"]
    shutil.move("runs/one", tmp_path / "moved")
    from maou_kit.eval.model_files import load_model

    loaded = load_model(tmp_path / "moved", stage=1)
    assert all(Path(path).parent == tmp_path / "moved" for path in loaded.files.values())


def test_an_os_error_mid_run_leaves_status_failed_with_its_reason(
    stage1_table, tmp_path, monkeypatch
):
    import maou_kit.train.orchestrator as orchestrator_module

    def disk_full(payload, path):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(orchestrator_module, "save_checkpoint", disk_full)
    with pytest.raises(OSError):
        MultiStageTrainingOrchestrator(stage1_config(stage1_table, tmp_path / "run")).run()
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    assert result["status"] == "failed"
    assert result["error"].startswith("OSError: [Errno 28] No space left on device")
    assert not (tmp_path / "run" / LOCK_NAME).exists()


def test_a_model_dir_naming_a_file_exits_2(stage1_table, tmp_path, capsys):
    blocker = tmp_path / "run"
    blocker.write_text("not a folder")
    code = main(["learn-model", "--stage", "1", "--stage1-data-path", str(stage1_table),
                 "--model-dir", str(blocker), "--arch", "mlp-mixer", "--preset", "tiny",
                 "--device", "cpu"])  # fmt: skip
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        f"maou-kit learn-model: error: {blocker}: is a file, expected a run directory; "
        "choose another --model-dir"
    )
    assert blocker.read_text() == "not a folder"
