"""The next-track ranking model: a conditional logit (softmax) over a source's candidates.

utility(c) = sum_i w_i * feature_i(c), every w_i >= 0 (features are oriented "more is better", see
``features.FEATURES``), and the score of a candidate is its softmax probability among all candidates
that passed the constraints: the model's estimate of the chance that a DJ who just played the source
plays this candidate next. Weights are fitted on the graph's own history (``graphsvc.recommend.train``)
and stored in ``gold.ranker``; without a fitted model the prior weights below are used.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphsvc.errors import InvalidValue
from graphsvc.recommend.features import FEATURES

MODEL_NAME = "next_track"
FORMAT_VERSION = 1

# The prior: used until a model is fitted (a graph too small to fit, before the first gold build), and the
# centre the fit is pulled towards. Weights of the conditional logit fitted on 1,036 next-track queries of
# four rolling yearly cuts of the MixesDB mixes up to 2015 (train <= Y, queries in Y + 1, Y = 2012..2015;
# docs/evaluation.md), rounded: derived numbers, no data. MixesDB carries no keys, tempi or energies, so
# those three are set by hand to what harmonic mixing practice suggests (the fit on a graph that has them
# learns their real weight).
PRIOR_WEIGHTS: dict[str, float] = {
    "followed": 2.07, "followed_djs": 0.54, "preceded": 0.92, "two_hop": 0.72, "near_after": 0.0,
    "near_before": 1.02, "co_sets": 1.35, "same_artist": 1.08, "same_label": 1.05, "collaborator": 0.0,
    "dj_support": 0.0, "dj_repertoire": 0.36, "popularity": 0.9, "dj_reach": 0.0, "trend": 1.3, "scene": 0.16,
    "key": 0.5, "bpm": 0.5, "energy": 0.2,
}


@dataclass(frozen=True)
class Ranker:
    weights: dict[str, float]
    source: str = "prior"  # "prior" or "fitted"
    fitted_on: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(FEATURES)
        if unknown:
            raise InvalidValue(f"ranker weights name unknown features {sorted(unknown)}")
        for name, w in self.weights.items():
            if not (isinstance(w, (int, float)) and math.isfinite(w) and w >= 0):
                raise InvalidValue(f"ranker weight {name}={w!r} must be a finite number >= 0")
        object.__setattr__(self, "_w", np.array([float(self.weights.get(n, 0.0)) for n in FEATURES]))

    @classmethod
    def prior(cls) -> Ranker:
        return cls(dict(PRIOR_WEIGHTS), "prior")

    @property
    def vector(self) -> np.ndarray:
        return self._w  # type: ignore[attr-defined]

    def utilities(self, X: np.ndarray) -> np.ndarray:
        return X @ self.vector if len(X) else np.zeros(0)

    @staticmethod
    def probabilities(u: np.ndarray) -> np.ndarray:
        if not len(u):
            return u
        e = np.exp(u - u.max())
        return e / e.sum()

    def contributions(self, x: np.ndarray) -> dict[str, float]:
        """Per feature weight * value for one candidate's feature row (non-zero terms only)."""
        return self.contributions_of(np.asarray(x).reshape(1, -1))[0]

    def contributions_of(self, X: np.ndarray) -> list[dict[str, float]]:
        """:meth:`contributions` of each row of ``X``."""
        w = self.vector
        terms = (X * w).round(4).tolist()
        nonzero = ((X != 0) & (w != 0)).tolist()
        return [{name: t for name, t, nz in zip(FEATURES, row, keep, strict=True) if nz}
                for row, keep in zip(terms, nonzero, strict=True)]

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT_VERSION, "features": list(FEATURES),
                "weights": {n: round(float(self.weights.get(n, 0.0)), 6) for n in FEATURES}, "source": self.source}

    @classmethod
    def from_json(cls, doc: Any, fitted_on: dict[str, Any] | None = None) -> Ranker:
        if isinstance(doc, (str, bytes)):
            doc = json.loads(doc)
        if not isinstance(doc, dict) or doc.get("format") != FORMAT_VERSION:
            raise InvalidValue("ranker model is not a format-1 model document")
        weights = {n: float(v) for n, v in doc["weights"].items() if n in FEATURES}
        return cls(weights, str(doc.get("source", "fitted")), fitted_on or {})


def load_ranker(conn: Any) -> Ranker:
    """The ranker stored in ``gold.ranker`` (the pipeline fits it), else the prior."""
    row = conn.execute("SELECT model, fitted_on FROM gold.ranker WHERE name = %s", (MODEL_NAME,)).fetchone()
    if row is None:
        return Ranker.prior()
    try:
        return Ranker.from_json(row[0], row[1])
    except (InvalidValue, KeyError, TypeError, ValueError):
        return Ranker.prior()  # a model of another format version: the prior until the next fit
