"""Every text of the editor's interface, in German and English, in one place.

Volunteers are not programmers: texts say what to do in plain words. A new
interface language is one more column here (plus its code in UI_LANGUAGES); a
text missing in it falls back to German, the language every volunteer shares.
"""
from __future__ import annotations

import re

from actions.languages import GERMAN_NAMES, NATIVE_NAMES

UI_LANGUAGES: tuple[str, ...] = ("de", "en")
DEFAULT_UI = "de"

ENGLISH_NAMES: dict[str, str] = {
    "de": "German", "en": "English", "ar": "Arabic", "uk": "Ukrainian", "tr": "Turkish", "ru": "Russian",
    "fa": "Persian/Dari", "fr": "French",
}

SERVICE_KIND_NAMES: dict[str, dict[str, str]] = {
    "mbe": {"de": "Migrationsberatung für Erwachsene (MBE, ab 27)", "en": "Migration counselling for adults (MBE, 27+)"},
    "jmd": {"de": "Jugendmigrationsdienst (JMD, 12–27)", "en": "Youth migration service (JMD, 12–27)"},
    "refugee_counselling": {"de": "Flüchtlings- und Asylverfahrensberatung", "en": "Refugee and asylum counselling"},
    "labour_counselling": {"de": "Beratung zu Arbeitsrechten", "en": "Labour rights counselling"},
    "recognition_counselling": {"de": "Anerkennungsberatung", "en": "Recognition counselling"},
    "health_counselling": {"de": "Gesundheitsberatung", "en": "Health counselling"},
    "women_protection": {"de": "Hilfe bei Gewalt gegen Frauen", "en": "Help against violence towards women"},
    "housing_counselling": {"de": "Wohnungs- und Wohnungslosenhilfe", "en": "Housing and homelessness help"},
    "family_counselling": {"de": "Familienberatung", "en": "Family counselling"},
    "mo": {"de": "Migrantenorganisation", "en": "Migrant organisation"},
    "emergency": {"de": "Notruf und Krisentelefone", "en": "Emergency and crisis lines"},
}

