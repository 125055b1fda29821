"""The volunteer editor (editor/): sign-in, search, validated saves, audit log, inbox, in a real browser too.

Every test works on a copy of knowledge/ in a temporary folder. The app runs as a
real HTTP server inside the test process (so the `on_saved` hook can be seen);
httpx sends exactly the forms the pages show, and one test drives Debian's
chromium through a whole edit as a volunteer would.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import re
import stat
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from bot.terminal import send
from core import config
from core.i18n.editor_texts import text
from core.knowledge.loader import load_knowledge
from core.knowledge.scaffold import new_entry
from core.store.inbox import open_inbox
from editor.form import file_values, load_document
from editor.tokens import add_volunteer, check, remove_volunteer, volunteers
from tests.e2e.editor_pages import (
    ANMELDUNG,
    CHROMEDRIVER,
    CHROMIUM,
    STALE_ENTRY,
    TODAY,
    RunningEditor,
    _inbox_with_questions,
    all_forms,
    form_of,
    http_client,
    post,
    signed_in,
)
from tests.e2e.helpers import ARABIC_QUESTION
from tests.e2e.helpers import wait_for as wait_for_answer
from tools.servers import free_port, running

NEW_ARABIC_ANSWER = "سجّل عنوانك في مكتب المواطنين (Bürgeramt) خلال أسبوعين.\nالمساعدة: استشارة الهجرة (MBE) مجاناً."


def verify(tokens_file: Path, token: str) -> str | None:
    """The name of the volunteer whose code this is, or None."""
    volunteer = check(tokens_file, token)
    return volunteer.name if volunteer else None


def problems_on(page: httpx.Response) -> list[str]:
    """The errors a page shows (those of other languages come with a link and are left out)."""
    return [found.strip() for found in re.findall(r'<li class="problem error">([^<]*)</li>', page.text)]


def snapshot(root: Path) -> dict[Path, tuple[bytes, int]]:
    return {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in sorted(root.glob("**/*.yml"))}


def test_codes_are_stored_only_as_salted_hashes(tmp_path: Path) -> None:
    tokens_file = tmp_path / "var" / "editor_tokens.yml"
    amina, omar = add_volunteer(tokens_file, "Amina"), add_volunteer(tokens_file, "Omar")
    stored = tokens_file.read_text(encoding="utf-8")
    assert amina != omar and len(amina) > 30
    for token in (amina, omar):
        assert token not in stored and token.split(".", 1)[1] not in stored
    assert stat.S_IMODE(tokens_file.stat().st_mode) == 0o600
    assert verify(tokens_file, amina) == "Amina" and verify(tokens_file, f"  {omar}\n") == "Omar"
    key, secret = amina.split(".", 1)
    for wrong in ("", "nonsense", f"{key}.{secret[:-1]}x", f"{omar.split('.')[0]}.{secret}", key):
        assert verify(tokens_file, wrong) is None
    with pytest.raises(ValueError):
        add_volunteer(tokens_file, "Amina")
    assert volunteers(tokens_file) == ["Amina", "Omar"]
    assert remove_volunteer(tokens_file, "Amina") and not remove_volunteer(tokens_file, "Amina")
    assert verify(tokens_file, amina) is None and verify(tokens_file, omar) == "Omar"


def test_a_wrong_code_is_refused_and_every_page_needs_sign_in(editor: RunningEditor) -> None:
    client = http_client(editor.url)
    for path in ("/", "/entries/anmeldung/ar", "/inbox"):
        reply = client.get(path)
        assert reply.status_code == 303 and reply.headers["location"].startswith("/sign-in")
    page = client.get(reply.headers["location"])
    refused = post(client, page, "/sign-in", token=editor.token[:-2] + "xx")
    assert refused.status_code == 401 and text("sign_in_wrong", "de") in refused.text
    assert client.get("/").status_code == 303
    accepted = post(client, refused, "/sign-in", token=editor.token)
    assert accepted.status_code == 303 and accepted.headers["location"] == "/inbox"  # back where they wanted to go
    assert client.get("/inbox").status_code == 200


def test_the_session_cookie_is_http_only_lax_signed_and_ends_with_the_code(editor: RunningEditor) -> None:
    client = http_client(editor.url)
    page = client.get("/sign-in")
    reply = post(client, page, "/sign-in", token=editor.token)
    cookie = reply.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and editor.token not in cookie
    assert client.get("/").status_code == 200
    value = client.cookies["lotse_editor"]
    forged = http_client(editor.url, cookies={"lotse_editor": value[:-4] + "0000"})
    assert forged.get("/").status_code == 303
    remove_volunteer(editor.tokens_file, "Amina")
    assert client.get("/").status_code == 303


def test_a_form_without_its_csrf_token_is_rejected(editor: RunningEditor) -> None:
    client = signed_in(editor)
    before = snapshot(editor.knowledge)
    page = client.get("/entries/anmeldung/ar")
    for csrf in (
        [],
        ["forged"],
        [form_of(signed_in(editor).get("/entries/anmeldung/ar"), "/entries/anmeldung/ar")["csrf"][0]],
    ):  # the last is valid, but for another browser's session
        reply = post(client, page, "/entries/anmeldung/ar", answer="Neu", csrf=csrf)
        assert reply.status_code == 403 and text("csrf_failed", "de") in reply.text
    assert snapshot(editor.knowledge) == before and editor.audit() == [] and editor.saved == []
    signed_out = post(client, page, "/sign-out", csrf=[])
    assert signed_out.status_code == 403 and client.get("/").status_code == 200


def test_search_and_filters_find_entries_in_any_language(editor: RunningEditor) -> None:
    client = signed_in(editor)

    def found(**query: str) -> list[str]:
        page = client.get("/", params=query)
        assert page.status_code == 200
        return re.findall(r'<li class="entry" id="entry-(\w+)">', page.text)

    assert len(found()) == len(list((editor.knowledge / "entries").glob("**/*.yml")))
    assert found(q="Meldebescheinigung verloren") == ["anmeldung"]  # every word, in one entry only
    assert "anmeldung" in found(q="وين بسجل عنوان البيت")  # an Arabic question
    assert "anmeldung" in found(q="WOHNUNGSGEBERBESTATIGUNG")  # case and umlauts folded like the bot does
    assert found(q="kein solches wort xyz") == []
    health = found(category="health")
    assert health and "anmeldung" not in health and "krankenversicherung" in health
    assert found(language="uk", status="missing") == ["kita"]
    assert "kita" not in found(language="ar", status="missing")
    assert found(status="stale") == [STALE_ENTRY]
    page = client.get("/", params={"q": "kita", "language": "uk"})
    assert 'class="lang missing"' in page.text and 'href="/entries/kita/uk"' in page.text
    assert 'href="/entries/kita/ar"' not in page.text  # only the chosen language's button
    (editor.knowledge / "entries" / "offices" / "kaputt.yml").write_text("id: kaputt\n", encoding="utf-8")
    assert found(status="errors") == ["kaputt"]


def test_a_save_writes_only_the_changed_value_and_records_who(editor: RunningEditor) -> None:
    client = signed_in(editor)
    path = editor.knowledge / ANMELDUNG
    before, others = path.read_text(encoding="utf-8"), snapshot(editor.knowledge)
    page = client.get("/entries/anmeldung/ar")
    assert 'dir="rtl"' in page.text and 'lang="ar"' in page.text and "Melden Sie Ihre Wohnung" in page.text
    reply = post(client, page, "/entries/anmeldung/ar", answer=NEW_ARABIC_ANSWER.replace("\n", "\r\n"))
    assert reply.status_code == 303 and reply.headers["location"] == "/entries/anmeldung/ar"
    confirmation = client.get(reply.headers["location"])
    assert text("saved", "de", fields=text("field_answer", "de")) in confirmation.text
    after = path.read_text(encoding="utf-8")
    assert load_knowledge(editor.knowledge).knowledge.entries["anmeldung"].answer["ar"] == NEW_ARABIC_ANSWER
    old_ar = re.search(r"(?ms)^  ar: \|\n.*?(?=^  uk: )", before.split("\nanswer:\n")[1]).group(0)
    assert after == before.replace(
        old_ar, "  ar: |\n" + "".join(f"    {line}\n" for line in NEW_ARABIC_ANSWER.split("\n"))
    )
    assert "# Arabic: Levantine, reviewed by Omar" in after and "# Checked with the Bürgeramt Dortmund" in after
    assert {p: v for p, v in snapshot(editor.knowledge).items() if p != path} == {
        p: v for p, v in others.items() if p != path
    }
    (line,) = editor.audit()
    assert line["volunteer"] == "Amina" and line["entry"] == "anmeldung" and line["language"] == "ar"
    assert line["fields"] == ["answer"] and line["action"] == "edit" and dt.datetime.fromisoformat(line["time"])
    audit_text = (editor.data_dir / "editor_audit.jsonl").read_text(encoding="utf-8")
    assert editor.token.split(".")[1] not in audit_text and NEW_ARABIC_ANSWER[:20] not in audit_text
    assert editor.saved == ["anmeldung"]


def test_problems_are_explained_next_to_the_field_and_nothing_is_written(editor: RunningEditor) -> None:
    client = signed_in(editor)
    before = snapshot(editor.knowledge)
    page = client.get("/entries/anmeldung/ar")
    empty = post(client, page, "/entries/anmeldung/ar", answer="  \r\n ")
    assert empty.status_code == 422 and text("not_saved", "de") in empty.text
    assert problems_on(empty) == [text("problem_answer_empty", "de")]
    assert 'id="answer-problems"' in empty.text and 'aria-invalid="true"' in empty.text
    long = post(client, page, "/entries/anmeldung/ar", answer="أ" * 950, questions="")
    assert long.status_code == 422
    assert set(problems_on(long)) == {
        text("problem_answer_too_long", "de", count=950, max=900),
        text("problem_questions_empty", "de"),
    }
    assert form_of(long, "/entries/anmeldung/ar")["answer"] == ["أ" * 950]  # the volunteer's text is kept
    english = signed_in(editor)
    english.get("/language/en")
    bad_source = post(english, english.get("/entries/anmeldung/de"), "/entries/anmeldung/de", sources="www.bmi.bund.de")
    assert problems_on(bad_source) == [text("problem_source_invalid", "en", value="www.bmi.bund.de")]
    assert snapshot(editor.knowledge) == before and editor.audit() == [] and editor.saved == []


def test_an_unchanged_form_leaves_the_file_untouched(editor: RunningEditor) -> None:
    client = signed_in(editor)
    before = snapshot(editor.knowledge)
    for language in ("ar", "de", "fa"):
        page = client.get(f"/entries/anmeldung/{language}")
        reply = post(client, page, f"/entries/anmeldung/{language}")
        assert reply.status_code == 303
        assert text("nothing_changed", "de") in client.get(reply.headers["location"]).text
    assert snapshot(editor.knowledge) == before and editor.audit() == [] and editor.saved == []


def test_a_save_over_someone_elses_change_is_refused_and_shows_both(editor: RunningEditor) -> None:
    amina, omar = signed_in(editor), signed_in(editor)
    add_volunteer(editor.tokens_file, "Omar")
    page = amina.get("/entries/anmeldung/ar")
    other_page = omar.get("/entries/anmeldung/ar")
    assert post(omar, other_page, "/entries/anmeldung/ar", answer="جواب عمر").status_code == 303
    conflict = post(amina, page, "/entries/anmeldung/ar", answer="جواب أمينة")
    assert conflict.status_code == 409 and text("conflict", "de") in conflict.text and "جواب عمر" in conflict.text
    assert "جواب عمر" in (editor.knowledge / ANMELDUNG).read_text(encoding="utf-8")
    again = post(amina, conflict, "/entries/anmeldung/ar")  # she compared and saves her version on purpose
    assert again.status_code == 303 and "جواب أمينة" in (editor.knowledge / ANMELDUNG).read_text(encoding="utf-8")
    assert [line["fields"] for line in editor.audit()] == [["answer"], ["answer"]]


def test_a_new_entry_is_filled_in_one_language_at_a_time(editor: RunningEditor) -> None:
    assert new_entry(editor.knowledge, "sim_karte", "daily_life", io.StringIO()) == 0
    client = signed_in(editor)
    listed = client.get("/", params={"status": "errors"})
    assert "entry-sim_karte" in listed.text and text("left_out", "de") in listed.text
    page = client.get("/entries/sim_karte/de")
    assert set(problems_on(page)) == {
        text(f"problem_{kind}", "de")
        for kind in (
            "german_required",
            "title_empty",
            "questions_empty",
            "answer_empty",
            "reviewed_invalid",
            "services_invalid",
        )
    } | {text("problem_source_invalid", "de", value="TODO")}
    questions = "\n".join(f"Wo kaufe ich eine SIM-Karte {n}?" for n in range(8))
    reply = post(
        client,
        page,
        "/entries/sim_karte/de",
        title="SIM-Karte kaufen",
        questions=questions,
        answer="Eine SIM-Karte bekommen Sie im Laden. Bringen Sie Ihren Pass mit.",
        reviewed=TODAY.isoformat(),
        sources="https://www.bundesnetzagentur.de",
        services=["mbe", "mo"],
    )
    assert reply.status_code == 303, problems_on(reply)
    german = client.get("/entries/sim_karte/de")
    assert problems_on(german) == []  # what is left to do is in the other language
    assert "/entries/sim_karte/en" in german.text
    assert post(client, client.get("/entries/sim_karte/en"), "/entries/sim_karte/en").status_code == 303
    result = load_knowledge(editor.knowledge)
    entry = result.knowledge.entries["sim_karte"]
    assert not [p for p in result.problems if "sim_karte" in p.path and p.level == "error"]
    assert entry.services == ("mbe", "mo") and entry.title == {"de": "SIM-Karte kaufen"} and "en" not in entry.answer
    written = (editor.knowledge / "entries" / "daily_life" / "sim_karte.yml").read_text(encoding="utf-8")
    assert "services: [mbe, mo]" in written and "# New entry: fill in every TODO" in written
    assert editor.saved == ["sim_karte", "sim_karte"]


def reveal_all(client: httpx.Client) -> httpx.Response:
    """Press every group's "Show text" button, as a volunteer about to work through the inbox; the inbox page."""
    for form in all_forms(client.get("/inbox"), "/inbox/reveal"):
        assert client.post("/inbox/reveal", data=form).status_code == 303
    return client.get("/inbox")


