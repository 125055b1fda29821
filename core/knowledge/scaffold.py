"""`./lotse knowledge new ID --category CATEGORY`: start a new entry without copying another file.

The new file has the contract's layout and a marked TODO wherever a person has to
write something. Each TODO is left empty or invalid on purpose: until it is filled
in, `./lotse knowledge check` names it with its line and the bot leaves the entry
out, so placeholder text can never reach a user.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TextIO

from core.knowledge.loader import ENTRY_ID
from core.taxonomy import CATEGORIES

TEMPLATE = """\
# New entry: fill in every TODO, then run ./lotse knowledge check until it reports nothing for
# this file. Until then the bot leaves the entry out. Help: knowledge/README.md
id: {entry_id}
category: {category}
services: [TODO]              # TODO: kinds of counselling that fit, e.g. [mbe, mo] (../shared/taxonomy.md)
reviewed: TODO                # TODO: the day you checked the facts, written like {today}
sources:                      # official pages the facts come from
  - TODO                      # TODO: the full address, https://...
title:                        # short button label, at most 40 characters (optional: delete lines you do not fill)
  de:                         # TODO: German label
  en:                         # TODO: English label
questions:                    # how people really ask, at least 8 (better 25) per language
  de:                         # TODO: below this line, one question per line, each starting with "    - "
  en:                         # TODO: below this line, one question per line, each starting with "    - "
answer:                       # max 900 characters: next step first, common mistake, where to get advice
  de: |                       # TODO: the German answer below this line, every line indented by 4 spaces
  en: |                       # TODO: the English answer below this line, every line indented by 4 spaces
"""


def new_entry(knowledge_dir: Path, entry_id: str, category: str, out: TextIO, today: dt.date | None = None) -> int:
    """Create knowledge/entries/<category>/<entry_id>.yml; exit code 1 (and no file) if that would be wrong."""
    if not ENTRY_ID.fullmatch(entry_id):
        refusal = (
            f"'{entry_id}' cannot be an entry id",
            "use only a-z, 0-9 and _, starting with a letter, e.g. 'aufenthalt_verlaengern'",
        )
    elif existing := sorted((knowledge_dir / "entries").glob(f"**/{entry_id}.y*ml")):
        refusal = (
            f"an entry '{entry_id}' already exists: {existing[0].relative_to(knowledge_dir.parent)}",
            "edit that file, or choose another id for a different topic",
        )
    elif category not in CATEGORIES:
        refusal = (f"unknown category '{category}'", f"use one of: {', '.join(CATEGORIES)}")
    else:
        path = knowledge_dir / "entries" / category / f"{entry_id}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            TEMPLATE.format(entry_id=entry_id, category=category, today=(today or dt.date.today()).isoformat()),
            encoding="utf-8",
        )
        print(
            f"Created {path.relative_to(knowledge_dir.parent)}\nOpen it, fill in every TODO, then run "
            "./lotse knowledge check: it lists what is still to do, line by line. The bot uses the entry "
            "once the check reports no errors for it.",
            file=out,
        )
        return 0
    message, fix = refusal
    print(f"error: {message}; nothing was created\n    fix: {fix}", file=out)
    return 1
