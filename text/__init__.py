"""The Japanese text layer, shared by intake, routing, search and similar
proposals. It imports no other package of the project (it sits beside core,
below the rooms).

    tokens(text)       -> [Token]  surface, dictionary form, normalised form,
                                   part of speech and character offsets
    columns(text)      -> Columns  the same as parallel lists (fast, for bulk reading)
    cached_columns(text) -> Columns  the same from a small bounded cache of recent
                                   texts (routing reads one proposal many times)
    normalise(text)    -> str      the text as its tokens' normalised forms
                                   (子供 / 子ども / こども → 子供, ごみひろい → ごみ拾い)
    index_terms(text)  -> [str]    normalised forms of the content words, for
                                   indexing and similarity
    char_ngrams(text)  -> [str]    character n-grams of the cleaned text, the
                                   fallback for words the dictionary does not know
    clean(text)        -> str      NFKC, Latin lower-cased, spaces collapsed
    to_hiragana(text)  -> str      katakana → hiragana (readings typed in katakana)

Morphological analysis is SudachiPy with the sudachidict_core dictionary (it
ships inside the package: nothing is downloaded at run time), split mode A
(the shortest units), so a dictionary word is only ever found as whole
tokens: ママ is not inside そのまま, 海 is not inside 海外, 橋 not inside 高橋.
One tokenizer per process, created on first use (Flask start-up stays fast).
"""

from text.analysis import (
    Columns,
    Token,
    cached_columns,
    char_ngrams,
    clean,
    columns,
    index_terms,
    normalise,
    to_hiragana,
    tokenizer,
    tokens,
)

__all__ = ["Columns", "Token", "cached_columns", "char_ngrams", "clean", "columns", "index_terms", "normalise", "to_hiragana",
           "tokenizer", "tokens"]