def test_the_inbox_lists_groups_newest_first_with_their_counts(editor: RunningEditor) -> None:
    client = signed_in(editor)
    assert text("inbox_empty", "de") in client.get("/inbox").text
    _inbox_with_questions(editor)
    page = reveal_all(client)
    examples = re.findall(r"<blockquote[^>]*>([^<]*)</blockquote>", page.text)
    assert examples == ["Where can I buy a SIM card?", "wie lange dauert die einbürgerung"]
    assert text("inbox_count", "de", count=2) in page.text
    assert text("inbox_add_to", "de", title="Einbürgerung (deutscher Pass)") in page.text


def test_an_inbox_question_is_added_to_an_entry_in_one_click(editor: RunningEditor) -> None:
    _inbox_with_questions(editor)
    client = signed_in(editor)
    page = reveal_all(client)
    forms = all_forms(page, "/inbox/add")
    data = next(f for f in forms if f["question"] == ["wie lange dauert die einbürgerung"])
    reply = client.post("/inbox/add", data={**data, "entry": ["einbuergerung"]})
    assert reply.status_code == 303
    assert (
        text("inbox_added", "de", title="Einbürgerung (deutscher Pass)", language="Deutsch")
        in client.get("/inbox").text
    )
    entry = load_knowledge(editor.knowledge).knowledge.entries["einbuergerung"]
    assert entry.questions["de"][-1] == "wie lange dauert die einbürgerung"
    assert [g.representative for g in open_inbox(editor.inbox_url).groups()] == ["Where can I buy a SIM card?"]
    (line,) = [line for line in editor.audit() if line["action"] != "inbox_revealed"]
    assert line["action"] == "inbox_question" and line["fields"] == ["questions"] and line["messages"] == 2
    assert editor.saved == ["einbuergerung"]
    other = next(f for f in all_forms(client.get("/inbox"), "/inbox/add"))
    reply = client.post("/inbox/add", data={**other, "entry": [""], "other": ["nahverkehr"]})
    assert reply.status_code == 303
    assert (
        load_knowledge(editor.knowledge).knowledge.entries["nahverkehr"].questions["en"][-1]
        == "Where can I buy a SIM card?"
    )
    assert open_inbox(editor.inbox_url).groups() == []


