"""Child process of tests/test_resume.py: `maou-kit learn-model ARGS`, made repeatable.

Usage: python _resume_driver.py [--signal-at STAGE EPOCH SIGNAL] -- learn-model ARGS...

- Deterministic CPU settings: deterministic algorithms, one thread.
- The Stage 1-2 gates are scripted (`scripted_evaluate`): the gate metric reads 0 before
  epoch GATE_EPOCHS[stage] and 1 from then on, so each stage trains a fixed number of
  epochs whatever the weights; everything else (training, metrics, checkpoints) is real.
- `--signal-at 2 2 SIGKILL` sends the signal to this process right after stage 2 epoch 2
  has been recorded in metrics.jsonl and before that epoch's checkpoint is written, so
  the newest checkpoint is epoch 1's and the resumed run has to redo epoch 2.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

GATE_EPOCHS = {1: 2, 2: 3}


def install_scripted_gates(setattr_: Any = setattr) -> None:
    """Replace `SingleStageTrainingLoop.evaluate` by `scripted_evaluate` (monkeypatch-able)."""
    from maou_kit.train.single_stage import SingleStageTrainingLoop

    real_evaluate = SingleStageTrainingLoop.evaluate

    def scripted_evaluate(self: Any) -> dict[str, float]:
        evaluation = real_evaluate(self)
        epoch = self.epochs_done + 1  # evaluate runs before the epoch is counted
        passed = epoch >= GATE_EPOCHS[int(self.config.stage)]
        evaluation[self.config.metric] = 1.0 if passed else 0.0
        return evaluation

    setattr_(SingleStageTrainingLoop, "evaluate", scripted_evaluate)


def _signal_after_epoch(stage: int, epoch: int, signum: int) -> None:
    from maou_kit.train.orchestrator import MultiStageTrainingOrchestrator

    record_epoch = MultiStageTrainingOrchestrator._record_epoch

    def record_then_signal(self: Any, at_stage: Any, at_epoch: int, metrics: Any) -> None:
        record_epoch(self, at_stage, at_epoch, metrics)
        if (int(at_stage), at_epoch) == (stage, epoch):
            os.kill(os.getpid(), signum)

    MultiStageTrainingOrchestrator._record_epoch = record_then_signal


def main(argv: list[str]) -> int:
    import torch

    from maou_kit.cli import main as cli_main

    separator = argv.index("--")
    options, cli_args = argv[:separator], argv[separator + 1 :]
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    install_scripted_gates()
    if options[:1] == ["--signal-at"]:
        stage, epoch, name = options[1:4]
        _signal_after_epoch(int(stage), int(epoch), getattr(signal, name))
    return cli_main(cli_args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