TEXTS: dict[str, dict[str, str]] = {
    # frame
    "app_name": {"de": "Lotse · Redaktion", "en": "Lotse · editor"},
    "nav_entries": {"de": "Einträge", "en": "Entries"},
    "nav_inbox": {"de": "Offene Fragen", "en": "Unanswered questions"},
    "sign_out": {"de": "Abmelden", "en": "Sign out"},
    "signed_in_as": {"de": "Angemeldet: {name}", "en": "Signed in: {name}"},
    "not_found": {"de": "Diese Seite gibt es nicht.", "en": "This page does not exist."},
    "csrf_failed": {"de": "Das Formular war zu alt oder kam nicht von dieser Seite. Laden Sie die Seite neu und "
                          "versuchen Sie es noch einmal.",
                    "en": "The form was too old or did not come from this page. Reload the page and try again."},
    # sign-in
    "sign_in_title": {"de": "Anmelden", "en": "Sign in"},
    "sign_in_intro": {"de": "Geben Sie Ihren persönlichen Zugangscode ein. Sie haben ihn von der Person bekommen, "
                            "die Lotse in Ihrer Organisation betreut.",
                      "en": "Enter your personal access code. You got it from the person who runs Lotse in your "
                            "organisation."},
    "token_label": {"de": "Zugangscode", "en": "Access code"},
    "sign_in_button": {"de": "Anmelden", "en": "Sign in"},
    "sign_in_wrong": {"de": "Dieser Zugangscode stimmt nicht. Prüfen Sie ihn oder bitten Sie um einen neuen.",
                      "en": "This access code is not right. Check it or ask for a new one."},
    "sign_in_throttled": {"de": "Von dieser Verbindung wurden zu viele falsche Zugangscodes eingegeben. Bitte warten "
                                "Sie {minutes} Minuten und versuchen Sie es dann noch einmal. Wenn Sie Ihren Code "
                                "verloren haben, bitten Sie um einen neuen.",
                          "en": "Too many wrong access codes were entered from this connection. Please wait {minutes} "
                                "minutes, then try again. If you have lost your code, ask for a new one."},
    "signed_out": {"de": "Sie sind abgemeldet – auf allen Geräten.", "en": "You are signed out – on all devices."},
    "session_ended": {"de": "Bitte melden Sie sich an.", "en": "Please sign in."},
    # entry list
    "entries_title": {"de": "Einträge", "en": "Entries"},
    "search_label": {"de": "Suchen (Titel oder Frage, in jeder Sprache)",
                     "en": "Search (title or question, in any language)"},
    "filter_category": {"de": "Thema", "en": "Topic"},
    "all_categories": {"de": "Alle Themen", "en": "All topics"},
    "filter_language": {"de": "Sprache", "en": "Language"},
    "all_languages": {"de": "Alle Sprachen", "en": "All languages"},
    "filter_status": {"de": "Zustand", "en": "Status"},
    "any_status": {"de": "Alle", "en": "All"},
    "filter_button": {"de": "Anzeigen", "en": "Show"},
    "results": {"de": "{count} Einträge", "en": "{count} entries"},
    "no_results": {"de": "Nichts gefunden. Versuchen Sie ein anderes Wort oder weniger Filter.",
                   "en": "Nothing found. Try another word or fewer filters."},
    "status_present": {"de": "vorhanden", "en": "present"},
    "status_missing": {"de": "fehlt", "en": "missing"},
    "status_stale": {"de": "Prüfung fällig", "en": "review due"},
    "status_errors": {"de": "hat Fehler", "en": "has errors"},
    "status_legend": {"de": "Ein Knopf je Sprache öffnet die Bearbeitung. „Prüfung fällig“: die Fakten wurden vor "
                            "mehr als 12 Monaten zuletzt geprüft.",
                      "en": "Each language button opens the editor. “Review due”: the facts were last checked more "
                            "than 12 months ago."},
    "left_out": {"de": "Hat Fehler: der Bot lässt diesen Eintrag weg, bis sie behoben sind.",
                 "en": "Has errors: the bot leaves this entry out until they are fixed."},
    # edit page
    "reference": {"de": "Deutsch (Vorlage)", "en": "German (reference)"},
    "back_to_list": {"de": "← Alle Einträge", "en": "← All entries"},
    "other_languages": {"de": "Andere Sprache bearbeiten:", "en": "Edit another language:"},
    "field_title": {"de": "Titel", "en": "Title"},
    "hint_title": {"de": "Kurze Beschriftung für Knöpfe, höchstens {max} Zeichen. Freiwillig.",
                   "en": "Short label for buttons, at most {max} characters. Optional."},
    "field_questions": {"de": "Fragen", "en": "Questions"},
    "hint_questions": {"de": "Eine Frage pro Zeile, so wie Menschen wirklich fragen – mindestens {min}, besser 12.",
                       "en": "One question per line, the way people really ask – at least {min}, better 12."},
    "field_answer": {"de": "Antwort", "en": "Answer"},
    "hint_answer": {"de": "Höchstens {max} Zeichen, einfache Sprache: zuerst der nächste Schritt (wo, was "
                          "mitbringen, Frist, Kosten), dann ein häufiger Fehler, dann wo es Beratung gibt.",
                    "en": "At most {max} characters, plain language: the next step first (where, what to bring, "
                          "deadline, cost), then a common mistake, then where to get advice."},
    "chars": {"de": "{count} Zeichen", "en": "{count} characters"},
    "entry_details": {"de": "Angaben für den ganzen Eintrag (gelten für alle Sprachen)",
                      "en": "Details of the whole entry (for all languages)"},
    "field_reviewed": {"de": "Zuletzt geprüft", "en": "Last checked"},
    "hint_reviewed": {"de": "Der Tag, an dem jemand die Fakten mit den Quellen verglichen hat. Haben Sie das heute "
                            "getan, tragen Sie das heutige Datum ein.",
                      "en": "The day someone compared the facts with the sources. If you did that today, enter "
                            "today's date."},
    "field_sources": {"de": "Quellen", "en": "Sources"},
    "hint_sources": {"de": "Offizielle Webseiten, aus denen die Fakten stammen, eine pro Zeile (https://…).",
                     "en": "Official web pages the facts come from, one per line (https://…)."},
    "field_services": {"de": "Passende Beratung", "en": "Matching counselling"},
    "hint_services": {"de": "Welche Beratungsstellen der Bot nach dieser Antwort anbietet.",
                      "en": "Which counselling services the bot offers after this answer."},
    "field_category": {"de": "Thema", "en": "Topic"},
    "save": {"de": "Speichern", "en": "Save"},
    "saved": {"de": "Gespeichert ({fields}). Der Bot verwendet den neuen Text in Kürze. Danke!",
              "en": "Saved ({fields}). The bot will use the new text shortly. Thank you!"},
    "nothing_changed": {"de": "Sie haben nichts geändert; die Datei bleibt, wie sie ist.",
                        "en": "You changed nothing; the file stays as it is."},
    "not_saved": {"de": "Nicht gespeichert. Bitte korrigieren Sie, was bei den Feldern steht.",
                  "en": "Not saved. Please correct what is said next to the fields."},
    "conflict": {"de": "Nicht gespeichert: Jemand anderes hat diesen Eintrag gespeichert, während Sie ihn bearbeitet "
                       "haben. Ihr Text steht noch im Formular. Vergleichen Sie ihn mit der neuen Fassung (unten bei "
                       "den Feldern) und speichern Sie dann noch einmal.",
                 "en": "Not saved: someone else saved this entry while you were editing it. Your text is still in "
                       "the form. Compare it with the new version (shown under the fields), then save again."},
    "current_version": {"de": "Neue Fassung in der Datei:", "en": "New version in the file:"},
    "still_to_do": {"de": "Noch zu tun in diesem Eintrag:", "en": "Still to do in this entry:"},
    "entry_not_found": {"de": "Einen Eintrag „{entry}“ gibt es nicht.", "en": "There is no entry “{entry}”."},
    # what the validation found, in plain words (editor/problems.py picks them)
    "problem_answer_empty": {"de": "Die Antwort ist leer. Schreiben Sie die Antwort; eine vorhandene Übersetzung "
                                   "kann hier nicht gelöscht werden.",
                             "en": "The answer is empty. Write the answer; an existing translation cannot be deleted "
                                   "here."},
    "problem_title_empty": {"de": "Der Titel ist leer. Schreiben Sie eine kurze Beschriftung.",
                            "en": "The title is empty. Write a short label."},
    "problem_answer_too_long": {"de": "Die Antwort ist zu lang: {count} Zeichen, erlaubt sind höchstens {max}. "
                                      "Kürzen Sie sie: zuerst der nächste Schritt, Einzelheiten stehen in der Quelle.",
                                "en": "The answer is too long: {count} characters, at most {max} are allowed. "
                                      "Shorten it: the next step first, details are in the source."},
    "problem_title_too_long": {"de": "Der Titel ist zu lang: {count} Zeichen, erlaubt sind höchstens {max}.",
                               "en": "The title is too long: {count} characters, at most {max} are allowed."},
    "problem_questions_empty": {"de": "Es steht keine Frage da. Schreiben Sie mindestens eine Frage, eine pro Zeile.",
                                "en": "There is no question. Write at least one question, one per line."},
    "problem_few_questions": {"de": "Erst {count} Fragen. Mit mindestens {min} (besser 12), so formuliert wie "
                                    "Menschen fragen, versteht der Bot die Leute besser.",
                              "en": "Only {count} questions. With at least {min} (better 12), written the way people "
                                    "ask, the bot understands people better."},
    "problem_no_answer": {"de": "Es gibt Fragen, aber keine Antwort in dieser Sprache. Schreiben Sie die Antwort.",
                          "en": "There are questions but no answer in this language. Write the answer."},
    "problem_no_questions": {"de": "Es gibt eine Antwort, aber keine Fragen in dieser Sprache. Schreiben Sie die "
                                   "Fragen.",
                             "en": "There is an answer but no questions in this language. Write the questions."},
    "problem_german_required": {"de": "Deutsche Fragen und Antwort fehlen noch; ohne sie verwendet der Bot den "
                                      "Eintrag nicht.",
                                "en": "German questions and answer are still missing; without them the bot does not "
                                      "use the entry."},
    "problem_reviewed_invalid": {"de": "Das ist kein Datum. Wählen Sie den Tag, an dem Sie die Fakten geprüft haben.",
                                 "en": "This is not a date. Choose the day you checked the facts."},
    "problem_reviewed_future": {"de": "Dieses Datum liegt in der Zukunft. Tragen Sie den Tag ein, an dem Sie die "
                                      "Fakten geprüft haben.",
                                "en": "This date is in the future. Enter the day you checked the facts."},
    "problem_stale": {"de": "Die Fakten wurden vor mehr als 12 Monaten zuletzt geprüft. Vergleichen Sie sie mit den "
                            "Quellen und tragen Sie das heutige Datum ein.",
                      "en": "The facts were last checked more than 12 months ago. Compare them with the sources and "
                            "enter today's date."},
    "problem_sources_empty": {"de": "Es fehlt eine Quelle. Geben Sie mindestens eine offizielle Webseite an.",
                              "en": "A source is missing. Give at least one official web page."},
    "problem_source_invalid": {"de": "„{value}“ ist keine Webadresse. Schreiben Sie die ganze Adresse, beginnend mit "
                                     "https://",
                               "en": "“{value}” is not a web address. Write the full address, starting with "
                                     "https://"},
    "problem_services_invalid": {"de": "Wählen Sie aus, welche Beratung zu diesem Thema passt.",
                                 "en": "Choose which counselling fits this topic."},
    "problem_empty_lines": {"de": "Leere Zeilen werden beim Speichern weggelassen.",
                            "en": "Empty lines are left out when saving."},
    # unanswered-questions inbox
    "inbox_title": {"de": "Offene Fragen", "en": "Unanswered questions"},
    "inbox_intro": {"de": "Fragen, die der Bot nicht gut beantworten konnte, ohne Namen und Nummern. Ähnliche Fragen "
                          "sind zusammengefasst, die neuesten zuerst. Der Text bleibt verborgen, bis Sie „Text "
                          "anzeigen“ wählen. Machen Sie daraus eine Frage bei einem Eintrag oder einen neuen Eintrag "
                          "– dann verschwinden sie von dieser Liste.",
                    "en": "Questions the bot could not answer well, without names and numbers. Similar questions are "
                          "grouped, newest first. The text stays hidden until you choose “Show text”. Turn them into "
                          "a question of an entry or into a new entry – then they leave this list."},
    "inbox_empty": {"de": "Keine offenen Fragen.", "en": "No unanswered questions."},
    "inbox_masked": {"de": "Text verborgen. Das Anzeigen wird mit Ihrem Namen protokolliert.",
                     "en": "Text hidden. Showing it is recorded with your name."},
    "inbox_reveal": {"de": "Text anzeigen", "en": "Show text"},
    "inbox_unavailable": {"de": "Die Liste der offenen Fragen ist gerade nicht erreichbar. Versuchen Sie es später.",
                          "en": "The list of unanswered questions cannot be reached right now. Try again later."},
    "inbox_count": {"de": "{count}× gefragt", "en": "asked {count}×"},
    "inbox_newest": {"de": "zuletzt {time}", "en": "last {time}"},
    "inbox_language": {"de": "Sprache der Frage", "en": "Language of the question"},
    "inbox_add_to": {"de": "Als Frage zu „{title}“ hinzufügen", "en": "Add as a question to “{title}”"},
    "inbox_add_other": {"de": "… oder zu diesem Eintrag:", "en": "… or to this entry:"},
    "inbox_add_to_entry": {"de": "Als Frage hinzufügen zu:", "en": "Add as a question to:"},
    "inbox_choose_entry": {"de": "– Eintrag wählen –", "en": "– choose an entry –"},
    "inbox_add_button": {"de": "Hinzufügen", "en": "Add"},
    "inbox_new_entry": {"de": "Neuen Eintrag beginnen", "en": "Start a new entry"},
    "inbox_new_name": {"de": "Kurzer Name des Themas (z. B. „Kindergeld beantragen“; daraus wird der Dateiname)",
                       "en": "Short name of the topic (e.g. “Kindergeld beantragen”; it becomes the file name)"},
    "inbox_dismiss": {"de": "Nicht relevant – entfernen", "en": "Not relevant – remove"},
    "inbox_added": {"de": "Die Frage steht jetzt bei „{title}“ ({language}).",
                    "en": "The question is now part of “{title}” ({language})."},
    "inbox_already": {"de": "Diese Frage hat „{title}“ ({language}) schon; die Nachrichten sind als erledigt "
                            "entfernt.",
                      "en": "“{title}” ({language}) has this question already; the messages were removed as done."},
    "inbox_not_added": {"de": "Nicht hinzugefügt zu „{title}“: {problem}",
                        "en": "Not added to “{title}”: {problem}"},
    "inbox_dismissed": {"de": "{count} Nachrichten entfernt.", "en": "{count} messages removed."},
    "inbox_created": {"de": "Neuer Eintrag „{entry}“ angelegt. Füllen Sie jetzt die Felder aus – der Bot verwendet "
                            "ihn, sobald nichts mehr fehlt (die Liste „Noch zu tun“ zeigt, was fehlt).",
                      "en": "New entry “{entry}” started. Now fill in the fields – the bot uses it once nothing is "
                            "missing (the “Still to do” list shows what is)."},
    "inbox_bad_name": {"de": "Aus „{name}“ lässt sich kein Dateiname machen. Beginnen Sie mit einem Buchstaben, z. B. "
                             "„Kindergeld beantragen“.",
                       "en": "“{name}” cannot become a file name. Start with a letter, e.g. “Kindergeld beantragen”."},
    "inbox_exists": {"de": "Einen Eintrag „{entry}“ gibt es schon. Fügen Sie die Frage dort hinzu oder wählen Sie "
                           "einen anderen Namen.",
                     "en": "An entry “{entry}” exists already. Add the question there or choose another name."},
    "inbox_bad_category": {"de": "Wählen Sie ein Thema aus der Liste.", "en": "Choose a topic from the list."},
}


