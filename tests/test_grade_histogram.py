"""grade's score histogram read off the figure: one bar centred on each score the rubric's
points allow (half points, whole points, 0.1 + 0.2), max included, empty scores kept at height
0, each bar as high as the number of students with that score, recounted here from the rows;
a rubric of very many points merges neighbours into the nearest bar and says so."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from comparisons.core.tolerances import tolerance
from comparisons.grading import summary
from comparisons.grading.rubric import Rubric, parse_rubric

HALF = {"item": [{"name": "net", "op": "two_layer",
                  "points": {"dW1": 2.5, "dW2": 2.5, "do": 1, "forward": 1}},
                 {"name": "hidden", "op": "two_layer", "points": 3, "hidden": True}]}
WHOLE = {"item": [{"name": "net", "op": "two_layer",
                   "points": {"dW1": 3, "dW2": 3, "do": 2, "forward": 2}}]}
TENTHS = {"item": [{"name": "net", "op": "two_layer", "points": {"dW1": 0.1, "dW2": 0.2}}]}


def _class(rubric: Rubric, n: int, seed: int) -> tuple[list[str], list[dict[str, Any]]]:
    """n students, each earning a random subset of every item's points (one row per item);
    the first earns nothing, the second everything, the third only the first item's first
    part (dW1's points)."""
    rng = np.random.default_rng(seed)
    students = [f"s{k:02d}" for k in range(n)]
    rows = []
    for k, student in enumerate(students):
        for j, item in enumerate(rubric.items):
            parts = [item.total] if item.total is not None else list(item.points.values())
            earned = rng.random(len(parts)) < 0.6
            if k < 3:
                earned = np.arange(len(parts)) < {0: 0, 1: len(parts), 2: int(j == 0)}[k]
            score = float(sum(p for p, e in zip(parts, earned) if e))
            rows.append({"student": student, "item": item.name, "score": score,
                         "status": "passed" if earned.all() else "failed", "codes": []})
    return students, rows


def _counts(rows: list[dict[str, Any]]) -> Counter[Fraction]:
    """Students per exact score, summed from the rows as fractions."""
    totals: dict[str, Fraction] = {}
    for r in rows:
        totals[r["student"]] = totals.get(r["student"], Fraction(0)) + Fraction(
            r["score"]).limit_denominator(1000)
    return Counter(totals.values())


def _bars(fig: Figure) -> tuple[np.ndarray, np.ndarray]:
    """The centres and heights of the histogram's bars."""
    bars = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    centres = np.array([b.get_x() + b.get_width() / 2 for b in bars], dtype=np.float64)
    return centres, np.array([b.get_height() for b in bars], dtype=np.float64)


def _close(actual: np.ndarray, expected: np.ndarray) -> bool:
    assert actual.shape == expected.shape, (actual, expected)
    err = float(np.max(np.abs(actual - expected)))
    return tolerance("forward").allows(err, float(np.max(np.abs(expected))))


def _histogram(spec: dict[str, Any], n: int, seed: int) -> tuple[Figure, Counter[Fraction],
                                                                   Rubric]:
    rubric = parse_rubric(spec, "rubric")
    students, rows = _class(rubric, n, seed)
    table = summary.students_table(rubric, students, rows)
    fig = summary.score_histogram([s["score"] for s in table], rubric.max_score,
                                  summary.rubric_step(rubric))
    return fig, _counts(rows), rubric


@pytest.mark.parametrize(("spec", "step", "best", "nobody"),
                         [(HALF, Fraction(1, 2), 10, [Fraction(1, 2), Fraction(19, 2)]),
                          (WHOLE, Fraction(1), 10, [Fraction(1), Fraction(9)]),
                          (TENTHS, Fraction(1, 10), Fraction(3, 10), [])])
def test_one_bar_per_possible_score_as_high_as_the_students_who_got_it(
        spec: dict[str, Any], step: Fraction, best: Fraction, nobody: list[Fraction]) -> None:
    fig, counts, rubric = _histogram(spec, 40, seed=3)
    scores = [step * k for k in range(int(best / step) + 1)]  # 0, step, ..., best
    centres, heights = _bars(fig)
    assert _close(centres, np.array([float(s) for s in scores]))
    assert heights.tolist() == [counts[s] for s in scores]
    assert sum(counts.values()) == 40 and heights.sum() == 40
    for s in nobody:  # a score the points cannot make is still a bar, of height 0
        assert heights[scores.index(s)] == 0
    assert counts[Fraction(0)] >= 1 and counts[Fraction(best)] >= 1  # both ends are bars
    ax = fig.axes[0]
    assert _close(np.asarray(ax.get_xticks(), dtype=np.float64), centres)
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == f"{float(best):g}"
    assert ax.get_xlabel() == f"score (of {float(best):g})"


def test_a_partial_point_score_lands_in_its_own_bar() -> None:
    fig, counts, _ = _histogram(HALF, 40, seed=3)
    centres, heights = _bars(fig)
    assert counts[Fraction(5, 2)] >= 1  # the third student: dW1's 2.5 only
    k = int(np.argmin(np.abs(centres - 2.5)))
    assert heights[k] == counts[Fraction(5, 2)]
    assert heights[k - 1] == counts[Fraction(2)] and heights[k + 1] == counts[Fraction(3)]


def test_write_summary_draws_the_rubric_s_steps(tmp_path: Path, monkeypatch) -> None:
    drawn: list[Figure] = []
    original = summary.score_histogram

    def keep(*args: Any, **kwargs: Any) -> Figure:
        fig = original(*args, **kwargs)
        drawn.append(fig)
        return fig

    monkeypatch.setattr(summary, "score_histogram", keep)
    rubric = parse_rubric(HALF, "rubric")
    students, rows = _class(rubric, 12, seed=5)
    summary.write_summary(tmp_path, rubric, summary.students_table(rubric, students, rows), {})
    centres, heights = _bars(drawn[0])
    assert _close(centres, np.arange(21, dtype=np.float64) / 2)
    assert heights.sum() == 12


def test_very_many_points_merge_into_the_nearest_bar_and_the_label_says_so() -> None:
    rng = np.random.default_rng(0)
    scores = [float(s) for s in rng.integers(0, 251, 80)] + [250.0, 0.0, 101.5]
    centres, counts = summary.score_bars(scores, 250.0, 1.0)
    assert 2 <= len(centres) <= summary.MAX_BARS and centres[0] == 0 and centres[-1] == 250
    nearest = Counter(int(np.argmin(np.abs(np.array(centres) - s))) for s in scores)
    assert counts == [nearest[k] for k in range(len(centres))]
    fig = summary.score_histogram(scores, 250.0, 1.0)
    assert "nearest" in fig.axes[0].get_xlabel()
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()][-1] == "250"


@pytest.mark.parametrize(("step", "best", "name"), [(0.0, 10.0, "step"), (-1.0, 10.0, "step"),
                                                    (float("nan"), 10.0, "step"),
                                                    (1.0, float("inf"), "best")])
def test_a_bad_step_or_best_is_one_line(step: float, best: float, name: str) -> None:
    with pytest.raises(ValueError, match=f"^{name}: expected .*, got "):
        summary.score_bars([1.0], best, step)