def test_a_new_entry_is_started_from_an_inbox_question(editor: RunningEditor) -> None:
    _inbox_with_questions(editor)
    client = signed_in(editor)
    data = next(
        f for f in all_forms(reveal_all(client), "/inbox/new") if f["question"] == ["Where can I buy a SIM card?"]
    )
    refused = client.post("/inbox/new", data={**data, "name": ["Anmeldung"], "category": ["offices"]})
    assert text("inbox_exists", "de", entry="anmeldung") in client.get(refused.headers["location"]).text
    reply = client.post("/inbox/new", data={**data, "name": ["SIM-Karte kaufen"], "category": ["daily_life"]})
    assert reply.status_code == 303 and reply.headers["location"] == "/entries/sim_karte_kaufen/en"
    page = client.get(reply.headers["location"])
    assert text("inbox_created", "de", entry="sim_karte_kaufen") in page.text
    assert form_of(page, "/entries/sim_karte_kaufen/en")["questions"] == ["Where can I buy a SIM card?"]
    written = (editor.knowledge / "entries" / "daily_life" / "sim_karte_kaufen.yml").read_text(encoding="utf-8")
    assert written.startswith("# New entry: fill in every TODO")
    assert [g.representative for g in open_inbox(editor.inbox_url).groups()] == ["wie lange dauert die einbürgerung"]
    assert [line["action"] for line in editor.audit()] == [
        "inbox_revealed",
        "inbox_revealed",
        "new_entry",
        "inbox_question",
    ]


