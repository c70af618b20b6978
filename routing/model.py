"""The learned routing model: what the window decided on past proposals,
generalised. Pure (no database, no Flask): routing.learning feeds it the
labelled examples and stores the trained model.

Features: the normalised forms of the text's content words and their pairs
(from the text layer), character 2–3-grams (a fallback for names and words
the dictionary splits badly), and the proposal's fields (ward, scope, picked
themes, stage) as tokens. Lead: a linear classifier (logistic regression)
whose probabilities are calibrated (sigmoid, cross-validated) when every
department has at least three examples. Co-departments: one linear
classifier per department (one-vs-rest). Nearest past proposals: cosine
similarity of the word vectors, so staff see which past cases the model leans
on ("似た過去の提案 3件 → 中原区役所").
"""

from __future__ import annotations

import io
import pickle
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from text import Columns, clean, columns

TEXT_FIELDS = ("title", "summary", "issue", "activities")
NEIGHBOURS = 5
MIN_SIMILARITY = 0.12
CO_THRESHOLD = 0.5
_CONTENT = {"名詞", "動詞", "形容詞", "形状詞", "副詞"}


@dataclass
class Example:
    proposal: dict  # the plain data of proposal.md
    lead: str
    co: list[str]
    reference: str = ""


@dataclass
class ModelView:
    """What the model proposes for one proposal (shown in the why-here panel)."""

    version: int | None
    lead: str
    probability: float
    co: list[dict]  # [{"department": code, "probability": p}]
    ranked: list[dict]  # the top departments with their probability
    similar: list[dict]  # [{"reference", "lead", "similarity"}], nearest first
    similar_lead: str | None = None  # the lead most of the similar ones had
    similar_count: int = 0  # how many of them had it

    def to_json(self) -> dict:
        return {"version": self.version, "lead": self.lead, "probability": round(self.probability, 3),
                "co": self.co, "ranked": self.ranked, "similar": self.similar,
                "similar_lead": self.similar_lead, "similar_count": self.similar_count}


def content_terms(analysed: list[Columns]) -> list[str]:
    terms = [key for cols in analysed for key, pos in zip(cols.keys, cols.pos, strict=True)
             if pos in _CONTENT and not key.isdigit()]
    return terms + [f"{a}_{b}" for a, b in zip(terms, terms[1:], strict=False)]


def meta_terms(proposal: dict) -> list[str]:
    area = proposal.get("area") or {}
    wards = [w for w in (area.get("wards") or []) if isinstance(w, str)]
    scope = area.get("scope") or "none"
    terms = [f"__scope:{scope}", f"__wards:{min(len(wards), 2)}", f"__stage:{proposal.get('stage') or 'none'}"]
    terms += [f"__ward:{w}" for w in wards]
    picks = proposal.get("themes") or []
    terms += [f"__pick:{p}" for p in picks if isinstance(p, str)] or ["__pick:none"]
    return terms


def document(proposal: dict, analysed: list[Columns] | None = None) -> tuple[str, str]:
    """(word document, character document) of a proposal. The analysis may be
    passed in when the caller has it already (the engine analyses once)."""
    texts = [clean(proposal.get(name) if isinstance(proposal.get(name), str) else "") for name in TEXT_FIELDS]
    if analysed is None:
        analysed = [columns(text, cleaned=True) for text in texts]
    words = " ".join(content_terms(analysed) + meta_terms(proposal))
    text = "\n".join(texts)
    return words, text


WARD = "@ward"  # label: the ward office of the proposal's one ward


def one_ward(proposal: dict) -> str | None:
    area = proposal.get("area") or {}
    wards = [w for w in (area.get("wards") or []) if isinstance(w, str)]
    return wards[0] if len(wards) == 1 and area.get("scope") not in ("multi_ward", "citywide") else None


def relative(code: str, proposal: dict) -> str:
    """A department as a label: the proposal's own ward office becomes @ward, so
    the model learns "in-ward work goes to the ward" once for all seven wards."""
    return WARD if code and code == one_ward(proposal) else code


def absolute(label: str, proposal: dict) -> str | None:
    return one_ward(proposal) if label == WARD else label


def _split(doc: str) -> list[str]:
    return doc.split()


