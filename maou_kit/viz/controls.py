"""`StageControls`: learning rate, batch size, threshold and epochs, a Run button and a progress bar.

Built from a notebook's `NotebookSetup` (its values are the starting values).
Each click on Run trains the stage once more with the widget values, in a new
run directory `<RUN_DIR>/interactive/runNN`, through the same `run_training`
the notebook uses: the progress bar advances after every epoch, the curves
image is redrawn, and the status line ends with the outcome (or the error, e.g.
a value `LearnConfig` rejects). The button is disabled while a run is going.
ipywidgets 8 runs without a kernel, so `button.click()` works in plain pytest.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from maou_kit.train.settings import stage_field_setting
from maou_kit.viz.live import RunOutcome, run_training
from maou_kit.viz.notebook_config import NotebookSetup

INTERACTIVE_DIR = "interactive"
BATCH_SIZES = (8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)


class StageControls:
    """Widgets that start a run of one stage (the setup must run exactly one stage)."""

    def __init__(self, setup: NotebookSetup) -> None:
        if len(setup.config.stages) != 1:
            raise ValueError("StageControls drive one stage; this setup runs several")
        self.setup = setup
        self.stage = int(setup.config.stages[0])
        stage_config = setup.config.stage_config(setup.config.stages[0])
        self.learning_rate = widgets.FloatLogSlider(
            value=stage_config.learning_rate, base=10, min=-5, max=-1, step=0.05,
            description="learning rate", readout_format=".1e",
            style={"description_width": "initial"},
        )  # fmt: skip
        sizes = sorted({*BATCH_SIZES, stage_config.batch_size})
        self.batch_size = widgets.Dropdown(
            options=sizes, value=stage_config.batch_size, description="batch size"
        )
        # Bounds from the declared ranges (`maou_kit.train.settings`): the widgets offer
        # exactly what LearnConfig accepts at the low end of epochs and the top of the gate.
        epochs_range = stage_field_setting("max_epochs", self.stage).check
        gate = stage_field_setting("threshold", 1)
        self.epochs = widgets.IntSlider(
            value=stage_config.max_epochs, min=int(epochs_range.low),  # type: ignore[union-attr]
            max=max(50, stage_config.max_epochs), description="epochs",
        )  # fmt: skip
        self.threshold = widgets.FloatSlider(
            value=stage_config.threshold or gate.default,  # type: ignore[union-attr]
            min=0.5, max=gate.check.high, step=0.001,  # type: ignore[union-attr]
            description="threshold", readout_format=".3f",
            layout=widgets.Layout(display="none" if self.stage == 3 else None),
        )  # fmt: skip
        self.run_button = widgets.Button(description="Run", button_style="primary", icon="play")
        self.progress = widgets.IntProgress(value=0, min=0, max=stage_config.max_epochs)
        self.status = widgets.HTML("ready")
        # Hidden until the first curves arrive: an empty Image shows a broken-image icon.
        self.curves = widgets.Image(format="png", layout=widgets.Layout(display="none"))
        self.outcomes: list[RunOutcome] = []
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.learning_rate, self.batch_size]),
                widgets.HBox([self.epochs, self.threshold]),
                widgets.HBox([self.run_button, self.progress]),
                self.status,
                self.curves,
            ]
        )
        self.run_button.on_click(self._on_run)

    def next_run_dir(self) -> Path:
        """`<RUN_DIR>/interactive/runNN`, NN one past the highest existing."""
        root = self.setup.run_dir / INTERACTIVE_DIR
        taken = [int(p.name[3:]) for p in root.glob("run*") if p.name[3:].isdigit()]
        return root / f"run{max(taken, default=0) + 1:02d}"

    def changes(self) -> dict[str, Any]:
        """The widget values as notebook parameters."""
        values: dict[str, Any] = {
            "LEARNING_RATE": float(self.learning_rate.value),
            "BATCH_SIZE": int(self.batch_size.value),
            "EPOCHS": int(self.epochs.value),
        }
        if self.stage != 3:
            values["THRESHOLD"] = float(self.threshold.value)
        return values

    def _on_run(self, _: widgets.Button) -> None:
        self.run_button.disabled = True
        try:
            setup = self.setup.with_parameters(self.next_run_dir(), **self.changes())
            self.progress.max = int(self.epochs.value)
            self.progress.value = 0
            self.progress.bar_style = ""
            self.status.value = f"training in {html.escape(str(setup.run_dir))} ..."
            outcome = run_training(
                setup, figure_sink=self._show_curves, on_epoch_end=self._advance, progress=False
            )
        except Exception as error:  # shown in the widget: a callback's exception is otherwise lost
            self.status.value = f"<b>error:</b> {html.escape(f'{type(error).__name__}: {error}')}"
        else:
            self.outcomes.append(outcome)
            # A gate met early ends short of the epoch budget: show it full and green.
            self.progress.max = max(self.progress.value, 1)
            self.progress.bar_style = "danger" if outcome.status == "gate_failed" else "success"
            lines = html.escape(outcome.message).replace("\n", "<br>")
            self.status.value = (
                f"<b>{outcome.status}</b> ({html.escape(outcome.run_dir.name)}): {lines}"
            )
        finally:
            self.run_button.disabled = False

    def _advance(self, stage: Any, epoch: int, metrics: dict[str, float]) -> None:
        self.progress.value = epoch

    def _show_curves(self, png: bytes) -> None:
        self.curves.value = png
        self.curves.layout.display = None

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
