"""The case summary a person consents to, in their language and in German for the counsellors.

One function for the action server (which proposes it) and the Telegram gateway
(which shows it again when the person removes their question), so what the
person sees is exactly what is sent.
"""

from __future__ import annotations

from typing import Any

from core.i18n.messages import Messages
from core.languages import REFERENCE_LANGUAGE, language_names

# A case: {"service": id, "service_name", "response_time", "entry", "category", "topic": {lang: title},
#          "question": str | None, "languages": [codes], "city": display name | None, "language": chat language,
#          "alternatives": [{"name", "contact"}] (the other proposals, offered if nobody answers in time)}
Case = dict[str, Any]


def summary(case: Case, language: str, messages: Messages) -> str:
    """The case as a few labelled lines in `language`; the question stays in the person's own words."""
    t = messages.text
    topic = case["topic"].get(language) or case["topic"].get(REFERENCE_LANGUAGE) or case.get("entry") or "–"
    lines = [f"{t('summary_topic', language)}: {topic}"]
    if case.get("question"):
        lines.append(f"{t('summary_question', language)}: «{case['question']}»")
    lines.append(f"{t('summary_languages', language)}: {language_names(case['languages'], language)}")
    lines.append(f"{t('summary_city', language)}: {case.get('city') or t('summary_not_given', language)}")
    lines.append(f"{t('summary_contact', language)}: {t('contact_telegram', language)}")
    return "\n".join(lines)


def consent_text(case: Case, messages: Messages, retention_days: int) -> str:
    """Everything that will be sent, then the question whether to send it."""
    t = messages.text
    language = case["language"]
    parts = [t("handover_consent_intro", language, service=case["service_name"]), summary(case, language, messages)]
    if language != REFERENCE_LANGUAGE:
        parts.append(f"{t('handover_consent_german', language)}\n{summary(case, REFERENCE_LANGUAGE, messages)}")
    parts.append(t("handover_consent_question", language, days=str(retention_days)))
    return "\n\n".join(parts)
