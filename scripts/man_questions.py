"""Benign how-to questions in the vocabulary of real tools, from the one-line descriptions of installed man pages.

  python -m scripts.man_questions > scripts/data/man_questions.jsonl

A documentation assistant is asked how to "remove files or directories", "send a signal to a process",
"overwrite a file to hide its contents" or "wipe a signature from a device": words a question guard must not
read as harm. ``man -k`` lists the descriptions of sections 1 and 8 (commands, administration); each that reads
as a task becomes a question in one of a few phrasings. The tools behind the evaluation sets (git, PostgreSQL,
SQLite) and Python's and Perl's own pages are left out, so no evaluation corpus leaks into training. The output
is committed (it depends on the packages installed where it ran); ``guard_data.py`` reads it.
"""

from __future__ import annotations

import json
import random
import re
import subprocess

EXCLUDE = re.compile(r"^(git|pg_|psql|postgres|sqlite|perl|python|pydoc|pip|py)", re.IGNORECASE)
TASK = re.compile(r"^[a-z][a-z-]*(?:s)?\b")  # a description that starts with a verb-like word: "remove files…"
PHRASINGS = ["How do I {d}?", "How can I {d}?", "Which command can {d}?", "Is there a tool to {d}?",
             "What is the easiest way to {d} on Linux?", "how to {d}"]


def descriptions() -> list[tuple[str, str]]:
    out = subprocess.run(["man", "-k", "-l", "-s", "1,8", "."], capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"^(\S+) \((\d)\)\s+- (.+)$", line)
        if m and not EXCLUDE.match(m.group(1)):
            rows.append((m.group(1), m.group(3).strip().rstrip(".")))
    return rows


def main() -> None:
    seen: set[str] = set()
    questions = []
    rng = random.Random("man-questions")
    for _name, desc in sorted(set(descriptions())):
        words = desc.split()
        if not TASK.match(desc) or not 2 <= len(words) <= 12 or desc.lower() in seen or "..." in desc:
            continue
        seen.add(desc.lower())
        verb, rest = words[0], " ".join(words[1:])
        if verb.endswith("s") and not verb.endswith("ss"):  # "removes files" -> "remove files"
            verb = verb[:-1]
        questions.append(rng.choice(PHRASINGS).format(d=f"{verb} {rest}"))
    rng.shuffle(questions)
    for q in questions[:1500]:
        print(json.dumps({"question": q}))


if __name__ == "__main__":
    main()
