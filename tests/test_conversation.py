"""Condensing a follow-up into a standalone query: the checks on a rewrite, the fallback, and the real model."""

import pytest

from saferag.conversation import (Condensed, check_rewrite, clean_rewrite, condense, condense_prompt,
                                  fallback_query, follow_up_search, keyword_queries, last_user, search_query)
from saferag.retrieval import SearchQuery
from saferag.errors import SafeRagError

CONV = [
    {"role": "user", "content": "How do I recursively copy an entire directory tree?"},
    {"role": "assistant", "content": "Use `shutil.copytree(src, dst)` [1]."},
    {"role": "user", "content": "Which argument lets me leave some of the files out while doing that?"},
]


def test_lead_ins_quotes_and_extra_lines_are_cleaned_off():
    assert clean_rewrite('Standalone question: "Which copytree argument skips files?"\nHope this helps!') == \
        "Which copytree argument skips files?"
    assert clean_rewrite("Sure, here is the rewritten question: How to skip files in copytree?") == \
        "How to skip files in copytree?"
    assert clean_rewrite("User: How is a TCP connection closed?") == "How is a TCP connection closed?"


@pytest.mark.parametrize("rewrite, reason", [
    ("", "empty"), ("??", "empty"),
    ("I'm sorry, I can't help with rewriting that.", "a refusal"),
    ("Которые аргументы позволяют пропустить файлы при копировании дерева каталогов?", "another language"),
    ("Photosynthesis converts light into chemical energy stored in glucose.", "drifted from the conversation"),
    ("copy " * 200, "too long"),
    ("Which argument lets me leave some of the files out while doing that", "unchanged"),
    ("How do I recursively copy an entire directory tree?", "an earlier question"),
    ("To leave some files out while you copy the directory tree, pass an ignore argument to copytree.", "an answer"),
    ("Which argument leaves files out? ```shutil.copytree(src, dst, ignore=...)```", "an answer"),
])
def test_bad_rewrites_are_rejected_with_a_reason(rewrite, reason):
    assert check_rewrite(rewrite, CONV) == reason


def test_a_good_rewrite_passes():
    assert check_rewrite("Which argument of copytree lets me leave some files out of the directory tree copy?",
                         CONV) == ""


def test_fallback_joins_the_recent_user_turns_oldest_first():
    assert fallback_query(CONV) == ("How do I recursively copy an entire directory tree? Which argument lets me "
                                    "leave some of the files out while doing that?")


def test_a_follow_up_searches_its_rewrite_by_keywords_and_a_blend_of_the_turns_by_vector():
    joined, last = fallback_query(CONV), CONV[-1]["content"]
    blend = ((last, 1.0), (CONV[0]["content"], 0.5), ("Use `shutil.copytree(src, dst)` [1].", 0.5))
    rewrite = "Which argument of copytree leaves some files out?"
    assert search_query(Condensed(rewrite, "condensed"), CONV) == SearchQuery(rewrite, blend)
    assert search_query(Condensed(joined, "fallback", "x", "empty"), CONV) == SearchQuery(joined, blend)
    long = [*CONV[:1], {"role": "assistant", "content": "word " * 200}, CONV[-1]]
    assert len(search_query(Condensed(joined, "fallback"), long).blend[2][0]) < 320  # only the answer's gist
    # three turns: the user turn just before the message, and the last answer
    three = [*CONV, {"role": "assistant", "content": "Pass ignore= [2]."}, {"role": "user", "content": "And symlinks?"}]
    assert search_query(Condensed("x", "fallback"), three).blend == (
        ("And symlinks?", 1.0), (last, 0.5), ("Pass ignore= [2].", 0.5))
    first = [{"role": "user", "content": "How do I copy a tree?"}]
    assert search_query(Condensed("How do I copy a tree?", "first turn"), first) == SearchQuery("How do I copy a tree?")


def test_keyword_search_writes_a_follow_up_three_ways_and_the_other_modes_blend():
    joined, last = fallback_query(CONV), CONV[-1]["content"]
    with_answer = f"{joined} Use `shutil.copytree(src, dst)` [1]."
    rewrite = "Which argument of copytree leaves some files out?"
    condensed = Condensed(rewrite, "condensed")
    assert keyword_queries(condensed, CONV) == [rewrite, with_answer, last]
    assert keyword_queries(Condensed(joined, "fallback", "x", "empty"), CONV) == [with_answer, last]
    assert follow_up_search(condensed, CONV, "bm25") == [rewrite, with_answer, last]
    for mode in ("hybrid", "dense"):
        assert follow_up_search(condensed, CONV, mode) == [search_query(condensed, CONV)]
    first = [{"role": "user", "content": "How do I copy a tree?"}]
    assert follow_up_search(Condensed("How do I copy a tree?", "first turn"), first, "bm25") == \
        ["How do I copy a tree?"]


def test_the_prompt_shows_the_conversation_and_the_last_message():
    user = condense_prompt(CONV)[1]["content"]
    assert "User: How do I recursively copy" in user and "Assistant: Use `shutil.copytree" in user
    assert user.rstrip().endswith("Standalone question:") and "Last message: Which argument" in user


def test_a_conversation_must_end_with_a_user_turn():
    with pytest.raises(SafeRagError, match="end with a non-empty user message"):
        last_user(CONV[:2])


class Counting:
    """The real generator, counting calls (a first turn must cost none)."""

    def __init__(self, inner) -> None:
        self.inner, self.calls = inner, 0

    def generate(self, messages, params=None):
        self.calls += 1
        return self.inner.generate(messages, params)


def test_a_first_turn_needs_no_generator_call(generator):
    counting = Counting(generator)
    assert condense(CONV[:1], counting) == Condensed(CONV[0]["content"], "first turn")
    assert counting.calls == 0


@pytest.mark.slow
def test_the_packaged_model_condenses_a_follow_up_or_falls_back(generator):
    counting = Counting(generator)
    result = condense(CONV, counting)
    assert counting.calls == 1 and result.method in ("condensed", "fallback")
    if result.method == "condensed":
        assert check_rewrite(result.query, CONV) == "" and result.query != CONV[-1]["content"]
    else:
        assert result.query == fallback_query(CONV) and result.reason
    # whichever it was, retrieval gets the subject of the conversation back
    assert "cop" in result.query.lower()
