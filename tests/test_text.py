"""The Japanese text layer (text/): one analysis for routing, intake, search
and similar proposals."""

from __future__ import annotations

import text


def test_spellings_of_one_word_share_a_normalised_form():
    assert text.normalise("子供") == text.normalise("子ども") == text.normalise("こども")
    assert text.normalise("ごみひろい") == text.normalise("ゴミ拾い") == text.normalise("ごみ拾い")
    assert text.normalise("障がい者") == text.normalise("障害者")
    assert text.normalise("ＡＥＤ講習") == text.normalise("aed講習")


def test_tokens_carry_surface_dictionary_form_normalised_form_and_offsets():
    tokens = text.tokens("地域を歩いて、ＡＩで調べる")
    walked = next(t for t in tokens if t.surface == "歩い")
    assert walked.dictionary == "歩く" and walked.normalised == "歩く" and walked.pos == "動詞"
    cleaned = text.clean("地域を歩いて、ＡＩで調べる")
    assert all(cleaned[t.start:t.end] == t.surface for t in tokens)
    assert any(t.surface == "ai" for t in tokens)  # NFKC and lower case


def test_index_terms_keep_content_words_only():
    terms = text.index_terms("宮前区の高齢者サロンで、スマホの使い方を教えます。")
    assert {"宮前", "高齢", "サロン", "スマホ", "教える"} <= set(terms)
    assert not {"の", "で", "を", "、", "。", "ます"} & set(terms)


def test_character_ngrams_are_the_fallback_for_unknown_words():
    assert text.char_ngrams("ヤギ広場", 2) == ["ヤギ", "ギ広", "広場"]
    assert text.char_ngrams("", 2) == []


def test_long_pasted_text_is_analysed_in_pieces_without_error():
    long = "高齢者の見守り活動を続けます。" * 3000  # 45,000 characters: over Sudachi's input limit
    tokens = text.tokens(long)
    assert len([t for t in tokens if t.surface == "高齢"]) == 3000
    assert tokens[-1].end == len(text.clean(long))


def test_katakana_readings_fold_to_hiragana():
    assert text.to_hiragana("ミヤマエヨリアイ") == "みやまえよりあい"
