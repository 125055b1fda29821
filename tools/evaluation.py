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
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import httpx
import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from core import config
from core.knowledge.base import KnowledgeBase
from core.knowledge.loader import load_knowledge
from core.languages import LANGUAGES
from core.model import nlu_data as nlu_generator
from core.model.training import train, training_data
from core.routing.ranking import Ranker
from core.routing.router import Decision, Nlu, Router
from core.routing.semantic import NO_MODEL, load_encoder
from core.routing.triage import SAFETY_ENTRIES
from core.text_normalisation import fold
from tools.route import interface_fields
from tools.servers import running
from tools.triage_evaluation import EVAL_SETS, Ordinary, load_eval_set, measure, print_report

INTEGREAT = config.ROOT.parent / "shared" / "eval" / "integreat_questions.jsonl"
EMERGENCY_LIST = config.ROOT / "tests" / "data" / "emergency_messages.yml"
HOLDOUT_EVERY = 5  # every 5th question of each entry and language is held out
REPORTED_FOLD = 2  # questions 2, 7, 12, ... are the ones reported; other folds are for tuning

Sample = tuple[str, str, str]  # (entry_id, language, question)


def split_questions(knowledge: KnowledgeBase, fold: int = REPORTED_FOLD) -> tuple[KnowledgeBase, list[Sample]]:
    """Knowledge without the held-out questions, and the held-out questions themselves."""
    held_out: list[Sample] = []
    entries = {}
    for entry in knowledge.entries.values():
        kept: dict[str, tuple[str, ...]] = {}
        for lang, questions in entry.questions.items():
            kept[lang] = tuple(q for i, q in enumerate(questions) if i % HOLDOUT_EVERY != fold)
            held_out += [(entry.id, lang, q) for q in questions[fold::HOLDOUT_EVERY]]
        entries[entry.id] = dataclasses.replace(entry, questions=kept)
    return KnowledgeBase(entries, dict(knowledge.services)), held_out


RASA_INIT_CONFIG = config.ROOT / "tools" / "baselines" / "rasa_init_config.yml"


def rasa_init_training_data(knowledge: KnowledgeBase, held_out: list[Sample], target: Path) -> Path:
    """The same NLU data for Rasa's default pipeline, with one intent per entry (no rules: NLU only)."""
    (target / "nlu").mkdir(parents=True)
    for path in (config.ROOT / "data" / "nlu").glob("*.yml"):
        if path != config.GENERATED_NLU:
            shutil.copy(path, target / "nlu" / path.name)
    nlu_generator.write(knowledge, target / "nlu" / "knowledge_entries.yml", set(held_out), intent_per_entry=True)
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


@dataclass(frozen=True)
class Configuration:
    """One way to run Lotse's routing: with an embedding model, or lexical only."""

    label: str
    model: str


CONFIGURATIONS = (
    Configuration("lotse, lexical only (no model)", NO_MODEL),
    Configuration("lotse + all-MiniLM-L6-v2 (packaged, English)", "all-MiniLM-L6-v2"),
    Configuration(f"lotse + {config.DEFAULT_EMBEDDING_MODEL} (default)", config.DEFAULT_EMBEDDING_MODEL),
)


def _rasa_init_intents(
    trained_knowledge: KnowledgeBase, held_out: list[Sample], texts: list[str], tmp: Path
) -> list[str]:
    """The top intent of Rasa's default pipeline (trained on the same data) for each text."""
    data = rasa_init_training_data(trained_knowledge, held_out, tmp / "baseline-data")
    print(
        "Rasa default pipeline baseline: DIET and ResponseSelector, 100 epochs each "
        "(about an hour on 2 cores for ~10,000 examples, then cached) ...",
        file=sys.stderr,
    )
    model = train(data, quiet=True, config=RASA_INIT_CONFIG, nlu_only=True)
    with running(model, tmp / "baseline-state", with_actions=False) as servers, httpx.Client(timeout=60) as client:
        return [str((servers.api.parse(client, text).get("intent") or {}).get("name")) for text in texts]


