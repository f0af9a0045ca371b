"""BM25 ranking with rank-bm25's ``BM25Okapi`` as the definition, fast enough for 100k passages.

``BM25Okapi.get_scores`` loops over every document for every query term. A term only
adds to the documents that contain it (``tf = 0`` contributes exactly ``0``), so the same
scores come from an inverted index: for each term, the documents holding it and the
contribution ``idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))`` computed once at
build time with rank-bm25's own formula, order of operations and float64 arithmetic. A
query adds up the postings of its terms, in query order (so a repeated term counts twice,
as in ``get_scores``), and ranks only the documents that were touched.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

FORMAT = "bm25okapi-postings/1"


class BM25Index:
    """An immutable BM25 (Okapi, rank-bm25 variant) index over tokenized passages."""

    k1 = 1.5
    b = 0.75
    epsilon = 0.25

    def __init__(self, corpus: Sequence[Sequence[str]]) -> None:
        vocabulary: dict[str, int] = {}
        n_docs = len(corpus)
        doc_len = np.fromiter((len(doc) for doc in corpus), dtype=np.int64, count=n_docs)
        # Term ids in first-seen order: the order rank-bm25 sums idf in, for the same average.
        terms = np.fromiter(
            (vocabulary.setdefault(t, len(vocabulary)) for doc in corpus for t in doc),
            dtype=np.int64,
            count=int(doc_len.sum()),
        )
        self._vocabulary = vocabulary
        self._n_docs = n_docs
        if not vocabulary:  # no documents, or only empty ones: nothing can match
            self._indptr = np.zeros(1, dtype=np.int64)
            self._doc_ids = np.zeros(0, dtype=np.int32)
            self._weights = np.zeros(0, dtype=np.float64)
            return

        # One (term, doc) key per token, sorted: runs of equal keys are postings, their
        # lengths the term frequencies. Built in place to keep the peak memory down.
        keys = terms
        keys *= n_docs
        keys += np.repeat(np.arange(n_docs, dtype=np.int64), doc_len)
        keys.sort()
        run_start = np.empty(len(keys), dtype=bool)
        run_start[0] = True
        np.not_equal(keys[1:], keys[:-1], out=run_start[1:])
        starts = np.flatnonzero(run_start)
        del run_start
        tf = np.diff(starts, append=len(keys))
        posting_terms, posting_docs = np.divmod(keys[starts], n_docs)
        del keys, starts
        df = np.bincount(posting_terms, minlength=len(vocabulary))

        idf = self._idf(df.tolist(), n_docs)
        avgdl = int(doc_len.sum()) / n_docs
        k1, b = self.k1, self.b
        # rank-bm25's idf * (tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))), one
        # operation at a time in its order (in place, to spare memory): the same float64
        # roundings, so the same scores to the last bit.
        tf = tf.astype(np.float64)
        denominator = np.multiply(b, doc_len[posting_docs], dtype=np.float64)
        denominator /= avgdl
        denominator += 1 - b
        denominator *= k1
        denominator += tf
        weights = tf * (k1 + 1)
        weights /= denominator
        del denominator, tf
        weights *= idf[posting_terms]
        self._weights = weights
        self._doc_ids = posting_docs.astype(np.int32)
        self._indptr = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        np.cumsum(df, out=self._indptr[1:])

    def _idf(self, df: list[int], n_docs: int) -> np.ndarray:
        """rank-bm25's idf: log((N - n + .5) / (n + .5)), negatives floored to eps * mean."""
        idf = [math.log(n_docs - n + 0.5) - math.log(n + 0.5) for n in df]
        idf_sum = 0.0
        for value in idf:  # summed one by one, as rank-bm25 does, for the same rounding
            idf_sum += value
        eps = self.epsilon * (idf_sum / len(idf))
        return np.array([eps if value < 0 else value for value in idf], dtype=np.float64)

    def __len__(self) -> int:
        return self._n_docs

    def __contains__(self, term: object) -> bool:
        return term in self._vocabulary

    def terms(self) -> list[str]:
        """Every term some document has."""
        return list(self._vocabulary)

    def document_frequency(self, term: str) -> int:
        """How many documents contain ``term``: the length of its postings list."""
        t = self._vocabulary.get(term)
        return 0 if t is None else int(self._indptr[t + 1] - self._indptr[t])

    def scores(self, query: Sequence[str]) -> np.ndarray:
        """Every document's score: the same numbers as ``BM25Okapi.get_scores(query)``."""
        docs, weights = self._postings(query)
        return np.bincount(docs, weights, minlength=self._n_docs)

    def search(self, query: Sequence[str], k: int) -> list[tuple[int, float]]:
        """Top-k (passage index, score), best first, ties by lower index; only scores > 0."""
        docs, weights = self._postings(query)
        if k <= 0 or len(docs) == 0:
            return []
        if len(docs) * 8 < self._n_docs:
            # Few postings: add them up per distinct document, never touching the rest.
            # Sorting m postings beats a pass over all N documents up to m = N/8 .. N/4.
            candidates, slot = np.unique(docs, return_inverse=True)
            totals = np.bincount(slot, weights)
        else:
            totals = np.bincount(docs, weights, minlength=self._n_docs)
            candidates = np.flatnonzero(totals)
            totals = totals[candidates]
        keep = totals > 0
        candidates, totals = candidates[keep], totals[keep]
        if len(candidates) > k:
            # Everything at least as good as the k-th best, so ties at the cut stay in play.
            kth = np.partition(totals, len(totals) - k)[len(totals) - k]
            close = totals >= kth
            candidates, totals = candidates[close], totals[close]
        order = np.lexsort((candidates, -totals))[:k]
        return [(int(candidates[i]), float(totals[i])) for i in order]

    def _postings(self, query: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Documents and weights of the query's terms, concatenated in query order."""
        spans = [
            (self._indptr[t], self._indptr[t + 1])
            for t in (self._vocabulary.get(term) for term in query)
            if t is not None
        ]
        if not spans:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64)
        if len(spans) == 1:
            start, end = spans[0]
            return self._doc_ids[start:end], self._weights[start:end]
        return (
            np.concatenate([self._doc_ids[s:e] for s, e in spans]),
            np.concatenate([self._weights[s:e] for s, e in spans]),
        )

    def save(self, path: str | Path) -> None:
        """Write the index to one ``.npz`` file (arrays plus the vocabulary as JSON), atomically."""
        path = Path(path)
        meta = {"format": FORMAT, "n_docs": self._n_docs, "k1": self.k1, "b": self.b}
        meta["epsilon"] = self.epsilon
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                np.savez(
                    out,
                    meta=_json_bytes(meta),
                    vocabulary=_json_bytes(list(self._vocabulary)),
                    indptr=self._indptr,
                    doc_ids=self._doc_ids,
                    weights=self._weights,
                )
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | Path) -> BM25Index:
        """Read an index written by ``save``; ValueError if the file is not one or is damaged."""
        try:
            # the file opened here, not by numpy, which leaves it open when the zip is cut
            with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as data:
                meta = json.loads(data["meta"].tobytes())
                terms = json.loads(data["vocabulary"].tobytes())
                indptr, doc_ids, weights = data["indptr"], data["doc_ids"], data["weights"]
        except (KeyError, ValueError, EOFError, OSError, zipfile.BadZipFile) as exc:
            raise ValueError(f"not a saved BM25 index: {path} ({exc})") from exc
        expected = {"format": FORMAT, "k1": cls.k1, "b": cls.b, "epsilon": cls.epsilon}
        if not isinstance(meta, dict) or {key: meta.get(key) for key in expected} != expected:
            raise ValueError(f"saved BM25 index has another format or parameters: {path}")
        n_docs = meta.get("n_docs")
        if not (
            isinstance(n_docs, int)
            and isinstance(terms, list)
            and indptr.shape == (len(terms) + 1,)
            and indptr[0] == 0
            and np.all(np.diff(indptr) >= 0)
            and doc_ids.shape == weights.shape == (indptr[-1],)
            and (len(doc_ids) == 0 or 0 <= doc_ids.min() <= doc_ids.max() < n_docs)
        ):
            raise ValueError(f"saved BM25 index is inconsistent: {path}")
        index = cls.__new__(cls)
        index._vocabulary = {term: i for i, term in enumerate(terms)}
        index._n_docs = n_docs
        index._indptr = indptr.astype(np.int64)
        index._doc_ids = doc_ids.astype(np.int32)
        index._weights = weights.astype(np.float64)
        return index


def _json_bytes(value: object) -> np.ndarray:
    return np.frombuffer(json.dumps(value, ensure_ascii=False).encode(), dtype=np.uint8)
