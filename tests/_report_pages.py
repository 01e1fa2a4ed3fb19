"""Synthetic demo sections for the report tests: real matplotlib images and text files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

HOSTILE_TITLE = "<script>alert('x')</script> & \"quotes\""
HOSTILE_COMMAND = "backprop-lab verify 'a<b>.py' --json \"x&y.json\""


def save_plot(path: Path, seed: int) -> Path:
    """A small line plot saved by matplotlib (format from the suffix: .png or .svg)."""
    fig = Figure(figsize=(3, 2), dpi=60)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(np.random.default_rng(seed).standard_normal(20).cumsum())
    ax.set_title(path.name)
    fig.savefig(path)
    return path


def synthetic_sections(out: Path) -> list[dict[str, Any]]:
    """Three sections: one with images and texts, a failed hostile one, one with no verdict."""
    save_plot(out / "curve.png", 0)
    (out / "plots").mkdir(exist_ok=True)
    save_plot(out / "plots" / "graph.svg", 1)
    (out / "short.txt").write_text("name    value\nalpha   1.5\n")
    (out / "long.txt").write_text("".join(f"row {i}: {i * i}\n" for i in range(80)))
    (out / "data.json").write_text('{"losses": [0.5, 0.25], "note": "<b>bold?</b>"}')
    return [
        {"title": "Training curves", "passed": True, "seconds": 1.25, "final_loss": 0.0123456789,
         "epochs": 10, "loss": {"train": 0.5, "valid": 0.75}, "lambdas": [0, 3, 10],
         "files": ["curve.png", "plots/graph.svg", "short.txt", "long.txt", "data.json"],
         "command": "backprop-lab experiment overfitting --seed 0"},
        {"title": HOSTILE_TITLE, "passed": False, "detail": "<img src=x onerror=alert(1)>",
         "files": ["missing.png"], "command": HOSTILE_COMMAND},
        {"title": "Numbers only", "ratio": 2.5, "files": [], "command": "backprop-lab check"},
    ]
