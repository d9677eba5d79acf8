"""What the voice model hands across the package border: one text's score and a brand model's facts.

Frozen dataclasses with `as_dict()` (JSON for the CLI and the web app), so callers never touch the
model's arrays. Both are part of the stable public API (`assistant.voice`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

MIN_POSTS = 20
"""Below this many posts a brand has no voice model: a score would say more about chance than
about the brand (callers say "not enough posts to learn the voice (n of 20)")."""


@dataclass(frozen=True)
class VoiceScore:
    """How much one text sounds like the brand.

    `score` is 0-100 on the brand's own scale (see `assistant.voice.calibration`): a text scoring
    `brand_median` sounds as much like the brand as its typical real post does; the background's
    typical post scores about 25. `raw` is the classifier's margin (comparable only within one
    `model_id`)."""

    score: int
    brand_median: int
    raw: float
    model_id: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class VoiceModelInfo:
    """A trained brand model: what it learnt from, how long it took, how well it separates.

    The calibration figures come from k-fold cross-validation: every brand post and every
    background post is scored by a model that did not see it. `cv_auc` is how often a held-out brand
    post outscores a held-out background post; `median`, `q1`, `q3` are the brand's held-out posts'
    scores on the 0-100 scale, `background_median` the background's."""

    slug: str
    model_id: str
    posts: int  # the brand's own posts (imported and approved) it was trained on
    background: int  # posts of the shipped background corpus
    other_brands_posts: int  # other brands' posts added to the background (0 unless an administrator opts in)
    features: int  # hashed n-gram and shape features with a non-zero weight
    train_seconds: float  # training and cross-validation, wall clock
    size_bytes: int  # on disk (0 until saved)
    cv_auc: float
    median: int
    q1: int
    q3: int
    background_median: int  # the background's held-out posts' median score (about 25: "posts in general")
    trained_at: str  # ISO 8601, UTC
    fingerprint: str  # of the posts, the background and the model version it was trained on
    folds: int = 5
    counts: dict[str, int] = field(default_factory=dict)  # posts by kind ("post", "approved")

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def verdict(self, score: int) -> str:
        """What `score` means for this brand: "like_its_posts" (at least the first quartile of its
        own posts), "somewhat" (at least 50) or "unlike" (the locale keys `voice.<verdict>`)."""
        if score >= self.q1:
            return "like_its_posts"
        return "somewhat" if score >= 50 else "unlike"
