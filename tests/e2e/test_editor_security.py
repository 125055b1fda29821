"""Issue 19 in the volunteers' editor: sessions, sign-in, security headers, and inbox text hidden until asked for.

Everything runs through the real editor, served over HTTP in this process
(tests.test_editor's fixtures), and one test in Debian's chromium. Requests
that carry X-Forwarded-For stand for what nginx sends: the editor trusts that
header's last address because the connection comes from loopback, as a local
proxy's does.
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import pytest
import yaml

from core import config
from core.i18n.editor_texts import text
from core.store.inbox import open_inbox
from editor import create_app
from editor.throttle import MAX_ATTEMPTS, WINDOW_SECONDS, SignInThrottle
from editor.tokens import add_volunteer, check, end_sessions, remove_volunteer, volunteers
from tests.e2e.editor_pages import (
    CHROMEDRIVER,
    CHROMIUM,
    PATIENCE,
    RunningEditor,
    _inbox_with_questions,
    all_forms,
    form_of,
    http_client,
    post,
    serving,
    signed_in,
)
from tools.servers import free_port

PROXIED = {"X-Forwarded-For": "203.0.113.7"}  # what nginx adds with $proxy_add_x_forwarded_for
POLICY = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"


def sign_in(url: str, token: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """A fresh browser's sign-in: the form, then the code; the answer to the POST.

    The session cookie goes back by hand: httpx, like a browser, never sends a Secure cookie over plain
    HTTP, and the test server has no TLS (the proxy in front of it would)."""
    page = httpx.get(f"{url}/sign-in", headers=headers, timeout=PATIENCE)
    session = SimpleCookie(page.headers["set-cookie"])["lotse_editor"].value
    return httpx.post(
        f"{url}/sign-in",
        data={**form_of(page, "/sign-in"), "token": [token]},
        headers={**(headers or {}), "Cookie": f"lotse_editor={session}"},
        timeout=PATIENCE,
    )


def cookie_attributes(reply: httpx.Response) -> set[str]:
    """The attribute names of the session cookie the answer sets, lower case: {'httponly', 'secure', ...}."""
    return {part.strip().split("=")[0].lower() for part in reply.headers["set-cookie"].split(";")[1:]}


def test_the_cookie_is_secure_unless_a_local_browser_talks_to_a_loopback_editor(
    editor: RunningEditor, knowledge: Path, tmp_path: Path
) -> None:
    direct = sign_in(editor.url, editor.token)
    assert direct.status_code == 303 and "secure" not in cookie_attributes(direct)  # ./lotse run on this machine
    assert "strict-transport-security" not in direct.headers
    for headers in (PROXIED, {"X-Forwarded-Proto": "https"}, {"X-Forwarded-Host": "lotse.example.org"}):
        proxied = sign_in(editor.url, editor.token, headers)  # nginx without X-Forwarded-Proto too
        assert proxied.status_code == 303 and "secure" in cookie_attributes(proxied), headers
        assert proxied.headers["strict-transport-security"] == "max-age=31536000"
    public = create_app(
        knowledge, editor.tokens_file, data_dir=tmp_path / "public", inbox_url=editor.inbox_url, host="0.0.0.0"
    )
    port = free_port()
    with serving(public, port):
        reply = sign_in(f"http://127.0.0.1:{port}", editor.token)
    assert reply.status_code == 303 and {"secure", "httponly", "samesite"} <= cookie_attributes(reply)
    assert reply.headers["strict-transport-security"] == "max-age=31536000"


def test_every_answer_carries_the_security_headers_and_the_pages_need_nothing_inline(editor: RunningEditor) -> None:
    _inbox_with_questions(editor)
    visitor, client = http_client(editor.url), signed_in(editor)
    page = client.get("/inbox")
    answers = {
        "sign-in page": visitor.get("/sign-in"),
        "redirect to sign-in": visitor.get("/"),
        "unknown page": visitor.get("/nothing-here"),
        "wrong code": sign_in(editor.url, "wrong.code"),
        "form without CSRF": client.post("/inbox/reveal", data={"message": "1"}),
        "inbox": page,
        "entry list": client.get("/"),
        "edit page": client.get("/entries/anmeldung/ar"),
        "stylesheet": visitor.get("/static/editor.css"),
    }
    assert [
        answers[name].status_code
        for name in ("sign-in page", "redirect to sign-in", "unknown page", "wrong code", "form without CSRF")
    ] == [200, 303, 404, 401, 403]
    for name, answer in answers.items():
        assert answer.headers["content-security-policy"] == POLICY, name
        assert answer.headers["x-content-type-options"] == "nosniff", name
        assert answer.headers["referrer-policy"] == "no-referrer", name
        if name == "stylesheet":
            assert answer.headers["cache-control"].startswith("max-age=3600")
        else:
            assert answer.headers["cache-control"] == "no-store", name  # pages may show what people wrote
        if answer.headers["content-type"].startswith("text/html"):
            for inline in ("<script", "<style", " style=", " onclick=", "javascript:"):
                assert inline not in answer.text, (name, inline)  # the policy would block it


def test_signing_out_ends_every_session_of_the_volunteer_copied_cookies_too(editor: RunningEditor) -> None:
    client, phone = signed_in(editor), signed_in(editor)
    copied = client.cookies["lotse_editor"]
    thief = http_client(editor.url, cookies={"lotse_editor": copied})
    assert thief.get("/").status_code == 200  # the copy works while the session is open
    signed_out = post(client, client.get("/"), "/sign-out")
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/sign-in"
    for browser in (thief, phone, client):
        reply = browser.get("/")
        assert reply.status_code == 303 and reply.headers["location"].startswith("/sign-in")
    assert signed_in(editor).get("/").status_code == 200  # the code itself still works
    (record,) = yaml.safe_load(editor.tokens_file.read_text(encoding="utf-8"))["volunteers"]
    assert record["epoch"] == 1


def test_a_removed_and_re_added_volunteer_does_not_revive_old_cookies(editor: RunningEditor) -> None:
    client = signed_in(editor)
    copied = client.cookies["lotse_editor"]
    assert remove_volunteer(editor.tokens_file, "Amina")
    editor.token = add_volunteer(editor.tokens_file, "Amina")
    assert http_client(editor.url, cookies={"lotse_editor": copied}).get("/").status_code == 303
    assert signed_in(editor).get("/").status_code == 200


def test_an_unknown_key_takes_as_long_to_refuse_as_a_wrong_code(tmp_path: Path) -> None:
    tokens_file = tmp_path / "editor_tokens.yml"
    key, secret = add_volunteer(tokens_file, "Amina").split(".", 1)
    unknown_key = "0" * len(key) if key != "0" * len(key) else "1" * len(key)
    guesses = {
        "wrong code": f"{key}.{secret[:-1]}x",
        "unknown key": f"{unknown_key}.{secret}",
        "no key at all": "nonsense",
        "empty": "",
    }
    seconds: dict[str, list[float]] = {name: [] for name in guesses}
    for _ in range(7):  # interleaved, so a busy moment of the machine hits every kind alike
        for name, guess in guesses.items():
            start = time.perf_counter()
            assert check(tokens_file, guess) is None
            seconds[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    print("\nmedian time to refuse: " + ", ".join(f"{name} {1000 * m:.1f} ms" for name, m in medians.items()))
    for median in medians.values():
        assert 0.6 < median / medians["wrong code"] < 1 / 0.6, medians


def test_checking_a_code_leaves_the_editor_free_for_other_pages(editor: RunningEditor) -> None:
    key = editor.token.split(".")[0]
    ratios = []
    for _ in range(MAX_ATTEMPTS - 1):  # wrong codes, fewer than the throttle allows
        volunteer = http_client(editor.url)
        form = form_of(volunteer.get("/sign-in"), "/sign-in")
        other = http_client(editor.url)
        assert other.get("/sign-in").status_code == 200  # connected before the measurement
        took: list[float] = []

        def wrong_code() -> None:
            start = time.perf_counter()
            assert volunteer.post("/sign-in", data={**form, "token": [f"{key}.wrong"]}).status_code == 401  # noqa: B023
            took.append(time.perf_counter() - start)  # noqa: B023 (the thread is joined within the iteration)

        thread = threading.Thread(target=wrong_code)
        thread.start()
        time.sleep(0.01)  # the code is being checked now (scrypt takes 40 ms and more)
        start = time.perf_counter()
        assert other.get("/sign-in").status_code == 200
        page = time.perf_counter() - start
        thread.join()
        ratios.append(page / took[0])
        print(f"\nsign-in {1000 * took[0]:.0f} ms, another page meanwhile {1000 * page:.0f} ms")
    assert statistics.median(ratios) < 0.3, ratios  # on the event loop the page would wait for scrypt


def test_wrong_codes_are_throttled_per_address_and_logged_without_the_code(
    editor: RunningEditor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="editor.sign_in_pages")
    key, secret = editor.token.split(".", 1)
    guesses = [f"{key}.guess{number}" for number in range(MAX_ATTEMPTS)]
    for guess in guesses:
        assert sign_in(editor.url, guess, PROXIED).status_code == 401
    refused = sign_in(editor.url, editor.token, PROXIED)  # even the right code waits now
    assert refused.status_code == 429
    assert text("sign_in_throttled", "de", minutes=WINDOW_SECONDS // 60) in refused.text
    assert WINDOW_SECONDS - 60 < int(refused.headers["retry-after"]) <= WINDOW_SECONDS
    assert sign_in(editor.url, editor.token, {"X-Forwarded-For": "203.0.113.8"}).status_code == 303  # others not
    assert sign_in(editor.url, editor.token, {"X-Forwarded-For": "2001:db8::1"}).status_code == 303
    lines = [record.getMessage() for record in caplog.records if record.name == "editor.sign_in_pages"]
    assert len(lines) == MAX_ATTEMPTS + 1 and all("203.0.113.7" in line for line in lines), lines
    for line in lines:
        assert secret not in line and not any(guess in line or guess.split(".")[1] in line for guess in guesses)


def test_the_throttle_counts_per_address_forgives_right_codes_and_forgets_after_the_window() -> None:
    throttle = SignInThrottle()
    for second in range(MAX_ATTEMPTS):
        assert throttle.attempt("203.0.113.7", now=float(second)) == 0
    assert throttle.attempt("203.0.113.7", now=10.0) == WINDOW_SECONDS - 10.0
    assert throttle.attempt("2001:db8::1", now=10.0) == 0  # another address, the first of its /64 network
    assert throttle.attempt("203.0.113.7", now=float(WINDOW_SECONDS)) == 0  # the first attempt has expired
    for address in ("2001:db8::2", "2001:db8::3", "2001:db8::4", "2001:db8::5"):
        throttle.attempt(address, now=20.0)  # one /64 network: one connection
    assert throttle.attempt("2001:db8::6", now=20.0) > 0 and throttle.attempt("2001:db8:1::1", now=20.0) == 0
    for second in range(MAX_ATTEMPTS):
        assert throttle.attempt("198.51.100.1", now=float(second)) == 0
        throttle.forgive("198.51.100.1")  # a volunteer signing in again and again is never throttled
    assert throttle.attempt("198.51.100.1", now=10.0) == 0


def test_changes_to_the_volunteers_file_from_editor_and_admin_at_once_lose_nothing(tmp_path: Path) -> None:
    tokens_file = tmp_path / "editor_tokens.yml"
    amina = check(tokens_file, add_volunteer(tokens_file, "Amina"))
    add_volunteer(tokens_file, "Omar")
    assert amina is not None
    seen_without_amina: list[list[str]] = []
    done = threading.Event()

    def admin() -> None:
        for number in range(15):
            add_volunteer(tokens_file, f"Volunteer {number}")

    def signing_out() -> None:
        for _ in range(150):
            end_sessions(tokens_file, amina)

    def reading() -> None:
        while not done.is_set():
            names = volunteers(tokens_file)
            if "Amina" not in names:
                seen_without_amina.append(names)

    threads = [threading.Thread(target=work) for work in (admin, signing_out)]
    reader = threading.Thread(target=reading)
    for thread in (*threads, reader):
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    reader.join()
    records = {r["name"]: r for r in yaml.safe_load(tokens_file.read_text(encoding="utf-8"))["volunteers"]}
    assert len(records) == 17 and records["Amina"]["epoch"] == 150 and records["Omar"]["epoch"] == 0
    assert seen_without_amina == []  # a reader never sees a half-written file


def test_inbox_text_is_hidden_until_revealed_and_each_reveal_is_audited(editor: RunningEditor) -> None:
    _inbox_with_questions(editor)
    sim, naturalisation = open_inbox(editor.inbox_url).groups()
    client = signed_in(editor)
    page = client.get("/inbox")
    for question in ("Where can I buy a SIM card?", "lange dauert die einbürgerung", "einb&uuml;rgerung"):
        assert question.lower() not in page.text.lower()  # not on screen, not in a form's hidden field
    assert [form["message"] for form in all_forms(page, "/inbox/reveal")] == [
        [str(sim.ids[0])],
        [str(naturalisation.ids[0])],
    ]
    assert not any(all_forms(page, action) for action in ("/inbox/add", "/inbox/new", "/inbox/dismiss"))
    assert text("inbox_masked", "de") in page.text
    assert client.get("/inbox/reveal", params={"message": str(sim.ids[0])}).status_code == 405  # a link cannot

    reply = client.post("/inbox/reveal", data=all_forms(page, "/inbox/reveal")[0])  # the first row's button
    assert reply.status_code == 303 and reply.headers["location"] == f"/inbox#message-{sim.ids[0]}"
    shown = client.get("/inbox")
    assert "Where can I buy a SIM card?" in shown.text and "dauert die einbürgerung" not in shown.text
    assert [form["question"] for form in all_forms(shown, "/inbox/add")] == [["Where can I buy a SIM card?"]]
    (line,) = editor.audit()
    assert line["volunteer"] == "Amina" and line["action"] == "inbox_revealed" and line["message"] == sim.ids[0]
    audit_text = (editor.data_dir / "editor_audit.jsonl").read_text(encoding="utf-8")
    assert "SIM" not in audit_text and "einbürgerung" not in audit_text

    assert "Where can I buy a SIM card?" not in signed_in(editor).get("/inbox").text  # another session: hidden
    assert (
        client.post("/inbox/reveal", data={"csrf": form_of(shown, "/sign-out")["csrf"], "message": "²"}).status_code
        == 303
    )
    assert len(editor.audit()) == 1
    open_inbox(editor.inbox_url).record("Where can I buy a SIM card cheaply?", "en", "no_match", [])
    newer = client.get("/inbox")  # the group's example is now a message no one has read
    assert "SIM card" not in newer.text and len(all_forms(newer, "/inbox/reveal")) == 2


@pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium: apt-get install chromium chromium-driver (./lotse test does it)",
)
def test_a_volunteer_reveals_inbox_text_in_a_browser_without_javascript_and_nothing_breaks_the_policy(
    editor: RunningEditor,
) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    _inbox_with_questions(editor)
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=412,915"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)

    def click(css: str) -> None:
        page = browser.find_element(By.TAG_NAME, "html")
        browser.find_element(By.CSS_SELECTOR, css).click()
        WebDriverWait(browser, 20).until(expected_conditions.staleness_of(page))

    try:
        browser.get(f"{editor.url}/inbox")
        browser.find_element(By.ID, "token").send_keys(editor.token)
        click("form.sign-in button")
        assert "SIM card" not in browser.page_source
        click("li.group:first-child form.masked button")
        assert (
            browser.find_element(By.CSS_SELECTOR, "li.group:first-child blockquote").text
            == "Where can I buy a SIM card?"
        )
        assert browser.current_url.endswith("/inbox#message-" + str(open_inbox(editor.inbox_url).groups()[0].ids[0]))
        browser.get(f"{editor.url}/entries/anmeldung/ar")  # the biggest page: a form, details, links
        assert browser.find_element(By.ID, "answer").get_attribute("dir") == "rtl"
        save = browser.find_element(By.ID, "save")
        assert save.value_of_css_property("background-color") == "rgba(11, 92, 173, 1)"  # the stylesheet applies
        messages = [entry["message"] for entry in browser.get_log("browser")]
    finally:
        browser.quit()
    assert not [message for message in messages if "Content Security Policy" in message], messages
    assert [line["action"] for line in editor.audit()] == ["inbox_revealed"]


def test_a_short_editor_secret_stops_the_start_with_the_remedy(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(config.ACTIONS_PYTHON), "-m", "editor"],
        cwd=config.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LOTSE_EDITOR_SECRET": "too-short", "LOTSE_DATA_DIR": str(tmp_path)},
    )
    assert result.returncode == 2
    assert "LOTSE_EDITOR_SECRET" in result.stderr and "secrets.token_urlsafe(32)" in result.stderr