def evaluate(out: TextIO, json_path: Path, with_rasa_baseline: bool = True) -> dict[str, Any]:
    """Run every measurement, print tables, write JSON; returns the results."""
    knowledge = load_knowledge(config.settings().knowledge_dir).knowledge
    trained_knowledge, held_out = split_questions(knowledge)
    integreat = [json.loads(line) for line in INTEGREAT.read_text(encoding="utf-8").splitlines() if line.strip()]
    dev = [row for row in integreat if row["split"] == "dev"]
    emergencies = yaml.safe_load(EMERGENCY_LIST.read_text(encoding="utf-8"))
    emergency_texts = [m for lang in emergencies for m in emergencies[lang]]
    own_texts = [q for _, _, q in held_out]
    dev_texts = [row["text"] for row in dev]
    triage_sets = {name: load_eval_set(path) for name, path in EVAL_SETS.items()}
    triage_texts = [case.text for cases in triage_sets.values() for case in cases]
    all_texts = emergency_texts + dev_texts + own_texts + triage_texts
    results: dict[str, Any] = {"held_out_questions": len(held_out), "dev_questions": len(dev), "configurations": {}}

    routers: dict[str, Router] = {}
    for configuration in CONFIGURATIONS:
        encoder = load_encoder(configuration.model)
        if configuration.model != NO_MODEL and encoder is None:
            results["configurations"][configuration.label] = "not measured: model not on this machine"
            print(
                f"{configuration.label}: not measured, the model is not on this machine "
                f"('./lotse models download' where a model hub is reachable)",
                file=out,
            )
            continue
        started = time.monotonic()
        routers[configuration.label] = Router(trained_knowledge, Ranker(trained_knowledge, encoder))
        results["configurations"][configuration.label] = {"build_seconds": round(time.monotonic() - started, 1)}

    decisions: dict[str, list[dict[str, Any]]] = {}
    full_decisions: dict[str, list[Decision]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        model = train(training_data(trained_knowledge, Path(tmp) / "data", set(held_out)), quiet=True)
        with running(model, Path(tmp) / "state", with_actions=False) as servers, httpx.Client(timeout=30) as client:
            parses = [servers.api.parse(client, text) for text in all_texts]
        for label, router in routers.items():
            started = time.monotonic()
            full_decisions[label] = [router.decide(text, Nlu.from_parse(p)) for text, p in zip(all_texts, parses)]
            decisions[label] = [interface_fields(d, p) for d, p in zip(full_decisions[label], parses)]
            results["configurations"][label]["ms_per_message"] = round(
                1000 * (time.monotonic() - started) / len(all_texts), 2
            )
        rasa_init = (
            _rasa_init_intents(trained_knowledge, held_out, dev_texts + own_texts, Path(tmp))
            if with_rasa_baseline
            else None
        )

    def part(label: str, start: int, count: int) -> list[dict[str, Any]]:
        return decisions[label][start : start + count]

    n_emergency, n_dev = len(emergency_texts), len(dev_texts)
    # 0. Triage first: the frozen independent set, and the ordinary questions (Integreat dev, held-out
    # questions of entries that are not about emergencies) for false alarms and off-topic errors.
    n_own = len(own_texts)
    ordinary_rows = [i for i, row in enumerate(dev) if row["category"] != "out_of_scope"] + [
        n_dev + i for i, (entry_id, _, _) in enumerate(held_out) if entry_id not in SAFETY_ENTRIES
    ]
    results["triage"] = {}
    start = n_emergency + n_dev + n_own
    for set_name, cases in triage_sets.items():
        results["triage"][set_name] = {}
        for label, full in full_decisions.items():
            ordinary_questions = Ordinary([full[n_emergency + i] for i in ordinary_rows])
            results["triage"][set_name][label] = measure(
                cases, full[start : start + len(cases)], ordinary_questions, full[:n_emergency]
            )
        print_report(out, results["triage"][set_name], set_name)
        print(file=out)
        start += len(cases)
    # 1. Emergencies first (the pattern layer is the same in every configuration).
    results["emergency"] = {}
    for label in decisions:
        hits = [d["action"] == "emergency" for d in part(label, 0, n_emergency)]
        ordinary = part(label, n_emergency, n_dev + len(own_texts))
        results["emergency"][label] = {
            "messages": len(hits),
            "recall": _accuracy(hits),
            "ordinary": len(ordinary),
            "false_alarm_rate": _accuracy(d["action"] == "emergency" for d in ordinary),
        }
        print(
            f"Emergency recall ({label}): {results['emergency'][label]['recall']:.1f} % of {len(hits)} messages; "
            f"false alarms {results['emergency'][label]['false_alarm_rate']:.2f} % of {len(ordinary)} "
            f"ordinary questions",
            file=out,
        )

    # 2. Integreat dev: category accuracy per language, Lotse vs baselines.
    def category_ok(row: dict[str, Any], category: str | None) -> bool:
        return category in (row["category"], row["alt"])

    train_rows = [row for row in integreat if row["split"] == "train"]
    tfidf_integreat = _tfidf_lr([r["text"] for r in train_rows], [r["category"] for r in train_rows])
    bm25 = _bm25(trained_knowledge)
    category_of = {e.id: e.category for e in knowledge.entries.values()}
    systems: dict[str, list[str | None]] = {
        label: [d["category"] for d in part(label, n_emergency, n_dev)] for label in decisions
    }
    baselines: dict[str, list[str | None]] = {
        "tfidf_lr (trained on integreat train)": [tfidf_integreat(t) for t in dev_texts],
        "bm25 over entry questions": [category_of.get(bm25(t)) for t in dev_texts],
    }
    if rasa_init is not None:
        baselines["rasa init pipeline (entry intents)"] = [
            category_of.get(intent.removeprefix("entry_")) for intent in rasa_init[:n_dev]
        ]
    dev_langs = sorted({r["lang"] for r in dev}, key=LANGUAGES.index)
    table = {
        name: {
            lang: _accuracy(category_ok(r, p) for r, p in zip(dev, predictions) if r["lang"] == lang)
            for lang in dev_langs
        }
        for name, predictions in {**systems, **baselines}.items()
    }
    results["integreat_dev_category_accuracy"] = table
    results["integreat_cross_language_consistency"] = {}
    for label in decisions:
        by_id: dict[int, set[str | None]] = defaultdict(set)
        for row, prediction in zip(dev, systems[label]):
            by_id[row["id"]].add(prediction)
        results["integreat_cross_language_consistency"][label] = _accuracy(len(c) == 1 for c in by_id.values())
    _print_table(out, "Integreat dev: category accuracy (%), target >= 85 in every language", dev_langs, table)
    _print_leads(out, table, list(decisions), list(baselines), dev_langs)
    for label, value in results["integreat_cross_language_consistency"].items():
        print(
            f"Cross-language consistency ({label}): {value:.1f} % of questions get one category in all languages",
            file=out,
        )

    # 3. Held-out own questions: entry accuracy per language.
    train_samples = list(trained_knowledge.questions())
    tfidf_entries = _tfidf_lr([q for _, _, q in train_samples], [e for e, _, _ in train_samples])
    own = {label: [d["entry"] for d in part(label, n_emergency + n_dev, len(own_texts))] for label in decisions}
    own_baselines: dict[str, list[str | None]] = {
        "tfidf_lr (trained on entry questions)": [tfidf_entries(q) for q in own_texts],
        "bm25 over entry questions": [bm25(q) for q in own_texts],
    }
    if rasa_init is not None:
        own_baselines["rasa init pipeline (entry intents)"] = [i.removeprefix("entry_") for i in rasa_init[n_dev:]]
    own_table = {
        name: {
            lang: _accuracy(p == e for (e, language, _), p in zip(held_out, preds) if language == lang)
            for lang in LANGUAGES
        }
        for name, preds in {**own, **own_baselines}.items()
    }
    results["held_out_entry_accuracy"] = own_table
    _print_table(out, "Held-out own questions: entry accuracy (%), target >= 90", list(LANGUAGES), own_table)
    _print_leads(out, own_table, list(decisions), list(own_baselines), list(LANGUAGES))
    results["held_out_outcomes"] = {}
    for label in decisions:
        outcome = _outcomes(part(label, n_emergency + n_dev, len(own_texts)), held_out)
        results["held_out_outcomes"][label] = outcome
        print(
            f"{label}: answered directly {outcome['answered']:.1f} % (precision {outcome['answer_precision']:.1f} %), "
            f"clarified {outcome['clarified']:.1f} % (right entry among the buttons "
            f"{outcome['clarify_hit']:.1f} %), no match {outcome['no_match']:.1f} %",
            file=out,
        )

    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nwritten: {json_path}", file=out)
    return results


def _outcomes(decisions: list[dict[str, Any]], held_out: list[Sample]) -> dict[str, float]:
    """What a user asking the held-out questions gets: direct answers, clarifying buttons, no match."""
    answered = [d["entry"] == e for d, (e, _, _) in zip(decisions, held_out) if d["action"] == "answer"]
    clarified = [e in d.get("candidates", ()) for d, (e, _, _) in zip(decisions, held_out) if d["action"] == "clarify"]
    return {
        "answered": 100.0 * len(answered) / len(decisions),
        "answer_precision": _accuracy(answered),
        "clarified": 100.0 * len(clarified) / len(decisions),
        "clarify_hit": _accuracy(clarified),
        "no_match": _accuracy(d["action"] == "handover" for d in decisions),
    }


def _print_leads(
    out: TextIO, table: dict[str, dict[str, float]], systems: list[str], baselines: list[str], columns: list[str]
) -> None:
    """How far each Lotse configuration is ahead of the best baseline, per language (negative: behind)."""
    for system in systems:
        leads = {c: table[system][c] - max(table[b][c] for b in baselines) for c in columns}
        verdict = "beats every baseline in every language" if min(leads.values()) > 0 else "does NOT beat all baselines"
        print(
            f"{system}: lead over the best baseline "
            + " ".join(f"{c} {v:+.1f}" for c, v in leads.items())
            + f" -> {verdict}",
            file=out,
        )


def _print_table(out: TextIO, title: str, columns: list[str], rows: dict[str, dict[str, float]]) -> None:
    width = max(len(name) for name in rows) + 2
    print(f"\n{title}", file=out)
    print("".ljust(width) + "".join(c.rjust(7) for c in columns) + "   mean", file=out)
    for name, values in rows.items():
        mean = float(np.nanmean([values[c] for c in columns]))
        print(name.ljust(width) + "".join(f"{values[c]:7.1f}" for c in columns) + f"{mean:7.1f}", file=out)
