"""BM25 ranking behind one small interface, with rank-bm25's BM25Okapi as the definition."""

from __future__ import annotations

from collections.abc import Sequence

from rank_bm25 import BM25Okapi


class BM25Index:
    def __init__(self, corpus: Sequence[Sequence[str]]) -> None:
        self._bm25 = BM25Okapi([list(doc) for doc in corpus])

    def search(self, query: Sequence[str], k: int) -> list[tuple[int, float]]:
        """Top-k (passage index, score), best first; only positive scores."""
        scores = self._bm25.get_scores(list(query))
        ranked = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
        return [(i, float(scores[i])) for i in ranked if scores[i] > 0]
