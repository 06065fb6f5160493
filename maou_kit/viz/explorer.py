"""`PredictionExplorer`: step through positions and compare a stage's prediction with the truth.

The widget shows, for the selected position, the truth and the model's
prediction as heatmaps on the same board (see `predictions`), the position as
a cshogi SVG board, and a summary line. A slider and previous/next buttons
select the position; `step(+1)` does what the next button does. ipywidgets 8
works without a kernel, so the logic is testable in plain pytest.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import numpy as np

from maou_kit.viz.board import plot_prediction
from maou_kit.viz.display import figure_png
from maou_kit.viz.notebook_config import NotebookSetup
from maou_kit.viz.predictions import StagePredictor, load_stage_predictor


class PredictionExplorer:
    """Positions (boards, hands, targets) browsed one at a time against a `StagePredictor`."""

    def __init__(
        self,
        predictor: StagePredictor,
        boards: np.ndarray,
        hands: np.ndarray,
        targets: np.ndarray,
        value_targets: np.ndarray | None = None,
        title: str = "",
    ) -> None:
        if not len(boards):
            raise ValueError("PredictionExplorer needs at least one position")
        if not len(boards) == len(hands) == len(targets):
            raise ValueError(
                f"boards, hands and targets differ in length: {len(boards)}, {len(hands)}, "
                f"{len(targets)}"
            )
        self.predictor = predictor
        self.boards, self.hands, self.targets = boards, hands, targets
        self.value_targets = value_targets
        self.title = title
        self.position = widgets.IntSlider(
            value=0, min=0, max=len(boards) - 1, description="position", continuous_update=False
        )
        self.previous_button = widgets.Button(description="previous", icon="arrow-left")
        self.next_button = widgets.Button(description="next", icon="arrow-right")
        self.summary = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.board_svg = widgets.HTML()
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.previous_button, self.position, self.next_button]),
                self.summary,
                # Wraps the board below the heatmaps on narrow notebook columns instead of
                # pushing it off the right edge.
                widgets.HBox(
                    [self.image, self.board_svg], layout=widgets.Layout(flex_flow="row wrap")
                ),
            ]
        )
        self.previous_button.on_click(lambda _: self.step(-1))
        self.next_button.on_click(lambda _: self.step(+1))
        self.position.observe(lambda change: self.render(change["new"]), names="value")
        self.render(0)

    def step(self, delta: int) -> None:
        """Move the selection by `delta` positions, clamped to the first and last."""
        self.position.value = min(max(self.position.value + delta, 0), self.position.max)

    def render(self, index: int) -> None:
        """Draw position `index` into the image, board and summary widgets."""
        import cshogi

        from maou_kit.shogi import sfen_from_encoded

        board = np.asarray(self.boards[index]).reshape(9, 9)
        hand = np.asarray(self.hands[index]).reshape(14)
        value_target = None if self.value_targets is None else float(self.value_targets[index])
        prediction = self.predictor.explain(board, hand, self.targets[index], value_target)
        figure = plot_prediction(
            board, hand, prediction.truth, prediction.predicted, prediction.truth_title,
            prediction.predicted_title, prediction.colorbar_label,
            title=f"{self.title} position {index}".strip(),
        )  # fmt: skip
        self.image.value = figure_png(figure)
        self.board_svg.value = cshogi.Board(sfen_from_encoded(board, hand)).to_svg()
        self.summary.value = f"<b>position {index}</b>: {html.escape(prediction.summary)}"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def explorer_from_run(setup: NotebookSetup, stage: int | None = None) -> PredictionExplorer:
    """An explorer over the evaluation rows of `setup`'s stage, with the model of its run."""
    from maou_kit.data.stage_inputs import check_stage_inputs, load_stage_datasets

    stage = stage if stage is not None else int(setup.config.stages[-1])
    predictor = load_stage_predictor(setup.run_dir, stage)
    config = setup.config
    data_path = getattr(config, f"stage{stage}_data_path")
    inputs = check_stage_inputs(stage, data_path, config.test_ratio, config.seed)
    _, evaluation = load_stage_datasets(inputs)
    if stage == 3:
        targets, values = evaluation.policy_targets, evaluation.value_targets
    else:
        targets, values = evaluation.targets, None
    title = f"stage {stage} evaluation set,"
    return PredictionExplorer(
        predictor, evaluation.boards, evaluation.hands, targets, values, title
    )


def prediction_explorer(setup: NotebookSetup, stage: int | None = None) -> Any:
    """`explorer_from_run`, or a note widget when the run saved no checkpoint for the stage
    (a Stage 1-2 gate was missed), so a notebook shows the reason instead of failing."""
    from maou_kit.viz.runs import read_result

    stage = stage if stage is not None else int(setup.config.stages[-1])
    result = read_result(setup.run_dir)
    if not (result["stages"].get(str(stage)) or {}).get("checkpoints"):
        return widgets.HTML(
            f"<b>No predictions to explore:</b> stage {stage} of {html.escape(str(setup.run_dir))} "
            f"saved no checkpoint (run status {html.escape(result['status'])}; Stages 1-2 save "
            "weights only once they meet their gate)"
        )
    return explorer_from_run(setup, stage)
