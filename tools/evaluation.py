"""`./lotse eval`: how well Lotse routes questions, measured on data it was not trained on.

Everything goes through the real decision path: a Rasa model trained without
the held-out questions, served by a real Rasa server, and the live Router built
from knowledge without those questions. Baselines run on the same data in the
same run.
"""
from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, Iterable, TextIO

import httpx
import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from actions import settings
from actions.knowledge_base import KnowledgeBase
from actions.knowledge_loader import load_knowledge
from actions.languages import LANGUAGES
from actions.retrieval import LexicalRetriever
from actions.routing import Router
from actions.text_normalisation import fold
from tools import nlu_generator, paths
from tools.route import route_one
from tools.servers import running
from tools.training import train

INTEGREAT = paths.ROOT.parent / "shared" / "eval" / "integreat_questions.jsonl"
EMERGENCY_LIST = paths.ROOT / "tests" / "data" / "emergency_messages.yml"
HOLDOUT_EVERY = 5  # every 5th question of each entry and language is held out

Sample = tuple[str, str, str]  # (entry_id, language, question)


def split_questions(knowledge: KnowledgeBase) -> tuple[KnowledgeBase, list[Sample]]:
    """Knowledge without the held-out questions, and the held-out questions themselves."""
    held_out: list[Sample] = []
    entries = {}
    for entry in knowledge.entries.values():
        kept: dict[str, tuple[str, ...]] = {}
        for lang, questions in entry.questions.items():
            kept[lang] = tuple(q for i, q in enumerate(questions) if i % HOLDOUT_EVERY != 2)
            held_out += [(entry.id, lang, q) for q in questions[2::HOLDOUT_EVERY]]
        entries[entry.id] = dataclasses.replace(entry, questions=kept)
    return KnowledgeBase(entries, dict(knowledge.services)), held_out


def _holdout_training_data(knowledge: KnowledgeBase, held_out: list[Sample], target: Path) -> Path:
    """A copy of data/ whose generated knowledge questions leave the held-out ones out."""
    shutil.copytree(paths.ROOT / "data", target)
    nlu_generator.write(knowledge, target / "nlu" / paths.GENERATED_NLU.name, set(held_out))
    return target


def _accuracy(pairs: Iterable[bool]) -> float:
    values = list(pairs)
    return 100.0 * sum(values) / len(values) if values else float("nan")


def _tfidf_lr(texts: list[str], labels: list[str]) -> Callable[[str], str]:
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    model = LogisticRegression(max_iter=2000, C=10.0).fit(vectorizer.fit_transform([fold(t) for t in texts]), labels)
    return lambda text: str(model.predict(vectorizer.transform([fold(text)]))[0])


def _bm25(knowledge: KnowledgeBase) -> Callable[[str], str]:
    import bm25s

    owners = [entry_id for entry_id, _, _ in knowledge.questions()]
    docs = [fold(question) for _, _, question in knowledge.questions()]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(docs, stopwords=None, show_progress=False), show_progress=False)

    def top_entry(text: str) -> str:
        tokens = bm25s.tokenize([fold(text)], stopwords=None, show_progress=False)
        if not tokens.vocab:
            return ""
        results, scores = retriever.retrieve(tokens, k=1, show_progress=False)
        return owners[int(results[0][0])] if scores[0][0] > 0 else ""

    return top_entry