def test_an_inbox_group_can_be_removed_as_not_relevant(editor: RunningEditor) -> None:
    _inbox_with_questions(editor)
    client = signed_in(editor)
    forms = all_forms(reveal_all(client), "/inbox/dismiss")
    assert client.post("/inbox/dismiss", data={**forms[1], "ids": ["²"]}).status_code == 303  # a digit, not a number
    reply = client.post("/inbox/dismiss", data=forms[1])
    assert text("inbox_dismissed", "de", count=2) in client.get(reply.headers["location"]).text
    assert [g.representative for g in open_inbox(editor.inbox_url).groups()] == ["Where can I buy a SIM card?"]
    assert editor.audit()[-1]["action"] == "inbox_dismissed" and editor.audit()[-1]["messages"] == 2


def test_the_interface_language_follows_the_browser_and_the_switch(editor: RunningEditor) -> None:
    client = signed_in(editor)
    client.headers["Accept-Language"] = "ar, en-GB;q=0.8, de;q=0.7"
    assert '<html lang="en">' in client.get("/").text and text("entries_title", "en") in client.get("/").text
    switched = client.get("/language/de", params={"next": "/?q=kita"})
    assert switched.headers["location"] == "/?q=kita"
    assert '<html lang="de">' in client.get("/").text
    assert client.get("/language/de", params={"next": "https://evil.example/"}).headers["location"] == "/"