@dataclass
class RoutingModel:
    version: int | None
    words: object  # TfidfVectorizer over word terms
    chars: object  # TfidfVectorizer over character n-grams
    lead: object  # classifier
    co: object | None  # OneVsRestClassifier or None
    co_labels: list[str]
    neighbour_matrix: object  # training word vectors (L2-normalised rows)
    neighbour_leads: list[str]
    neighbour_refs: list[str]
    neighbour_codes: list[str] = field(default_factory=list)  # the leads as department codes
    trained_on: int = 0
    classes: list[str] = field(default_factory=list)

    # --- prediction ------------------------------------------------------------------------------

    def _vectors(self, docs: list[tuple[str, str]]):
        from scipy.sparse import hstack

        words = self.words.transform([d[0] for d in docs])
        chars = self.chars.transform([d[1] for d in docs])
        return hstack([words, chars]).tocsr(), words

    def view(self, proposal: dict, analysed: list[Columns] | None = None) -> ModelView:
        return self.views([proposal], [document(proposal, analysed)])[0]

    def views(self, proposals: list[dict], docs: list[tuple[str, str]] | None = None) -> list[ModelView]:
        """Model views for many proposals at once (the preview and the bench batch them)."""
        docs = docs if docs is not None else [document(p) for p in proposals]
        matrix, words = self._vectors(docs)
        probabilities = self.lead.predict_proba(matrix)
        co_probabilities = self.co.predict_proba(matrix) if self.co is not None else None
        if co_probabilities is not None and co_probabilities.shape[1] != len(self.co_labels):
            co_probabilities = co_probabilities[:, -len(self.co_labels):]  # one label: a binary classifier
        similarities = (words @ self.neighbour_matrix.T).toarray() if len(self.neighbour_leads) else None
        out = []
        for row, probs in enumerate(probabilities):
            proposal = proposals[row]
            order = [i for i in np.argsort(-probs) if absolute(self.classes[i], proposal)]
            ranked = [{"department": absolute(self.classes[i], proposal), "probability": round(float(probs[i]), 3)}
                      for i in order[:5]]
            lead = ranked[0]["department"] if ranked else None
            lead_p = float(probs[order[0]]) if order else 0.0
            co = []
            if co_probabilities is not None:
                for label, p in zip(self.co_labels, co_probabilities[row], strict=True):
                    code = absolute(label, proposal)
                    if p >= CO_THRESHOLD and code and code != lead:
                        co.append({"department": code, "probability": round(float(p), 3)})
                co.sort(key=lambda c: -c["probability"])
            similar = []
            if similarities is not None:
                sims = similarities[row]
                for i in np.argsort(-sims)[:NEIGHBOURS]:
                    if sims[i] < MIN_SIMILARITY:
                        break
                    similar.append({"reference": self.neighbour_refs[i], "lead": self.neighbour_codes[i],
                                    "similarity": round(float(sims[i]), 2)})
            counts = Counter(s["lead"] for s in similar)
            similar_lead, similar_count = counts.most_common(1)[0] if counts else (None, 0)
            out.append(ModelView(self.version, lead, lead_p, co, ranked, similar,
                                 similar_lead, similar_count))
        return out

    # --- storage ---------------------------------------------------------------------------------

    def dumps(self) -> bytes:
        buffer = io.BytesIO()
        pickle.dump(self, buffer, protocol=pickle.HIGHEST_PROTOCOL)
        return buffer.getvalue()

    @staticmethod
    def loads(blob: bytes, version: int | None = None) -> RoutingModel:
        # Only blobs this application wrote to its own database are loaded (never user uploads).
        model = pickle.loads(blob)  # noqa: S301
        model.version = version if version is not None else model.version
        return model


def train(examples: list[Example], version: int | None = None) -> RoutingModel:
    """Train on labelled examples (at least two different leads). Seconds for
    thousands, on one thread: the machine's other work (and the tests) keep
    the other cores, and BLAS threads fighting over shared cores were 15×
    slower than one."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _train(examples, version)


def _train(examples: list[Example], version: int | None) -> RoutingModel:
    from scipy.sparse import hstack
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer
    from sklearn.svm import LinearSVC

    if len({e.lead for e in examples}) < 2:
        raise ValueError("at least two different leads are needed to train")
    docs = [document(e.proposal) for e in examples]
    words = TfidfVectorizer(analyzer=_split, sublinear_tf=True, min_df=1)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True, min_df=2, max_features=30000)
    word_matrix = words.fit_transform([d[0] for d in docs])
    char_matrix = chars.fit_transform([d[1] for d in docs])
    matrix = hstack([word_matrix, char_matrix * 0.5]).tocsr()
    # Fit on the same scaling the prediction uses.
    chars_scaled = _Scaled(chars, 0.5)
    leads = [relative(e.lead, e.proposal) for e in examples]
    counts = Counter(leads)
    if min(counts.values()) >= 3 and len(examples) >= 30:
        # Enough of every department: a linear SVM with probabilities calibrated by cross-validation.
        lead = CalibratedClassifierCV(LinearSVC(C=1.0), method="sigmoid", cv=3).fit(matrix, leads)
    else:
        # Rare departments (fewer than three examples) cannot be cross-validated:
        # logistic regression's own probabilities (log-loss) stand in.
        lead = LogisticRegression(C=10.0, max_iter=500).fit(matrix, leads)
    co_sets = [[relative(c, e.proposal) for c in e.co if c != e.lead] for e in examples]
    co_counts = Counter(c for cs in co_sets for c in cs)
    co_labels = sorted(c for c, n in co_counts.items() if n >= 2)
    co_model = None
    if co_labels:
        binarizer = MultiLabelBinarizer(classes=co_labels)
        targets = binarizer.fit_transform([[c for c in cs if c in co_labels] for cs in co_sets])
        usable = [i for i in range(len(co_labels)) if 0 < targets[:, i].sum() < len(examples)]
        co_labels = [co_labels[i] for i in usable]
        if co_labels:
            co_model = OneVsRestClassifier(LogisticRegression(C=10.0, solver="liblinear")).fit(matrix, targets[:, usable])
    return RoutingModel(
        version=version, words=words, chars=chars_scaled, lead=lead, co=co_model, co_labels=co_labels,
        neighbour_matrix=word_matrix, neighbour_leads=leads, neighbour_refs=[e.reference for e in examples],
        neighbour_codes=[e.lead for e in examples],
        trained_on=len(examples), classes=[str(c) for c in lead.classes_],
    )


class _Scaled:
    """A fitted vectorizer whose output is scaled (character n-grams weigh half the words)."""

    def __init__(self, vectorizer, factor: float):
        self.vectorizer, self.factor = vectorizer, factor

    def transform(self, docs):
        return self.vectorizer.transform(docs) * self.factor


def score(model: RoutingModel, examples: list[Example]) -> float:
    """Lead accuracy on held-out examples."""
    if not examples:
        return 0.0
    views = model.views([e.proposal for e in examples])
    return sum(v.lead == e.lead for v, e in zip(views, examples, strict=True)) / len(examples)