def evaluate(out: TextIO, json_path: Path) -> dict[str, Any]:
    """Run every measurement, print tables, write JSON; returns the results."""
    knowledge = load_knowledge(settings.KNOWLEDGE_DIR).knowledge
    trained_knowledge, held_out = split_questions(knowledge)
    integreat = [json.loads(line) for line in INTEGREAT.read_text(encoding="utf-8").splitlines() if line.strip()]
    dev = [row for row in integreat if row["split"] == "dev"]
    emergencies = yaml.safe_load(EMERGENCY_LIST.read_text(encoding="utf-8"))
    results: dict[str, Any] = {"held_out_questions": len(held_out), "dev_questions": len(dev)}

    with tempfile.TemporaryDirectory() as tmp:
        model = train(_holdout_training_data(trained_knowledge, held_out, Path(tmp) / "data"), quiet=True)
        router = Router(trained_knowledge, LexicalRetriever(trained_knowledge))
        with running(model, Path(tmp) / "state", with_actions=False) as servers, \
                httpx.Client(timeout=30) as client:
            def lotse(text: str) -> dict[str, Any]:
                """Exactly what `./lotse route` answers for `text`."""
                return route_one(router, client, servers.rasa_url, text)

            emergency_hits = [lotse(m)["action"] == "emergency" for lang in emergencies for m in emergencies[lang]]
            dev_decisions = [lotse(row["text"]) for row in dev]
            own_decisions = [lotse(q) for _, _, q in held_out]

    # 1. Emergencies first.
    ordinary = dev_decisions + own_decisions
    results["emergency"] = {
        "messages": len(emergency_hits), "recall": _accuracy(emergency_hits),
        "false_alarm_rate": _accuracy(d["action"] == "emergency" for d in ordinary), "ordinary": len(ordinary),
    }
    print(f"Emergency recall: {results['emergency']['recall']:.1f} % of {len(emergency_hits)} messages; "
          f"false alarms {results['emergency']['false_alarm_rate']:.2f} % of {len(ordinary)} ordinary questions",
          file=out)

    # 2. Integreat dev: category accuracy per language, Lotse vs baselines.
    def category_ok(row: dict[str, Any], category: str | None) -> bool:
        return category in (row["category"], row["alt"])

    train_rows = [row for row in integreat if row["split"] == "train"]
    tfidf_integreat = _tfidf_lr([r["text"] for r in train_rows], [r["category"] for r in train_rows])
    bm25 = _bm25(trained_knowledge)
    category_of = {e.id: e.category for e in knowledge.entries.values()}
    systems: dict[str, list[str | None]] = {
        "lotse": [d["category"] for d in dev_decisions],
        "tfidf_lr (trained on integreat train)": [tfidf_integreat(r["text"]) for r in dev],
        "bm25 over entry questions": [category_of.get(bm25(r["text"])) for r in dev],
    }
    dev_langs = sorted({r["lang"] for r in dev}, key=LANGUAGES.index)
    table: dict[str, dict[str, float]] = {}
    for name, predictions in systems.items():
        table[name] = {lang: _accuracy(category_ok(r, p) for r, p in zip(dev, predictions) if r["lang"] == lang)
                       for lang in dev_langs}
    by_id: dict[int, set[str | None]] = defaultdict(set)
    for row, prediction in zip(dev, systems["lotse"]):
        by_id[row["id"]].add(prediction)
    results["integreat_dev_category_accuracy"] = table
    results["integreat_cross_language_consistency"] = _accuracy(len(c) == 1 for c in by_id.values())
    _print_table(out, "Integreat dev: category accuracy (%)", dev_langs, table)
    print(f"Cross-language consistency (same category for one question in all languages): "
          f"{results['integreat_cross_language_consistency']:.1f} %", file=out)

    # 3. Held-out own questions: entry accuracy per language.
    train_samples = list(trained_knowledge.questions())
    tfidf_entries = _tfidf_lr([q for _, _, q in train_samples], [e for e, _, _ in train_samples])
    own = {
        "lotse": [d["entry"] for d in own_decisions],
        "tfidf_lr (trained on entry questions)": [tfidf_entries(q) for _, _, q in held_out],
        "bm25 over entry questions": [bm25(q) for _, _, q in held_out],
    }
    own_table = {name: {lang: _accuracy(p == e for (e, l, _), p in zip(held_out, preds) if l == lang)
                        for lang in LANGUAGES} for name, preds in own.items()}
    results["held_out_entry_accuracy"] = own_table
    results["held_out_lotse_actions"] = dict(Counter(d["action"] for d in own_decisions))
    _print_table(out, "Held-out own questions: entry accuracy (%)", list(LANGUAGES), own_table)

    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nwritten: {json_path}", file=out)
    return results


def _print_table(out: TextIO, title: str, columns: list[str], rows: dict[str, dict[str, float]]) -> None:
    width = max(len(name) for name in rows) + 2
    print(f"\n{title}", file=out)
    print("".ljust(width) + "".join(c.rjust(7) for c in columns) + "   mean", file=out)
    for name, values in rows.items():
        mean = float(np.nanmean([values[c] for c in columns]))
        print(name.ljust(width) + "".join(f"{values[c]:7.1f}" for c in columns) + f"{mean:7.1f}", file=out)
