"""A deterministic, local embedding for semantic store search without a model.

``HashingEmbeddings`` hashes the words of a text into a fixed number of buckets
(the "hashing trick") and L2-normalises the result, so texts sharing words get
a high cosine similarity. It needs no network and no weights, which makes it
the embedding of the test suite and of demos: point langgraph.json at it with

    "store": {"index": {"dims": 256, "embed": "steadygraph.dev.embeddings:hashing_embeddings"}}

It knows nothing about meaning ("car" and "automobile" are unrelated), so real
deployments name a real model instead.
"""

from __future__ import annotations

import hashlib
import math
import re

from langchain_core.embeddings import Embeddings

__all__ = ["DEFAULT_DIMS", "HashingEmbeddings", "hashing_embeddings"]

DEFAULT_DIMS = 256

_WORD = re.compile(r"\w+")


class HashingEmbeddings(Embeddings):
    """Bag of words hashed into ``dims`` signed buckets, L2-normalised."""

    def __init__(self, dims: int = DEFAULT_DIMS) -> None:
        if dims < 1:
            raise ValueError(f"dims must be a positive integer, got {dims}")
        self.dims = dims

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._embed(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)

    # Overridden because the default async versions hop to a thread pool, which
    # costs more than hashing a few words does.
    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents(texts)

    async def aembed_query(self, text: str) -> list[float]:
        return self.embed_query(text)

    def _embed(self, text: str) -> list[float]:
        vector = [0.0] * self.dims
        # An empty text still gets a unit vector: cosine distance is undefined
        # for the zero vector, and vector stores reject or mis-rank it.
        for word in _WORD.findall(text.lower()) or [""]:
            bucket, sign = self._bucket(word)
            vector[bucket] += sign
        norm = math.sqrt(sum(x * x for x in vector))
        if norm == 0.0:
            # Words whose signed buckets cancelled out exactly; keep it non-zero.
            vector[self._bucket("")[0]] = 1.0
            return vector
        return [x / norm for x in vector]

    def _bucket(self, word: str) -> tuple[int, float]:
        # blake2b, not hash(): Python salts str hashes per process, and the API
        # and the worker must embed identically across restarts.
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
        number = int.from_bytes(digest, "big")
        # A sign bit makes colliding words cancel on average instead of always
        # adding up, which keeps unrelated texts near zero similarity.
        return number % self.dims, 1.0 if (number >> 63) & 1 else -1.0


hashing_embeddings = HashingEmbeddings(DEFAULT_DIMS)
"""The instance langgraph.json names: ``"steadygraph.dev.embeddings:hashing_embeddings"``
with ``"dims": 256``."""
