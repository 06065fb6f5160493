"""Locks down the loops: one optimizer step moves every trainable parameter of backbone
and head(s) in all three stages; the Stage 1-2 gate stops at the first epoch whose
eval-mode metric reaches the threshold and otherwise reports the best epoch; the gate
reads the evaluation loader; Stage 3 validates every epoch, stops early on a stalled
validation loss and resumes exactly from its own state."""

from __future__ import annotations

import copy

import pytest
import torch
from _train_loops import gated_loop, policy_value_loop
from _train_tables import stage2_frame

from maou_kit.data.datasets import Stage2Dataset
from maou_kit.train import SingleStageTrainingLoop, TrainingLoop, TrainingStage


def _unchanged_parameters(model: torch.nn.Module, step) -> list[str]:
    before = {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}
    step()
    after = dict(model.named_parameters())
    return [name for name, value in before.items() if torch.equal(value, after[name])]


@pytest.mark.parametrize("arch", ["resnet", "mlp-mixer", "vit"])
@pytest.mark.parametrize("stage", [TrainingStage.REACHABLE_SQUARES, TrainingStage.LEGAL_MOVES])
def test_one_step_changes_every_backbone_and_head_parameter_in_gated_stages(stage, arch):
    loop = gated_loop(stage, arch=arch)
    assert _unchanged_parameters(loop.model, loop.train_epoch) == []
    assert loop.parts.stepper.optimizer_steps == 1


def test_one_step_changes_every_backbone_and_both_head_parameters_in_stage3():
    loop = policy_value_loop()
    assert _unchanged_parameters(loop.model, loop.train_epoch) == []
    assert loop.parts.stepper.optimizer_steps == 1


def _scripted(loop: SingleStageTrainingLoop, values: list[float], metric: str) -> list[bool]:
    """Replace the evaluation with scripted gate values; record the model's mode at each call."""
    modes = []
    real_evaluate = loop.evaluate
    scripted = iter(values)

    def evaluate() -> dict[str, float]:
        result = real_evaluate()
        modes.append(loop.model.training)
        result[metric] = next(scripted)
        return result

    loop.evaluate = evaluate
    return modes


def test_gate_stops_at_the_first_epoch_that_reaches_the_threshold():
    loop = gated_loop(TrainingStage.REACHABLE_SQUARES, threshold=0.9, max_epochs=5)
    modes = _scripted(loop, [0.5, 0.8, 0.95, 0.99, 0.99], "accuracy")
    result = loop.run()
    assert result.threshold_met is True
    assert result.epochs_trained == 3 and result.best_epoch == 3
    assert result.achieved == pytest.approx(0.95)
    assert modes == [False, False, False]  # judged in eval mode


def test_missed_gate_reports_the_best_epoch():
    loop = gated_loop(TrainingStage.LEGAL_MOVES, metric="f1", threshold=0.9, max_epochs=3)
    _scripted(loop, [0.5, 0.7, 0.6], "f1")
    result = loop.run()
    assert result.threshold_met is False
    assert result.epochs_trained == 3 and result.best_epoch == 2
    assert result.achieved == pytest.approx(0.7) and result.metric_name == "f1"


def test_gate_reached_on_the_last_budgeted_epoch_is_reported_as_the_stop():
    loop = gated_loop(TrainingStage.REACHABLE_SQUARES, threshold=0.9, max_epochs=2)
    _scripted(loop, [0.5, 0.95], "accuracy")
    assert loop.run().stopped_by == "gate reached"


def test_gate_metrics_come_from_the_evaluation_loader():
    validation = Stage2Dataset.from_frame(stage2_frame(5, seed=9))
    loop = gated_loop(TrainingStage.LEGAL_MOVES, rows=8, max_epochs=1, eval_set=validation)
    result = loop.run()
    assert result.metrics["rows"] == 5


def test_epoch_hook_gets_all_metrics_and_baselines():
    records = []
    loop = gated_loop(TrainingStage.REACHABLE_SQUARES, max_epochs=1)
    loop.on_epoch_end = lambda stage, epoch, metrics: records.append((stage, epoch, metrics))
    loop.run()
    stage, epoch, metrics = records[0]
    assert (stage, epoch) == (TrainingStage.REACHABLE_SQUARES, 1)
    for name in ("accuracy", "f1", "exact_match"):
        assert name in metrics and f"baseline_{name}" in metrics
    assert {"train_loss", "lr", "seconds"} <= set(metrics)