def test_python_m_editor_serves_under_a_base_path(knowledge: Path, tmp_path: Path) -> None:
    port = free_port()
    tokens_file = tmp_path / "tokens.yml"
    token = add_volunteer(tokens_file, "Amina")
    env = {
        **os.environ,
        "LOTSE_EDITOR_PORT": str(port),
        "LOTSE_EDITOR_BASE_PATH": "/editor/",
        "LOTSE_EDITOR_TOKENS_FILE": str(tokens_file),
        "LOTSE_DATA_DIR": str(tmp_path / "var"),
        "LOTSE_KNOWLEDGE_DIR": str(knowledge),
    }
    env.pop("LOTSE_EDITOR_SECRET", None)
    log = tmp_path / "editor.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(config.ACTIONS_PYTHON), "-m", "editor"], cwd=config.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        client = http_client(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                page = client.get("/editor/sign-in")
                break
            assert time.monotonic() < deadline and process.poll() is None, log.read_text(errors="replace")
            time.sleep(0.2)
        assert page.status_code == 200 and 'action="/editor/sign-in"' in page.text
        assert 'href="/editor/static/editor.css"' in page.text
        assert client.get("/editor/static/editor.css").headers["content-type"].startswith("text/css")
        assert client.get("/sign-in").status_code == 404
        reply = post(client, page, "/editor/sign-in", token=token)
        assert reply.headers["location"] == "/editor/" and "Path=/editor" in reply.headers["set-cookie"]
        assert "entry-anmeldung" in client.get("/editor/").text
        key = tmp_path / "var" / "editor_secret.key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium: apt-get install chromium chromium-driver (./lotse test does it)",
)
def test_a_volunteer_edits_an_arabic_answer_in_a_real_browser(
    editor: RunningEditor, model: Path, tmp_path: Path
) -> None:
    path = editor.knowledge / ANMELDUNG
    before = path.read_text(encoding="utf-8")
    bot_env = {
        "LOTSE_KNOWLEDGE_DIR": str(editor.knowledge),
        "LOTSE_EMBEDDING_MODEL": "none",
        "LOTSE_RELOAD_POLL_SECONDS": "1",
        "LOTSE_DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
    }
    with running(model, tmp_path / "bot", extra_env=bot_env) as bot:  # the bot serves the same knowledge
        assert NEW_ARABIC_ANSWER not in "\n".join(
            r.get("text") or "" for r in send(bot.rasa_url, "before", ARABIC_QUESTION)
        )
        _edit_in_browser(editor, path, before)
        seconds = wait_for_answer(bot, ARABIC_QUESTION, NEW_ARABIC_ANSWER.split("\n")[0])
    print(f"\nsaved in the editor -> the running bot answers with the new text: {seconds:.1f} s")
    after = path.read_text(encoding="utf-8")
    doc = load_document(after)
    assert file_values(doc, "ar").answer == NEW_ARABIC_ANSWER
    old = load_document(before)
    for language in ("de", "en", "uk", "tr", "ru", "fa", "fr"):
        assert file_values(doc, language) == file_values(old, language)
    assert file_values(doc, "ar").questions == file_values(old, "ar").questions
    assert "# Arabic: Levantine, reviewed by Omar" in after and "# reviewed by Amira" in after
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert changed == [f"    {line}" for line in NEW_ARABIC_ANSWER.split("\n")]
    assert editor.saved == ["anmeldung"] and editor.audit()[0]["language"] == "ar"


