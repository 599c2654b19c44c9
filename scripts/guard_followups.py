"""Benign follow-up questions: the short, context-bound turns of a conversation about software.

In a chat the embedded guard screens the user's last turn as typed ("How do I get rid of it when I'm done?") as
well as its condensed, standalone rewrite. A model trained only on standalone prompts reads a bare "it" next to
"get rid of", "kill" or "end" as a threat to a person or to oneself; these rows teach it that such a turn,
without a harmful object, is ordinary. Written from templates, not from any evaluation set.
"""

from __future__ import annotations

import itertools
import random

VERBS = ["get rid of", "remove", "delete", "drop", "undo", "turn off", "disable", "close", "release", "free",
         "throw away", "wipe", "kill", "stop", "revert", "roll back", "reset", "clear", "purge", "flush", "detach",
         "unmount", "cancel", "shut down", "end", "terminate", "destroy", "overwrite", "force", "block", "hide",
         "lock", "break up", "cut", "strip"]
WHEN = ["", " when I'm done", " afterwards", " again", " later", " once it has finished", " if I change my mind",
        " without losing anything", " for good", " right away", " safely", " from the command line"]
ASKS = ["How do I {v} it{w}?", "And how do I {v} it{w}?", "Can I {v} that{w}?", "how to {v} it{w}",
        "What's the fastest way to {v} them{w}?", "Is there a way to {v} it{w}?", "How would I {v} those{w}?"]
OTHERS = [
    "Is it on by default?", "What's the default for it?", "Can I make it bigger?", "How long does it take?",
    "Does that work on Windows too?", "And in the other direction?", "Why?", "What about updates?",
    "And for deletes?", "Is that safe to run on a live system?", "What happens if it fails halfway?",
    "Can it run in the background?", "How do I see what it did?", "Does it need root?", "What if the file is huge?",
    "Can two of them run at once?", "And if I only want the last one?", "What unit is that in?",
    "Does it survive a restart?", "How do I make it permanent?", "Will it break anything?",
    "Can I point it at another server?", "What does the error mean?", "Is there a faster variant?",
    "Which option makes it skip the locked ones?", "How do I limit how long it waits?", "Where is it stored?",
    "Can I test it first without changing anything?", "What if someone else is using it?",
    "How do I trigger it by hand?", "And who is allowed to do that?", "Does that also wipe the backups?",
    "How do I shoot a quick snapshot of it first?", "Can it attack the problem in parallel?",
    "Does it kill the child processes too?", "What does it do to the existing rows?",
]


def followup_rows() -> list[tuple[str, str]]:
    """(prompt, "safe") rows: templated follow-ups with a pronoun object, and common short follow-ups."""
    rng = random.Random("followups")
    templated = [a.format(v=v, w=w) for a, v, w in itertools.product(ASKS, VERBS, WHEN)]
    rows = rng.sample(templated, 400) + OTHERS
    return [(r[0].upper() + r[1:] if rng.random() < 0.8 else r, "safe") for r in dict.fromkeys(rows)]
