"""A multi-page PDF in the look of :mod:`comparisons.core.plotstyle` (the worksheet's).

Kept out of plotstyle: matplotlib's PDF backend loads fontTools (~150 ms), which every module
importing plotstyle would pay for this one writer.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from comparisons.core import plotstyle


def save_pdf(figures: Iterable[Figure], path: str | Path) -> Path:
    """Write ``figures`` as the pages of one PDF at ``path`` (its folder must exist), with
    ``plotstyle.SAVE``'s settings; return the path."""
    pdf = Path(path)
    with matplotlib.rc_context(plotstyle.SAVE), PdfPages(pdf) as doc:
        for fig in figures:
            doc.savefig(fig)
    return pdf