def _edit_in_browser(editor: RunningEditor, path: Path, before: str) -> None:
    """Sign in, empty the Arabic answer and see the error, then write the new one and save."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webelement import WebElement
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    def submit(button: WebElement) -> None:
        """Click and wait until the next page has replaced this one."""
        page = browser.find_element(By.TAG_NAME, "html")
        button.click()
        WebDriverWait(browser, 20).until(expected_conditions.staleness_of(page))

    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=412,915"):
        options.add_argument(argument)  # a phone's screen
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        browser.get(f"{editor.url}/entries/anmeldung/ar")  # not signed in: the sign-in page, then back here
        browser.find_element(By.ID, "token").send_keys(editor.token)
        submit(browser.find_element(By.CSS_SELECTOR, "form.sign-in button"))
        ui = browser.find_element(By.TAG_NAME, "html").get_attribute("lang")
        answer = browser.find_element(By.ID, "answer")
        assert answer.get_attribute("dir") == "rtl" and "Bürgeramt" in answer.get_property("value")

        answer.clear()
        submit(browser.find_element(By.ID, "save"))
        problem = browser.find_element(By.CSS_SELECTOR, "#answer-problems .problem.error")
        assert problem.text == text("problem_answer_empty", ui)
        assert browser.find_element(By.ID, "answer").get_attribute("aria-invalid") == "true"
        assert path.read_text(encoding="utf-8") == before

        answer = browser.find_element(By.ID, "answer")
        answer.send_keys(NEW_ARABIC_ANSWER)
        submit(browser.find_element(By.ID, "save"))
        confirmation = browser.find_element(By.CSS_SELECTOR, ".flash")
        assert confirmation.text == text("saved", ui, fields=text("field_answer", ui))
    finally:
        browser.quit()
