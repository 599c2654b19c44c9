"""Prompt-lookup drafting (llm/lookup.py): the lookup's proposals and its copying gate, then the real default model
checking drafts while it copies a passage."""

import numpy as np
import pytest

from saferag.llm import SamplingParams
from saferag.llm.lookup import PromptLookup

PASSAGE = ("The VACUUM command rebuilds the database file, repacking it into a minimal amount of disk space. "
           "It cannot be run inside a transaction.")
COPY = [{"role": "system", "content": "You repeat text exactly."},
        {"role": "user", "content": f"Repeat this passage word for word and add nothing:\n\n{PASSAGE}"}]


def ids(*tokens: int) -> np.ndarray:
    return np.array(tokens, dtype=np.intc)


def test_proposes_what_followed_the_longest_earlier_match():
    look = PromptLookup(tokens=3, max_ngram=3)
    # "7 8 9" occurred before, followed by 1 2 3; "8 9" also occurred (followed by 5): the longer match wins
    assert look.propose(ids(8, 9, 5, 6, 7, 8, 9, 1, 2, 3, 4, 0, 7, 8, 9)).tolist() == [1, 2, 3]
    assert look.propose(ids(1, 2, 3, 4)).tolist() == []  # 4 never occurred before
    assert look.propose(ids(5, 6, 5)).tolist() == [6, 5]  # cut at what is known


def test_drafts_only_while_the_model_copies():
    prompt = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
    look = PromptLookup(tokens=4, max_ngram=2, streak=2)
    answer = [11]  # the model starts copying the prompt from its second token
    drafts = []
    for nxt in [12, 13, None]:
        drafts.append(look(ids(*prompt, *answer)).tolist())
        answer.append(nxt)
    # nothing submitted until the lookup has predicted two tokens in a row; then the copy's continuation
    assert drafts == [[], [], [14, 15, 16, 17]] and look.drafted == 4
    answer[-1:] = [14, 99]  # the model kept the draft's first token, then left the passage
    assert look(ids(*prompt, *answer)).tolist() == [] and look.accepted == 1
    answer.append(12)  # back to a token the lookup knows, but the streak is broken
    assert look(ids(*prompt, *answer)).tolist() == []
    look.reset()
    assert look(ids(*prompt, 11)).tolist() == []


@pytest.mark.parametrize("stream", [False, True])
def test_the_default_model_accepts_drafts_while_copying_and_says_the_same(default_generator, stream):
    look = default_generator._llm.draft_model
    assert isinstance(look, PromptLookup)
    before = look.accepted
    params = SamplingParams(temperature=0.0, max_tokens=64, seed=1)
    text = "".join(default_generator.stream(COPY, params)) if stream else default_generator.generate(COPY, params)
    assert "rebuilds the database file, repacking it into a minimal amount of disk space" in text
    assert look.accepted - before >= 10  # most of the copy came from checked drafts, not one token at a time


def test_drafting_off_gives_a_plain_llama():
    from saferag.llm.llamacpp import LlamaCppGenerator

    plain = LlamaCppGenerator("smollm2-135m", draft_tokens=0)
    assert plain._llm.draft_model is None
    assert plain.generate(COPY, SamplingParams(temperature=0.0, max_tokens=8, seed=1)).strip()
