"""Showing figures in a notebook and saving them, without pyplot.

Figures are rendered to PNG bytes here and displayed as images, so what a
notebook shows does not depend on the matplotlib backend (CI runs with Agg) and
no figure lingers in pyplot's global state. Outside an IPython kernel (scripts,
tests) nothing is displayed; files are still written.

`live_display_wanted()` says whether training curves should be redrawn after
every epoch: inside a kernel, unless the run is headless (`CI` set). Papermill
runs outside CI do get the live updates; they end as the same final figure.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from maou_kit.viz.smoke import smoke_requested

PNG_DPI = 100


def figure_png(figure: Figure, dpi: int = PNG_DPI) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def in_kernel() -> bool:
    """True inside an IPython kernel (Jupyter, papermill, nbval), False in scripts and tests."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def live_display_wanted() -> bool:
    """Redraw figures after every epoch: in a kernel, and not in a headless CI run."""
    return in_kernel() and not smoke_requested(False)


def show(figure: Figure, save_as: str | Path | None = None) -> None:
    """Save the figure as PNG (`save_as`, parent folders created) and display it in a kernel."""
    png = figure_png(figure)
    if save_as is not None:
        path = Path(save_as)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
    if in_kernel():
        from IPython.display import Image, display

        display(Image(data=png, format="png"))


def show_html(html: str) -> None:
    """Display raw HTML (e.g. `boards_html`) in a kernel."""
    if in_kernel():
        from IPython.display import HTML, display

        display(HTML(html))


def show_markdown(text: str) -> None:
    """Display Markdown in a kernel."""
    if in_kernel():
        from IPython.display import Markdown, display

        display(Markdown(text))


class FigureDisplay:
    """A display slot updated in place: the first `update` displays, later ones replace it."""

    def __init__(self) -> None:
        self._handle: Any = None

    def __call__(self, png: bytes) -> None:
        from IPython.display import Image, display

        image = Image(data=png, format="png")
        if self._handle is None:
            self._handle = display(image, display_id=True)
        else:
            self._handle.update(image)