def text(key: str, ui: str, **values: object) -> str:
    """The text `key` in interface language `ui` (German if it lacks one), with {placeholders} filled."""
    entry = TEXTS[key]
    template = entry.get(ui) or entry[DEFAULT_UI]
    return template.format(**values) if values else template


def language_name(code: str, ui: str) -> str:
    """A content language as a volunteer reading `ui` knows it, with its own name: 'Arabisch (العربية)'."""
    names = GERMAN_NAMES if ui == "de" else ENGLISH_NAMES
    name = names.get(code, code)
    return name if NATIVE_NAMES.get(code) in (None, name) else f"{name} ({NATIVE_NAMES[code]})"


def service_kind_name(kind: str, ui: str) -> str:
    names = SERVICE_KIND_NAMES.get(kind, {})
    return names.get(ui) or names.get(DEFAULT_UI) or kind


_ACCEPT = re.compile(r"\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*")


def ui_from_accept_language(header: str | None) -> str:
    """The interface language the browser prefers most among UI_LANGUAGES; German if none of them."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        match = _ACCEPT.fullmatch(part)
        if not match:
            continue
        try:
            quality = float(match.group(2) or 1)
        except ValueError:
            continue
        if match.group(1).lower() in UI_LANGUAGES and quality > 0:
            ranked.append((-quality, position, match.group(1).lower()))
    return min(ranked)[2] if ranked else DEFAULT_UI
