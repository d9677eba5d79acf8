"""The voice-match score: how much a text sounds like the brand, 0-100 on the brand's own scale.

Each brand gets a stylometric model (hashed character and word n-grams plus the post's shape, a
logistic regression) trained on its own posts against a background corpus the project ships
(`data/background/*.jsonl`, written by us). Another client's posts are never used unless an
administrator opts in (`ASSISTANT_VOICE_USE_OTHER_BRANDS`, single-company installations).
The score is calibrated per brand on its own held-out posts, so a draft scoring at the brand's
median sounds as much like the brand as its typical real post (see `calibration`).

The public API (stable: the drafter, the review queue, the web app and the CLI use it):

    voice = VoiceModels(settings, KnowledgeRecordStore(db))   # or Services().voice
    voice.score(slug, text)      -> VoiceScore | None   # None: fewer than MIN_POSTS posts
    voice.scores(slug, texts)    -> list[VoiceScore | None]
    voice.train(slug, force=False) -> VoiceModelInfo | None
    voice.info(slug)             -> VoiceModelInfo | None
    voice.posts(slug)            -> int                 # the brand's posts it learns from

`VoiceScore`: `score` (0-100), `brand_median` (the brand's held-out posts' median score), `raw`
(the margin), `model_id`. `VoiceModelInfo`: what the model learnt from (posts, background size,
other brands' posts), its size and training time, and its calibration (cross-validated AUC
against the background, the brand's median and quartiles), with the fingerprint of its posts.
Models retrain by themselves when the brand's posts change; scoring is cheap (a few ms a text).
"""

from __future__ import annotations

from assistant.voice.schemas import MIN_POSTS, VoiceModelInfo, VoiceScore
from assistant.voice.store import VoiceModels

__all__ = ["MIN_POSTS", "VoiceModelInfo", "VoiceModels", "VoiceScore"]
