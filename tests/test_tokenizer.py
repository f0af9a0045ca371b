"""The tokenizer: one path for documents and questions, so their spellings meet."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest

from knowledge.tokenizer import CACHE_NAME, STOPWORDS_FILE, Tokenizer, normalize, read_word_list


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


def test_normalize_folds_width_case_and_traditional_script():
    assert normalize("２０１７年ＩＴ产业") == "2017年it产业"
    assert normalize("論壇在哪裡舉行") == "论坛在哪里举行"
    assert normalize("楊學山講了什麼") == "杨学山讲了什么"
    assert normalize("创新驱动的新型智慧城市建设") == "创新驱动的新型智慧城市建设"


def test_question_words_particles_and_punctuation_are_dropped(tokenizer):
    assert tokenizer.tokenize("论坛在哪里举行？") == ["论坛", "举行"]
    assert tokenizer.tokenize("请问，什么 哪些 谁 是 的 了 吗？！") == []
    assert tokenizer.tokenize("   \n\t") == []


def test_words_that_point_at_the_answer_are_kept(tokenizer):
    tokens = tokenizer.tokenize("本次会议的主题是什么？孟庆国提出了哪三种范式？")
    assert {"本次", "会议", "主题", "孟庆国", "提出", "三种", "范式"} <= set(tokens)


def test_numbers_are_tokens_with_or_without_spaces(tokenizer):
    assert tokenizer.tokenize("创新 2.0") == tokenizer.tokenize("创新2.0") == ["创新", "2.0"]
    assert {"2017", "6", "11", "50"} <= set(tokenizer.tokenize("2017 年 6 月 11 日，创新 50 强"))


def test_traditional_and_full_width_questions_match_the_simplified_text(tokenizer):
    assert tokenizer.tokenize("論壇在哪裡舉行") == tokenizer.tokenize("论坛在哪里举行")
    assert tokenizer.tokenize("楊學山講了什麼") == tokenizer.tokenize("杨学山讲了什么")
    assert tokenizer.tokenize("ＣＩＯ時代學院") == tokenizer.tokenize("CIO时代学院")


def test_domain_terms_are_whole_words_and_yield_their_parts(tokenizer):
    tokens = tokenizer.tokenize("新型智慧城市")
    assert tokens[-1] == "新型智慧城市"
    assert {"新型", "智慧", "城市", "智慧城市"} <= set(tokens)
    assert "城域开放众创空间" in tokenizer.tokenize("城域开放众创空间的英文")


def test_without_subwords_a_long_word_stays_one_term():
    assert Tokenizer(subwords=False).tokenize("新型智慧城市建设") == ["新型智慧城市", "建设"]


def test_user_words_are_cut_whole_only_in_their_own_tokenizer(tokenizer):
    with_words = Tokenizer(user_words=["戊己庚辛", "ＣＩＯ 時代學院"])
    assert "戊己庚辛" in with_words.tokenize("戊己庚辛出席了论坛")
    assert "时代学院" in with_words.tokenize("CIO时代学院")
    # No shared jieba state: another tokenizer does not learn them.
    assert "戊己庚辛" not in tokenizer.tokenize("戊己庚辛出席了论坛")


def test_stopword_list_is_normalized_like_text():
    words = read_word_list(STOPWORDS_FILE)
    assert words == [normalize(w) for w in words]
    assert {"什么", "哪里", "谁", "的", "吗"} <= set(words)
    assert not {"提出", "认为", "论坛", "本次"} & set(words)


def test_dictionary_cache_is_written_then_reused(tmp_path: Path, tokenizer):
    text = "杨学山发表了题为《创新驱动的新型智慧城市建设》的主题演讲"
    first = Tokenizer(cache_dir=tmp_path)
    cache = tmp_path / CACHE_NAME
    assert cache.stat().st_size > 1_000_000
    second = Tokenizer(cache_dir=tmp_path)
    assert first.tokenize(text) == second.tokenize(text) == tokenizer.tokenize(text)


@pytest.mark.parametrize("damage", [b"", b"not marshal", marshal.dumps(7), marshal.dumps(({}, 0))])
def test_damaged_cache_is_rebuilt(tmp_path: Path, tokenizer, damage: bytes):
    (tmp_path / CACHE_NAME).write_bytes(damage)
    text = "智慧城市分委会秘书长是谁？"
    assert Tokenizer(cache_dir=tmp_path).tokenize(text) == tokenizer.tokenize(text)
    assert (tmp_path / CACHE_NAME).stat().st_size > 1_000_000


def test_the_names_a_knowledge_base_found_are_tagged_as_people():
    """姚乐 is a user word (jieba's dictionary lacks it): without a tag of its own it would
    read as 'x', and a question about 姚乐 would not be known to be about a person."""
    from knowledge.tokenizer import Tokenizer

    named = Tokenizer(["姚乐", "光明网"], names=["姚乐"])
    assert ("姚乐", "nr") in named.tag("姚乐是谁")
    assert ("姚乐", "nr") not in Tokenizer(["姚乐"]).tag("姚乐是谁")  # no tag leaks between
