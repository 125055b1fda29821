"""Issue 19: no knowledge content can break Rasa's training or exhaust the loader.

A question reaches knowledge/ from volunteers and, through the inbox's "add as a
question", from anonymous chats; a knowledge file can be written by anyone with
access to the repository. Each test runs the real code path: the editor's save,
the generator and Rasa's own reader, the loader on files next to a valid entry.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from core import config
from core.knowledge.loader import MAX_DEPTH, MAX_FILE_BYTES, load_knowledge
from core.model import nlu_data as nlu_generator
from editor.saving import INVALID, SAVED, EntryWriter
from tests.entry_files import GOOD_ENTRY, TODAY, write_entry

RASA_PYTHON = config.ROOT / ".venv-bot" / "bin" / "python"
# Rasa's three kinds of entity markup, the first malformed (it failed every retrain), and control
# characters that YAML cannot carry (the editor writes them as "\a", the loader reads them back raw)
HOSTILE_QUESTIONS = (
    "Wie beantrage ich [Kindergeld]{kaputt}?",
    "Wo gibt es [Kindergeld](kaputt)?",
    'Was ist [Kindergeld][{"entity": "x"}]?',
    "Kindergeld\a beantragen?",
    "\a\b",
)


def rasa_examples(nlu_file: Path) -> list[dict[str, object]]:
    """The examples as Rasa's own reader (in .venv-bot) loads them: text and entities."""
    script = (
        "import json, sys\nfrom rasa.shared.nlu.training_data.loading import load_data\n"
        "print(json.dumps([{'text': m.get('text'), 'entities': m.get('entities')}"
        " for m in load_data(sys.argv[1]).training_examples]))"
    )
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", script, str(nlu_file)], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_editor_refuses_an_inbox_question_in_rasa_markup(tmp_path: Path) -> None:
    """The inbox's one-click "add as a question" is checked by the loader: markup is refused, the file unchanged."""
    path = tmp_path / "entries" / "benefits" / "kindergeld.yml"
    path.parent.mkdir(parents=True)
    shutil.copy(config.ROOT / "knowledge" / "entries" / "benefits" / "kindergeld.yml", path)
    before = path.read_text(encoding="utf-8")
    reloaded: list[str] = []
    writer = EntryWriter(tmp_path / "audit.jsonl", reloaded.append)

    refused = writer.add_question(path, "de", "[Kindergeld]{kaputt}", "tester", messages=1)
    assert refused.status == INVALID and "square brackets" in refused.problems[0].message
    assert path.read_text(encoding="utf-8") == before and reloaded == []

    saved = writer.add_question(path, "de", "Kindergeld (kaputt)", "tester", messages=1)
    assert saved.status == SAVED and reloaded == ["kindergeld"]


def test_generated_nlu_with_hostile_questions_loads_in_rasa_and_keeps_their_words(tmp_path: Path) -> None:
    """Whatever a question contains, the generated file loads in Rasa: no entities, the words kept, no empty example."""
    write_entry(tmp_path / "knowledge", GOOD_ENTRY)
    knowledge = load_knowledge(tmp_path / "knowledge", TODAY).knowledge
    entry = knowledge.entries["testthema"]
    knowledge.entries["testthema"] = dataclasses.replace(entry, questions={"de": HOSTILE_QUESTIONS})
    target = tmp_path / "knowledge_questions.yml"
    nlu_generator.write(knowledge, target)

    examples = rasa_examples(target)
    assert [example["text"] for example in examples] == [
        "Wie beantrage ich (Kindergeld){kaputt}?",
        "Wo gibt es (Kindergeld)(kaputt)?",
        'Was ist (Kindergeld)({"entity": "x"})?',
        "Kindergeld beantragen?",
    ]
    assert all(not example["entities"] for example in examples)


def alias_bomb() -> str:
    """Six levels of ten aliases each: a few hundred bytes of YAML that repeat one word a million times."""
    levels = ["&l0 [" + ", ".join(["lol"] * 10) + "]"]
    levels += [f"&l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]" for level in range(1, 6)]
    return GOOD_ENTRY.replace("services: [mbe]", "services: [" + ", ".join(levels) + "]")


BROKEN_FILES = {
    "alias bomb": (alias_bomb(), 3, "anchor or alias"),
    "deep nesting": (
        GOOD_ENTRY.replace("services: [mbe]", "services: " + "[" * 5000 + "]" * 5000),
        3,
        f"more than {MAX_DEPTH} levels",
    ),
    "oversized": (
        GOOD_ENTRY + ("# " + "x" * 98 + "\n") * (MAX_FILE_BYTES // 100),
        1,
        f"larger than {MAX_FILE_BYTES // 1024} KB",
    ),
}


@pytest.mark.parametrize("name", BROKEN_FILES)
def test_a_hostile_file_is_reported_on_its_line_and_the_rest_still_loads(tmp_path: Path, name: str) -> None:
    """The file is left out with one short problem (no expanded content); the valid entry beside it is served."""
    text, line, message = BROKEN_FILES[name]
    write_entry(tmp_path, text)
    write_entry(tmp_path, GOOD_ENTRY.replace("testthema", "zweites"), name="zweites")
    result = load_knowledge(tmp_path, TODAY)
    assert list(result.knowledge.entries) == ["zweites"]
    (problem,) = result.problems
    assert problem.path.endswith("testthema.yml") and problem.line == line and problem.level == "error"
    assert message in problem.message and len(str(problem)) < 300


def test_an_anchor_in_a_services_file_leaves_only_that_file_out(tmp_path: Path) -> None:
    """Services files are read the same way as entries."""
    write_entry(tmp_path, GOOD_ENTRY)
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "dortmund.yml").write_text(
        "- id: mo-test\n  name: Test e.V.\n  kind: mo\n  categories: &c [community]\n  languages: [de]\n"
        "  region: {cities: [dortmund]}\n  contact: {web: https://example.org/}\n  handover: none\n"
        "  example: true\n- id: mo-zwei\n  categories: *c\n",
        encoding="utf-8",
    )
    result = load_knowledge(tmp_path, TODAY)
    assert list(result.knowledge.entries) == ["testthema"] and result.knowledge.services == {}
    (problem,) = result.problems
    assert problem.path.endswith("dortmund.yml") and problem.line == 4 and "anchor or alias" in problem.message
