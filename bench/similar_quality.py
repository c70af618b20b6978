"""Quality of similar proposals: precision@k on the labelled set, beside two baselines.

    .venv/bin/python bench/similar_quality.py [--split dev|test|all] [--pg postgresql://…]

tests/data/similar_labelled.jsonl: proposals in clusters of the same need
(from different organisations, in different words) and near-misses (the
same words, another need). For each proposal with at least one mate, k = the
number of its true mates (at most 5); precision@k is the share of its top k,
ranked among the proposals of the same split only, that are mates. Printed:
  - ours: search.similarity (TF-IDF cosine of normalised words + bigrams + themes);
  - char-bigram TF-IDF: character 2-grams of all text, cosine (scikit-learn);
  - Decidim: PostgreSQL pg_trgm, GREATEST(similarity(title), similarity(body)),
    on a database whose LC_CTYPE is C.UTF-8 (only with --pg; the table lives
    in a temporary schema and is dropped).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search.documents import PUBLIC_FIELDS, analyse_data  # noqa: E402
from search.similarity import Features, rank_collection  # noqa: E402

LABELLED = Path(__file__).resolve().parent.parent / "tests" / "data" / "similar_labelled.jsonl"


def load(split: str, path: Path = LABELLED) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split == "all" or r["split"] == split]


def precision_at_k(rows: list[dict], ranked: dict[str, list[str]]) -> float:
    cluster = {r["id"]: r["cluster"] for r in rows}
    scores = []
    for r in rows:
        mates = {o["id"] for o in rows if o["cluster"] == r["cluster"] and o["id"] != r["id"]}
        if not mates:
            continue
        k = min(len(mates), 5)
        top = ranked.get(r["id"], [])[:k]
        scores.append(sum(cluster[i] == r["cluster"] for i in top) / k)
    return sum(scores) / len(scores)


def ours(rows: list[dict]) -> dict[str, list[str]]:
    ranked = rank_collection([(r["id"], Features.of(analyse_data(r))) for r in rows], k=5)
    return {key: [m.key for m in matches] for key, matches in ranked.items()}


def body(r: dict) -> str:
    return "\n".join(r.get(name, "") for name in PUBLIC_FIELDS[1:])


def char_bigrams(rows: list[dict]) -> dict[str, list[str]]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [r["title"] + "\n" + body(r) for r in rows]
    matrix = TfidfVectorizer(analyzer="char", ngram_range=(2, 2)).fit_transform(texts)
    similarity = (matrix @ matrix.T).toarray()
    out = {}
    for i, r in enumerate(rows):
        order = sorted((j for j in range(len(rows)) if j != i), key=lambda j: (-similarity[i, j], rows[j]["id"]))
        out[r["id"]] = [rows[j]["id"] for j in order[:5]]
    return out


def decidim(rows: list[dict], url: str) -> dict[str, list[str]]:
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        ctype = conn.scalar(sa.text("SHOW lc_ctype"))
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        conn.execute(sa.text("CREATE TEMPORARY TABLE decidim_proposals (id text, title text, body text)"))
        conn.execute(sa.text("INSERT INTO decidim_proposals VALUES (:id, :title, :body)"),
                     [{"id": r["id"], "title": r["title"], "body": body(r)} for r in rows])
        result = conn.execute(sa.text(
            "SELECT a.id, b.id, GREATEST(similarity(a.title, b.title), similarity(a.body, b.body)) AS s "
            "FROM decidim_proposals a JOIN decidim_proposals b ON a.id <> b.id ORDER BY a.id, s DESC, b.id")).all()
    engine.dispose()
    print(f"  (Decidim baseline on a database with LC_CTYPE {ctype})")
    out: dict[str, list[str]] = {}
    for a, b, _ in result:
        out.setdefault(a, [])
        if len(out[a]) < 5:
            out[a].append(b)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="test", choices=["dev", "test", "all"])
    parser.add_argument("--pg", help="a PostgreSQL URL for the Decidim baseline")
    parser.add_argument("--file", type=Path, default=LABELLED)
    args = parser.parse_args()
    rows = load(args.split, args.file)
    queries = sum(1 for r in rows if any(o["cluster"] == r["cluster"] and o["id"] != r["id"] for o in rows))
    print(f"split {args.split}: {len(rows)} proposals, {queries} queries; precision@k (k = mates, at most 5)")
    print(f"  ours (words + bigrams + themes, TF-IDF cosine): {precision_at_k(rows, ours(rows)):.3f}")
    print(f"  baseline char-bigram TF-IDF:                     {precision_at_k(rows, char_bigrams(rows)):.3f}")
    if args.pg:
        print(f"  baseline Decidim (pg_trgm GREATEST):             {precision_at_k(rows, decidim(rows, args.pg)):.3f}")


if __name__ == "__main__":
    main()
