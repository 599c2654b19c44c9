"""Benign how-to questions in the vocabulary of real tools, from the one-line descriptions of installed man pages.

  python -m scripts.man_questions > scripts/data/man_questions.jsonl
  python -m scripts.man_questions --api > scripts/data/api_questions.jsonl   # apt install manpages-dev

A documentation assistant is asked how to "remove files or directories", "send a signal to a process",
"overwrite a file to hide its contents" or "wipe a signature from a device": words a question guard must not
read as harm. ``man -k`` lists the descriptions of sections 1 and 8 (commands, administration); each that reads
as a task becomes a question in one of a few phrasings. The tools behind the evaluation sets (git, PostgreSQL,
SQLite) and Python's and Perl's own pages are left out, so no evaluation corpus leaks into training. The output
is committed (it depends on the packages installed where it ran); ``guard_data.py`` reads it.

``--api`` does the same for programmers: sections 2 and 3 of the Linux man-pages project (``manpages-dev``: system
calls and C library functions) give questions such as "Which function can I use to send a signal to a process?"
or "How do I create a child process in C?", the vocabulary of a standard library's reference (signals, process
termination, password hashing, locks, tracing) that the command descriptions above rarely use. Only pages that
package installs are read, so PostgreSQL's, SQLite's and Perl's section 3 pages (evaluation corpora) are not.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
from pathlib import Path

EXCLUDE = re.compile(r"^(git|pg_|psql|postgres|sqlite|perl|python|pydoc|pip|py)", re.IGNORECASE)
TASK = re.compile(r"^[a-z][a-z-]*(?:s)?\b")  # a description that starts with a verb-like word: "remove files…"
PHRASINGS = ["How do I {d}?", "How can I {d}?", "Which command can {d}?", "Is there a tool to {d}?",
             "What is the easiest way to {d} on Linux?", "how to {d}"]
API_PHRASINGS = ["Which function can I use to {d}?", "How do I {d} in C?", "How can a program {d}?",
                 "What is the system call to {d}?", "In my code, how do I {d}?", "Which API lets me {d}?",
                 "how to {d} programmatically"]
# Section 2 and 3 descriptions are as often noun phrases ("sine function", "library interface to ..."), which make no
# question: an API description is used only when its first word is one of these verbs.
API_VERBS = frozenset("""get convert set create set/get change return read round get/set access copy test determine send
generate obtain allocate open compare wait lock initialize manage multiply calculate make handle parse reposition
transform write locate duplicate manipulate print check retrieve compute hash close examine remove scan find receive
extract search transfer traverse terminate load push truncate map delete define perform encrypt share try append
concatenate give tune hint initiate list record query sync add fill register synchronize translate destroy unlock
start/stop spawn commit flush format arm/disarm bind seek create/open unmount cause splice move yield sort request
enter cancel purge control accept allow apply join free sleep abort schedule reboot detach remap reassociate release
emulate restart reset match enforce walk clear shut setup atomically operate exit randomize suspend switch swap
correct reconstruct mount split submit grant export run enable/disable unload disassociate issue deallocate listen
open/close insert/remove read/write allocates creates""".split())
API_PACKAGE = "manpages-dev"  # the Linux man-pages project's sections 2 and 3


def api_pages() -> set[str]:
    """The names of the section 2 and 3 pages ``manpages-dev`` installs ("kill", "fork", ...)."""
    files = subprocess.run(["dpkg", "-L", API_PACKAGE], capture_output=True, text=True, check=True).stdout
    return {Path(f).name.split(".")[0] for f in files.splitlines() if re.search(r"/man/man[23]/", f)}


def descriptions(sections: str = "1,8", names: set[str] | None = None) -> list[tuple[str, str]]:
    """(page, one-line description) of the man pages in ``sections``, only those in ``names`` when given."""
    out = subprocess.run(["man", "-k", "-l", "-s", sections, "."], capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"^(\S+) \((\d)\)\s+- (.+)$", line)
        if m and not EXCLUDE.match(m.group(1)) and (names is None or m.group(1) in names):
            rows.append((m.group(1), m.group(3).strip().rstrip(".")))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--api", action="store_true", help="system calls and C library functions (manpages-dev)")
    args = ap.parse_args()
    seen: set[str] = set()
    questions = []
    rng = random.Random("api-questions" if args.api else "man-questions")
    found = descriptions("2,3", api_pages()) if args.api else descriptions()
    phrasings = API_PHRASINGS if args.api else PHRASINGS
    for _name, desc in sorted(set(found)):
        words = desc.split()
        if args.api and words[0].lower().rstrip(",") not in API_VERBS:
            continue
        if not TASK.match(desc) or not 2 <= len(words) <= 12 or desc.lower() in seen or "..." in desc:
            continue
        seen.add(desc.lower())
        verb, rest = words[0], " ".join(words[1:])
        if verb.endswith("s") and not verb.endswith("ss"):  # "removes files" -> "remove files"
            verb = verb[:-1]
        questions.append(rng.choice(phrasings).format(d=f"{verb} {rest}"))
    rng.shuffle(questions)
    for q in questions[:1500]:
        print(json.dumps({"question": q}))


if __name__ == "__main__":
    main()
