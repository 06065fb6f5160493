"""ONNX export: one graph with named inputs/outputs and a dynamic batch; onnxruntime matches
torch on 1,000 real positions (max abs difference < 1e-4 in fp32); `evaluate` gives the same
figures from the .onnx file as from the checkpoint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
import torch

pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")

from maou_kit.cli import main  # noqa: E402
from maou_kit.eval import evaluate, load_model  # noqa: E402
from maou_kit.eval.positions import load_positions  # noqa: E402
from maou_kit.shogi import encode_positions  # noqa: E402
from tests._eval_models import save_tiny_stage3  # noqa: E402

GAMES = Path(__file__).resolve().parents[1] / "data_samples" / "games.feather"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("onnx")
    checkpoint = save_tiny_stage3(folder, seed=3)
    output = folder / "model.onnx"
    assert main(["export-onnx", str(checkpoint), "--output", str(output)]) == 0
    return checkpoint, output


def _real_positions(count: int) -> tuple[np.ndarray, np.ndarray]:
    games = pl.read_ipc(GAMES, columns=["hcp"]).head(count)
    rows = np.frombuffer(b"".join(games["hcp"].to_list()), dtype=np.uint8).reshape(count, 32)
    return encode_positions(rows)


def test_onnxruntime_matches_torch_on_1000_real_positions(exported):
    checkpoint, output = exported
    boards, hands = _real_positions(1000)
    session = onnxruntime.InferenceSession(str(output), providers=["CPUExecutionProvider"])
    policy, value = session.run(["policy_logits", "value_logit"], {"board": boards, "hand": hands})
    with torch.inference_mode():
        torch_policy, torch_value = load_model(checkpoint).model(
            (torch.from_numpy(boards), torch.from_numpy(hands))
        )
    assert policy.dtype == np.float32 and policy.shape == (1000, 1496) and value.shape == (1000,)
    assert np.abs(policy - torch_policy.numpy()).max() < 1e-4
    assert np.abs(value - torch_value.numpy()).max() < 1e-4


def test_the_file_loads_in_a_fresh_session_with_named_tensors_and_any_batch(exported):
    _, output = exported
    session = onnxruntime.InferenceSession(str(output), providers=["CPUExecutionProvider"])
    inputs = {item.name: (item.type, item.shape) for item in session.get_inputs()}
    outputs = [item.name for item in session.get_outputs()]
    assert inputs["board"][0] == "tensor(uint8)" and inputs["board"][1][1:] == [9, 9]
    assert inputs["hand"][0] == "tensor(uint8)" and inputs["hand"][1][1:] == [14]
    assert outputs == ["policy_logits", "value_logit"]
    assert session.get_modelmeta().custom_metadata_map["maou_kit.stage"] == "3"
    boards, hands = _real_positions(7)
    for batch in (1, 7):
        policy, value = session.run(None, {"board": boards[:batch], "hand": hands[:batch]})
        assert policy.shape == (batch, 1496) and value.shape == (batch,)


def test_evaluate_gives_the_same_figures_from_onnx_and_from_the_checkpoint(exported, tmp_path):
    checkpoint, output = exported
    games = pl.read_ipc(GAMES)
    positions = load_positions(
        games.filter(
            pl.col("gameId").is_in(games["gameId"].unique(maintain_order=True).head(3).implode())
        )
    )
    from_torch = evaluate(checkpoint, positions, bootstrap=50)
    from_onnx = evaluate(output, positions, bootstrap=50)
    assert from_onnx["model"]["format"] == "onnx"
    for group in ("policy", "value"):
        for name, figure in from_torch["figures"][group].items():
            for key in ("value", "ci_low", "ci_high"):
                assert from_onnx["figures"][group][name][key] == pytest.approx(
                    figure[key], abs=1e-5, nan_ok=True
                ), (name, key)


def test_export_refuses_an_output_that_is_not_onnx(exported, tmp_path, capsys):
    checkpoint, _ = exported
    assert main(["export-onnx", str(checkpoint), "--output", str(tmp_path / "model.bin")]) == 2
    assert "must end in .onnx" in capsys.readouterr().err


def test_a_stage2_network_exports_with_one_logits_output_and_scores_the_same(tmp_path):
    from tests._eval_models import games_of, save_tiny_run

    run = save_tiny_run(tmp_path / "run")
    output = tmp_path / "stage2.onnx"
    assert main(["export-onnx", str(run), "--stage", "2", "--output", str(output)]) == 0
    session = onnxruntime.InferenceSession(str(output), providers=["CPUExecutionProvider"])
    assert [item.name for item in session.get_outputs()] == ["logits"]
    positions = load_positions(games_of([["7g7f", "3c3d", "2g2f"]], [1]))
    from_torch = evaluate(run, positions, stage=2, bootstrap=20)["figures"]["legal_moves"]
    from_onnx = evaluate(output, positions, bootstrap=20)["figures"]["legal_moves"]
    for name, figure in from_torch.items():
        assert from_onnx[name]["value"] == pytest.approx(figure["value"], abs=1e-6), name
