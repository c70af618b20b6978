"""Words of one meaning in collaboration proposals, beyond spellings.

The text layer makes the spellings of a word one term (子ども / 子供 /
こども); it cannot know that シニア, お年寄り and 高齢者 are the same people.
Each group here becomes one more feature (a concept, "~高齢") added beside
the words themselves, so the same word still counts more than a synonym.
The groups are general vocabulary of proposals to a city (welfare, children,
environment, disaster, community), written once; they are not drawn from
the labelled set's test split (docs/search.md).
"""

from __future__ import annotations

from functools import lru_cache

from text import index_terms

GROUPS = (
    ("高齢者", "お年寄り", "年寄り", "シニア", "老人", "高齢", "年配"),
    ("子ども", "児童", "小学生", "中学生", "小中学生", "子", "キッズ"),
    ("若者", "青少年", "ユース", "高校生", "学生"),
    ("親子", "乳幼児", "赤ちゃん", "未就学児", "子育て"),
    ("外国人", "外国", "海外", "外国籍", "在住外国人", "多文化", "国際"),
    ("スマホ", "スマートフォン", "デジタル", "パソコン", "タブレット", "ICT", "IT"),
    ("ごみ", "ポイ捨て", "漂着", "不法投棄", "散乱"),
    ("清掃", "拾う", "掃除", "美化"),
    ("避難", "避難所", "防災", "災害", "減災"),
    ("空き家", "民家", "古民家", "空き店舗"),
    ("居場所", "拠点", "サロン", "たまり場", "集いの場"),
    ("食事", "夕食", "ごはん", "ご飯", "昼食", "弁当", "食堂"),
    ("食品", "食料", "食材"),
    ("障害者", "障がい者", "障害", "車いす"),
    ("認知症", "もの忘れ", "物忘れ"),
    ("介護", "介護者", "ケア"),
    ("孤立", "孤独", "ひとりぼっち", "孤食"),
    ("見守り", "見守る", "声かけ"),
    ("竹林", "竹", "里山", "雑木林", "森", "緑地", "森林"),
    ("商店街", "商店会", "商店", "個店"),
    ("にぎわい", "賑わい", "活性化", "活気"),
    ("学習", "勉強", "学び", "宿題"),
    ("貧困", "困窮", "生活困窮", "生活保護", "経済的"),
    ("交通安全", "交通事故", "横断"),
    ("通学路", "登下校", "登校", "下校"),
    ("買い物", "買物", "移動販売", "御用聞き"),
    ("就労", "就職", "雇用", "仕事"),
    ("交流", "ふれあい", "つながり"),
    ("講座", "教室", "講習", "セミナー", "ワークショップ"),
)


@lru_cache(maxsize=1)
def _concepts() -> dict[tuple[str, ...], str]:
    """Each group's words as the text layer analyses them (a word may be
    several terms: 空き店舗 → 空く 店舗) → the group's name."""
    concepts: dict[tuple[str, ...], str] = {}
    for group in GROUPS:
        for word in group:
            terms = tuple(index_terms(word))
            if terms:
                concepts.setdefault(terms, "~" + group[0])
    return concepts


@lru_cache(maxsize=1)
def _starts() -> tuple[frozenset, int]:
    """The first terms of the thesaurus's words and the longest word's length: most terms start
    no word, and similar proposals read the concepts of 200 candidates per request."""
    known = _concepts()
    return frozenset(k[0] for k in known), max(len(k) for k in known)


def concepts_of(terms: list[str]) -> list[str]:
    """The concepts of a text's terms: the longest word of a group that
    starts at each term (so 空く 店舗 is one 空き店舗, and 空く alone is nothing)."""
    known = _concepts()
    starts, longest = _starts()
    found, i = [], 0
    while i < len(terms):
        if terms[i] not in starts:
            i += 1
            continue
        for size in range(min(longest, len(terms) - i), 0, -1):
            concept = known.get(tuple(terms[i:i + size]))
            if concept is not None:
                found.append(concept)
                i += size
                break
        else:
            i += 1
    return found
