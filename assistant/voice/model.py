"""One brand's stylometric model: a linear classifier of the brand's posts against the background.

Features are `features.featurize` (hashed character and word n-grams plus the post's shape). The
classifier is L2 logistic regression (liblinear, dual: 0.2 s on 1,500 posts and 1.6 M hashed
columns, against 3-6 s for the primal solvers), classes balanced so that 20 posts against 1,500
still count. The negatives are the background and "decoys": the brand's own posts with their words
shuffled (`decoys`), which keep the brand's topics and lose its way of writing.

Measured during development on the accounts of bench/voice.py (3 splits, worst account's AUC):
a linear SVM scored the same within a point, an SGD log-loss model, a naive-Bayes-weighted model
and nearest-neighbour similarity to the brand's posts lower on the hard accounts (newspapers
covering the same week's news); decoys lifted the worst from 0.891 to 0.907. C and the decoys'
weight (0.5-2, 10-100) moved it by less than 0.005.

Calibration (`calibration`): 5-fold cross-validation over the brand's posts and the background
gives every post a margin from a model that did not see it; the final model is then trained on
everything. Persistence is not pickle: the non-zero weights (.npz, float32) and a JSON file with
the feature parameters, the calibration margins, the facts (`VoiceModelInfo`) and the sha256 of
the .npz, each written to a temporary file and moved into place (`os.replace`). A file that is
missing, corrupt, from another version or not matching its .npz is simply not loaded: the store
retrains from the record.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from assistant.voice import features
from assistant.voice.calibration import Calibration
from assistant.voice.schemas import VoiceModelInfo

MODEL_VERSION = 2
C = 30.0
FOLDS = 5
SEED = 14
DECOY_WEIGHT = 1.0
WEIGHTS_FILE, MODEL_FILE = "weights.npz", "model.json"


@dataclass(frozen=True)
class Weights:
    """The classifier: weights of the hashed columns that have one (sorted), and the intercept."""

    indices: np.ndarray  # int32 (the hashed width is 2^20 + 2^19 + 2^12), sorted
    values: np.ndarray  # float32
    intercept: float

    def margins(self, X: sparse.csr_matrix) -> np.ndarray:
        """w·x + b per row, without a dense weight vector (a brand costs its non-zero weights only)."""
        X = X.tocsr()
        if len(self.indices) == 0 or X.nnz == 0:
            return np.full(X.shape[0], self.intercept)
        pos = np.minimum(np.searchsorted(self.indices, X.indices), len(self.indices) - 1)
        hit = self.indices[pos] == X.indices
        contributions = np.where(hit, self.values[pos].astype(np.float64), 0.0) * X.data
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        return np.bincount(rows, weights=contributions, minlength=X.shape[0]) + self.intercept


def decoys(texts: Sequence[str]) -> list[str]:
    """The brand's posts with their words shuffled (fixed seed): the brand's vocabulary without its
    way of writing, learnt as NOT the brand (weight `DECOY_WEIGHT`). Without them the model leans
    on topic words, which other accounts covering the same news share."""
    rng = random.Random(SEED)
    out = []
    for text in texts:
        words = text.split()
        rng.shuffle(words)
        out.append(" ".join(words))
    return out


def balanced(y: np.ndarray, decoy: np.ndarray) -> np.ndarray:
    """Sample weights: decoys count `DECOY_WEIGHT`, then each class weighs half of the total."""
    w = np.where(decoy, DECOY_WEIGHT, 1.0)
    pos = y == 1
    w[pos] *= len(y) / (2.0 * max(1.0, w[pos].sum()))
    w[~pos] *= len(y) / (2.0 * max(1.0, w[~pos].sum()))
    return w


def fit_weights(X: sparse.csr_matrix, y: np.ndarray, decoy: np.ndarray) -> Weights:
    """Brand (1) against background and decoys (0)."""
    clf = LogisticRegression(C=C, solver="liblinear", dual=True, max_iter=2000)
    clf.fit(X, y, sample_weight=balanced(y, decoy))
    coef = clf.coef_.ravel()
    nz = np.flatnonzero(coef)
    return Weights(indices=nz.astype(np.int32), values=coef[nz].astype(np.float32), intercept=float(clf.intercept_[0]))


@dataclass(frozen=True)
class TrainingSet:
    """Brand rows, then background rows, then one decoy per brand row (in the brand rows' order)."""

    X: sparse.csr_matrix
    n_brand: int
    n_background: int

    @classmethod
    def of(cls, brand_texts: Sequence[str], background: sparse.csr_matrix) -> TrainingSet:
        X = sparse.vstack([features.featurize(brand_texts), background, features.featurize(decoys(brand_texts))],
                          format="csr")
        return cls(X=X, n_brand=len(brand_texts), n_background=background.shape[0])

    def labels(self) -> tuple[np.ndarray, np.ndarray]:
        """(y, decoy) over every row."""
        n = self.n_brand + self.n_background
        y = np.r_[np.ones(self.n_brand), np.zeros(self.n_background + self.n_brand)]
        return y, np.arange(len(y)) >= n

    def fit(self, rows: np.ndarray | None = None) -> Weights:
        """Train on the posts `rows` (brand and background indices; None: all) and the decoys of
        their brand posts."""
        n = self.n_brand + self.n_background
        rows = np.arange(n) if rows is None else rows
        chosen = np.r_[rows, n + rows[rows < self.n_brand]].astype(np.int64)
        y, decoy = self.labels()
        return fit_weights(self.X[chosen], y[chosen], decoy[chosen])

    def cross_validated(self, folds: int = FOLDS) -> np.ndarray:
        """Every post's margin from a model trained without it, nor its decoy (stratified folds)."""
        n = self.n_brand + self.n_background
        y = self.labels()[0][:n]
        held = np.zeros(n)
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
        for train, test in splitter.split(np.zeros(n), y):
            held[test] = self.fit(train).margins(self.X[test])
        return held


@dataclass(frozen=True)
class VoiceModel:
    """A trained brand model: weights, calibration and the facts about it."""

    weights: Weights
    calibration: Calibration
    info: VoiceModelInfo

    @classmethod
    def train(cls, slug: str, brand_texts: Sequence[str], background: sparse.csr_matrix, *, fingerprint: str,
              other_brands_posts: int = 0, counts: dict[str, int] | None = None) -> VoiceModel:
        """Train on `brand_texts` against the featurized `background` (the shipped corpus, plus other
        brands' posts only when the caller was allowed to add them)."""
        started = time.perf_counter()
        data = TrainingSet.of(brand_texts, background)
        folds = int(min(FOLDS, len(brand_texts)))
        held = data.cross_validated(folds)
        calibration = Calibration.of(held[:data.n_brand], held[data.n_brand:])
        weights = data.fit()
        info = VoiceModelInfo(
            slug=slug, model_id=f"voice-{MODEL_VERSION}.{features.FEATURES_VERSION}-{slug}-{fingerprint[:12]}",
            posts=len(brand_texts), background=background.shape[0] - other_brands_posts,
            other_brands_posts=other_brands_posts, features=int(len(weights.indices)),
            train_seconds=round(time.perf_counter() - started, 3), size_bytes=0, cv_auc=round(calibration.auc(), 4),
            median=calibration.brand_quantile(0.5), q1=calibration.brand_quantile(0.25),
            q3=calibration.brand_quantile(0.75), background_median=calibration.background_quantile(0.5),
            trained_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), fingerprint=fingerprint,
            folds=folds, counts=dict(counts or {}))
        return cls(weights=weights, calibration=calibration, info=info)

    def scores(self, texts: Sequence[str]) -> list[tuple[float, int]]:
        """(margin, 0-100 score) per text."""
        if not texts:
            return []
        raw = self.weights.margins(features.featurize(texts))
        scored = np.clip(np.rint(self.calibration.scores(raw)), 0, 100).astype(int)
        return [(float(r), int(s)) for r, s in zip(raw, scored)]

    # --- files ----------------------------------------------------------------------------------

    def save(self, folder: Path) -> VoiceModel:
        """Write the model under `folder` (atomically, file by file); returns it with its size."""
        folder.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, indices=self.weights.indices.astype(np.int32), values=self.weights.values,
                            intercept=np.array([self.weights.intercept]))
        blob = buffer.getvalue()
        _write_atomic(folder / WEIGHTS_FILE, blob)
        doc = {"model_version": MODEL_VERSION, "features": features.describe(),
               "info": replace(self.info, size_bytes=0).as_dict(), "calibration": self.calibration.as_json(),
               "weights_sha256": hashlib.sha256(blob).hexdigest()}
        _write_atomic(folder / MODEL_FILE, json.dumps(doc, ensure_ascii=False).encode("utf-8"))
        return replace(self, info=replace(self.info, size_bytes=_size(folder)))

    @classmethod
    def load(cls, folder: Path) -> VoiceModel | None:
        """The model saved under `folder`, or None when there is none usable (then: retrain)."""
        try:
            doc = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
            if doc.get("model_version") != MODEL_VERSION or doc.get("features") != features.describe():
                return None
            blob = (folder / WEIGHTS_FILE).read_bytes()
            if hashlib.sha256(blob).hexdigest() != doc.get("weights_sha256"):
                return None
            with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
                weights = Weights(indices=arrays["indices"].astype(np.int32), values=arrays["values"].astype(np.float32),
                                  intercept=float(arrays["intercept"][0]))
            info = replace(VoiceModelInfo(**doc["info"]), size_bytes=_size(folder))
            calibration = Calibration.from_json(doc["calibration"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, EOFError, zipfile.BadZipFile):
            return None
        indices = weights.indices
        if (indices.shape != weights.values.shape or np.any(np.diff(indices) <= 0)
                or (len(indices) and (indices[0] < 0 or indices[-1] >= features.n_features()))):
            return None
        return cls(weights=weights, calibration=calibration, info=info)


def _size(folder: Path) -> int:
    return sum((folder / name).stat().st_size for name in (WEIGHTS_FILE, MODEL_FILE))


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