def test_stage3_validation_reports_empty_target_rows():
    loop = policy_value_loop(max_epochs=1)
    result = loop.run()
    assert result.metrics["empty_target_rows"] == 2
    assert "legal_top1_accuracy" in result.metrics


def test_stage3_early_stopping_waits_patience_epochs_after_the_best():
    loop = policy_value_loop(max_epochs=6, early_stopping_patience=2)
    real_validate = loop.validate
    losses = iter([1.0, 0.9, 0.95, 0.97, 0.5, 0.4])

    def validate() -> dict[str, float]:
        return {**real_validate(), "loss": next(losses)}

    loop.validate = validate
    result = loop.run()
    assert result.epochs_trained == 4 and result.best_epoch == 2
    assert result.achieved == pytest.approx(0.9) and result.metric_name == "val_loss"


def _stage3_run_with_val_losses(losses: list[float], **overrides):
    loop = policy_value_loop(max_epochs=len(losses), **overrides)
    real_validate, remaining = loop.validate, iter(losses)
    loop.validate = lambda: {**real_validate(), "loss": next(remaining)}
    return loop.run()


def test_stage3_result_names_patience_as_the_stop_and_the_best_epoch_as_the_weights():
    result = _stage3_run_with_val_losses([1.0, 0.9, 0.95, 0.97, 0.5], early_stopping_patience=2)
    assert result.stopped_by == "no validation-loss gain for 2 epochs"
    assert result.weights_epoch == 2


def test_stage3_patience_zero_never_stops_early():
    result = _stage3_run_with_val_losses([1.0, 0.9, 0.95, 0.97, 0.99], early_stopping_patience=0)
    assert result.epochs_trained == 5 and result.stopped_by == "epoch budget of 5 used"


def test_stage3_keep_last_weights_reports_the_last_epoch_as_the_weights():
    result = _stage3_run_with_val_losses(
        [1.0, 0.9, 0.95], early_stopping_patience=0, keep_best_weights=False
    )
    assert result.weights_epoch == 3


def test_stage3_resumes_exactly_from_its_saved_state():
    torch.manual_seed(0)
    uninterrupted = policy_value_loop(rows=12, batch_size=4, max_epochs=2)
    states = []
    uninterrupted.on_checkpoint = lambda state: states.append(copy.deepcopy(state))
    torch.manual_seed(1)
    uninterrupted.run()
    resumed = policy_value_loop(rows=12, batch_size=4, max_epochs=2)
    resumed.load_state_dict(states[0])
    assert resumed.run().epochs_trained == 2
    for name, value in uninterrupted.model.state_dict().items():
        assert torch.allclose(value, resumed.model.state_dict()[name]), name
    assert resumed.parts.scheduler.last_epoch == uninterrupted.parts.scheduler.last_epoch


def _scripted_stage3(losses: list[float], **overrides) -> tuple[TrainingLoop, list[dict]]:
    """A stage-3 loop whose validation losses are `losses`; returns it and its per-epoch states."""
    loop = policy_value_loop(max_epochs=len(losses), **overrides)
    real_validate = loop.validate
    scripted = iter(losses)
    loop.validate = lambda: {**real_validate(), "loss": next(scripted)}
    states: list[dict] = []
    loop.on_checkpoint = lambda state: states.append(copy.deepcopy(state))
    return loop, states


def test_stage3_ends_with_the_weights_of_its_best_validation_epoch():
    loop, states = _scripted_stage3([1.0, 0.5, 0.9])
    result = loop.run()
    assert result.best_epoch == 2 and result.metrics["loss"] == 0.5
    for name, value in loop.model.backbone.state_dict().items():
        assert torch.equal(value, states[1]["backbone"][name]), name


def test_stage3_keeps_the_last_weights_when_asked():
    loop, states = _scripted_stage3([1.0, 0.5, 0.9], keep_best_weights=False)
    loop.run()
    for name, value in loop.model.backbone.state_dict().items():
        assert torch.equal(value, states[2]["backbone"][name]), name
