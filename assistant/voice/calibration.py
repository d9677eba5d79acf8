"""From a classifier's margin to a 0-100 score that means the same for every brand.

Cross-validation gives two sets of held-out margins: the brand's own posts (`brand`) and the
background's (`background`), each scored by a model that did not see it. The score is

    score = 100 * (P_background(raw) + P_brand(raw)) / 2

with P_x the share of x's held-out margins below `raw` (an empirical CDF, linearly interpolated).
So a typical background post scores about 25, a text at the brand's own median about 75 (exactly
`50 + 50 * P_background(median)`: less when the brand is hard to tell from the background), and
only a text above all of the brand's posts reaches 100. "Sounds as much like the brand as its own
posts do" is then read directly: compare the score with the brand's median, which is reported with
its quartiles. The mapping is monotone, so the AUC of the score is the AUC of the margin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def _cdf(sorted_values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Share of `sorted_values` below `x`, interpolated between the values' mid-ranks."""
    n = len(sorted_values)
    if n == 0:
        return np.full(len(x), 0.5)
    ranks = (np.arange(n) + 0.5) / n
    return np.interp(x, sorted_values, ranks, left=0.0, right=1.0)


@dataclass(frozen=True)
class Calibration:
    """The held-out margins of the brand's posts and of the background, sorted."""

    brand: np.ndarray
    background: np.ndarray

    @classmethod
    def of(cls, brand: Sequence[float], background: Sequence[float]) -> Calibration:
        return cls(np.sort(np.asarray(brand, dtype=np.float64)), np.sort(np.asarray(background, dtype=np.float64)))

    def scores(self, raw: Sequence[float] | np.ndarray) -> np.ndarray:
        """0-100 (floats) for margins `raw`."""
        x = np.asarray(raw, dtype=np.float64)
        return 100.0 * (_cdf(self.background, x) + _cdf(self.brand, x)) / 2.0

    def brand_quantile(self, q: float) -> int:
        """The score of the brand's held-out posts at quantile `q` (0.5: the median)."""
        if len(self.brand) == 0:
            return 0
        return int(round(float(self.scores([float(np.quantile(self.brand, q))])[0])))

    def background_quantile(self, q: float) -> int:
        """The score of the background's held-out posts at quantile `q`."""
        if len(self.background) == 0:
            return 0
        return int(round(float(self.scores([float(np.quantile(self.background, q))])[0])))

    def auc(self) -> float:
        """How often a held-out brand post outscores a held-out background post (ties: half)."""
        if len(self.brand) == 0 or len(self.background) == 0:
            return 0.5
        below = np.searchsorted(self.background, self.brand, side="left")
        not_above = np.searchsorted(self.background, self.brand, side="right")
        return float(np.mean((below + not_above) / 2.0) / len(self.background))

    def as_json(self) -> dict[str, list[float]]:
        return {"brand": [round(float(v), 6) for v in self.brand],
                "background": [round(float(v), 6) for v in self.background]}

    @classmethod
    def from_json(cls, data: dict[str, list[float]]) -> Calibration:
        return cls.of(data["brand"], data["background"])
