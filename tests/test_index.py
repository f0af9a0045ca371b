"""The BM25 index gives rank-bm25's BM25Okapi scores, ranks them deterministically, and persists."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

from bot.config import PROJECT_ROOT
from knowledge import build_knowledge_base
from knowledge.index import BM25Index
from knowledge.tokenizer import Tokenizer

TOLERANCE = 1e-9


def reference_search(corpus: list[list[str]], query: list[str], k: int) -> list[int]:
    """The search contract spelled out on rank-bm25: best first, ties by index, scores > 0."""
    scores = BM25Okapi(corpus).get_scores(query)
    order = np.lexsort((np.arange(len(scores)), -scores))[:k]
    return [int(i) for i in order if scores[i] > 0]


def assert_same_scores(index: BM25Index, reference: BM25Okapi, query: list[str]) -> None:
    np.testing.assert_allclose(
        index.scores(query), reference.get_scores(query), rtol=0, atol=TOLERANCE
    )


@pytest.fixture(scope="module")
def report_corpus() -> list[list[str]]:
    kb = build_knowledge_base(PROJECT_ROOT / "knowledge" / "sources")
    tokenizer = Tokenizer()
    return [tokenizer.tokenize(p.text) for p in kb.passages]


def test_scores_match_rank_bm25_on_the_report(report_corpus):
    index, reference = BM25Index(report_corpus), BM25Okapi(report_corpus)
    vocabulary = sorted({t for doc in report_corpus for t in doc})
    rng = random.Random(11)
    queries = [rng.sample(vocabulary, rng.randint(1, 6)) for _ in range(200)]
    queries += [["智慧城市", "智慧城市"], ["论坛", "未收录的词"], ["未收录的词"], []]
    for query in queries:
        assert_same_scores(index, reference, query)
        assert [i for i, _ in index.search(query, 3)] == reference_search(report_corpus, query, 3)


def test_search_returns_best_first_with_scores(report_corpus):
    hits = BM25Index(report_corpus).search(["孟庆国", "范式"], 5)
    assert 0 < len(hits) <= 5
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    assert "范式" in report_corpus[hits[0][0]]


words = st.sampled_from(["智慧", "城市", "论坛", "2017", "创新", "建设"])
corpora = st.lists(st.lists(words, max_size=8), min_size=1, max_size=12).filter(any)
queries = st.lists(st.one_of(words, st.just("未收录")), max_size=6)


@settings(max_examples=300, deadline=None)
@given(corpus=corpora, query=queries, k=st.integers(min_value=1, max_value=15))
def test_scores_and_ranking_match_rank_bm25_on_any_corpus(corpus, query, k):
    """Empty documents, one document, repeated and unknown query terms, terms in every
    document (negative idf, floored to epsilon times the average) all included."""
    index = BM25Index(corpus)
    assert_same_scores(index, BM25Okapi(corpus), query)
    hits = index.search(query, k)
    assert [i for i, _ in hits] == reference_search(corpus, query, k)
    assert all(score > 0 for _, score in hits)


def test_ranking_matches_on_a_larger_corpus_with_rare_and_common_terms():
    """Rare terms touch few documents and common ones most: both ways of adding up."""
    rng = random.Random(5)
    vocabulary = [f"w{i}" for i in range(400)]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]  # Zipf-like
    corpus = [rng.choices(vocabulary, weights, k=rng.randint(5, 30)) for _ in range(600)]
    index, reference = BM25Index(corpus), BM25Okapi(corpus)
    for _ in range(60):
        query = rng.sample(vocabulary[:5], 1) + rng.sample(vocabulary[200:], 2)
        for q in (query, query[1:], query[:1]):
            assert_same_scores(index, reference, q)
            assert [i for i, _ in index.search(q, 5)] == reference_search(corpus, q, 5)


def test_a_term_in_every_document_still_counts_a_little():
    corpus = [["城市", "智慧"], ["城市", "论坛"], ["城市", "创新"], ["城市", "建设"], ["城市"]]
    index, reference = BM25Index(corpus), BM25Okapi(corpus)
    assert_same_scores(index, reference, ["城市"])
    assert len(index.search(["城市"], 10)) == 5
    assert index.search(["城市"], 2)[0][1] > 0


def test_repeated_query_terms_count_twice():
    corpus = [["智慧", "城市"], ["论坛"], ["创新"]]
    index = BM25Index(corpus)
    assert_same_scores(index, BM25Okapi(corpus), ["智慧", "智慧"])
    (_, once), (_, twice) = index.search(["智慧"], 1)[0], index.search(["智慧", "智慧"], 1)[0]
    assert twice == pytest.approx(2 * once)


def test_equal_scores_rank_by_passage_order():
    corpus = [["论坛"], ["智慧", "城市"], ["智慧", "城市"], ["创新"], ["智慧", "城市"]]
    assert [i for i, _ in BM25Index(corpus).search(["智慧"], 2)] == [1, 2]


def test_nothing_to_find():
    index = BM25Index([["智慧", "城市"], [], ["论坛"]])
    assert index.search([], 5) == []
    assert index.search(["未收录"], 5) == []
    assert index.search(["智慧"], 0) == []
    # One document: every term is in all of them, the idf is negative, nothing ranks.
    assert BM25Index([["智慧", "城市"]]).search(["智慧"], 5) == []


@pytest.mark.parametrize("corpus", [[], [[]], [[], []]])
def test_an_index_without_terms_finds_nothing(corpus):
    index = BM25Index(corpus)
    assert len(index) == len(corpus)
    assert index.search(["智慧"], 5) == []
    assert index.scores(["智慧"]).tolist() == [0.0] * len(corpus)


def test_save_and_load_give_the_same_index(tmp_path: Path, report_corpus):
    index = BM25Index(report_corpus)
    path = tmp_path / "index.npz"
    index.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["index.npz"]  # no temporary left behind
    loaded = BM25Index.load(path)
    assert len(loaded) == len(index)
    for query in (["智慧城市", "分委会"], ["论坛", "举行", "论坛"], ["未收录"]):
        assert np.array_equal(loaded.scores(query), index.scores(query))
        assert loaded.search(query, 5) == index.search(query, 5)


def test_save_and_load_an_empty_index(tmp_path: Path):
    path = tmp_path / "empty.npz"
    BM25Index([[]]).save(path)
    loaded = BM25Index.load(path)
    assert len(loaded) == 1 and loaded.search(["智慧"], 5) == []


def test_saving_replaces_the_previous_file(tmp_path: Path):
    path = tmp_path / "index.npz"
    BM25Index([["智慧"], ["城市"]]).save(path)
    BM25Index([["论坛"], ["创新"], ["建设"]]).save(path)
    assert len(BM25Index.load(path)) == 3


def _rewrite(source: Path, target: Path, **changes: np.ndarray) -> None:
    with np.load(source) as data:
        arrays = {name: data[name] for name in data.files}
    arrays.update(changes)
    np.savez(target, **arrays)


def _json(value: object) -> np.ndarray:
    return np.frombuffer(json.dumps(value).encode(), dtype=np.uint8)


def test_loading_a_damaged_or_foreign_file_fails_clearly(tmp_path: Path):
    good = tmp_path / "good.npz"
    BM25Index([["智慧", "城市"], ["论坛"], ["智慧"]]).save(good)
    (tmp_path / "text.npz").write_text("not an index")
    (tmp_path / "cut.npz").write_bytes(good.read_bytes()[:100])
    np.savez(tmp_path / "other.npz", weights=np.zeros(3))
    _rewrite(good, tmp_path / "format.npz", meta=_json({"format": "something-else"}))
    _rewrite(good, tmp_path / "k1.npz", meta=_json({"format": "bm25okapi-postings/1", "k1": 2}))
    _rewrite(good, tmp_path / "ids.npz", doc_ids=np.array([0, 1, 2, 7], dtype=np.int32))
    _rewrite(good, tmp_path / "short.npz", weights=np.zeros(1))
    _rewrite(good, tmp_path / "vocab.npz", vocabulary=_json(["智慧"]))
    for name in ("text", "cut", "other", "format", "k1", "ids", "short", "vocab"):
        with pytest.raises(ValueError, match="index"):
            BM25Index.load(tmp_path / f"{name}.npz")
    with pytest.raises(ValueError, match="index"):
        BM25Index.load(tmp_path / "missing.npz")


def test_document_frequency_is_the_number_of_documents_holding_a_term():
    index = BM25Index([["a", "b", "a"], ["b"], ["c"]])
    assert [index.document_frequency(t) for t in ("a", "b", "c", "zzz")] == [1, 2, 1, 0]
    assert "b" in index and "zzz" not in index


def test_scores_equal_rank_bm25_on_the_benchmark_corpus_and_queries():
    """The benchmark's own generator (words by frequency from jieba's dictionary), at a size
    a test can afford: every query's scores within 1e-9 of get_scores, the same top 5."""
    import numpy as np

    from bench.retrieval import SEED, dictionary, draw

    rng = np.random.default_rng(SEED)
    words, p = dictionary()
    corpus = draw(rng, words, p, rng.integers(40, 81, size=3000))
    queries = draw(rng, words, p, rng.integers(2, 7, size=200))
    index, reference = BM25Index(corpus), BM25Okapi(corpus)
    for query in queries:
        expected = reference.get_scores(query)
        assert np.abs(index.scores(query) - expected).max() <= 1e-9
        order = np.lexsort((np.arange(len(expected)), -expected))[:5]
        top = [int(i) for i in order if expected[i] > 0]
        assert [i for i, _ in index.search(query, 5)] == top


def test_a_builds_helper_process_dies_with_its_parent():
    """Run in a child, as the pool runs it: prctl's PR_GET_PDEATHSIG then reads SIGKILL."""
    import ctypes
    import multiprocessing
    import signal

    from knowledge.base import die_with_parent

    def child(queue):
        die_with_parent()
        libc = ctypes.CDLL(None)
        value = ctypes.c_int()
        libc.prctl(2, ctypes.byref(value))  # PR_GET_PDEATHSIG
        queue.put(value.value)

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=child, args=(queue,))
    process.start()
    process.join(30)
    assert queue.get(timeout=5) == signal.SIGKILL
