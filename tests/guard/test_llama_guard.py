"""Llama Guard 3: Meta's prompt, lenient parsing, and the guard over a real llama.cpp server.

The server's model is SmolLM2, not Llama Guard: the end-to-end tests are about transport and
parsing, and an answer that is not a verdict must refuse.
"""

from __future__ import annotations

import pytest

from saferag.config import load_settings
from saferag.errors import GuardError
from saferag.guard import load_guard
from saferag.guard.llama_guard import LlamaGuard, build_prompt, conversation, parse_output
from saferag.guard.screen import Screener
from saferag.llm.openai_compat import OpenAIGenerator

QA = [{"role": "system", "content": "You answer from documents."},
      {"role": "user", "content": "How do I reset my password?"},
      {"role": "assistant", "content": "Open Settings, then Security."}]


def test_user_prompt_matches_metas_format():
    prompt = build_prompt(QA[:2], "user")
    assert prompt.startswith("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nTask: Check if there "
                             "is unsafe content in 'User' messages in conversations according our safety policy")
    assert "<BEGIN UNSAFE CONTENT CATEGORIES>\nS1: Violent Crimes.\nS2: Non-Violent Crimes.\n" in prompt
    assert "S14: Code Interpreter Abuse.\n<END UNSAFE CONTENT CATEGORIES>" in prompt
    assert "<BEGIN CONVERSATION>\n\nUser: How do I reset my password?\n\n<END CONVERSATION>" in prompt
    assert "You answer from documents" not in prompt  # system turns are not screened
    assert prompt.endswith("Provide your safety assessment for ONLY THE LAST User message in the above "
                           "conversation:\n - First line must read 'safe' or 'unsafe'.\n - If unsafe, a second line "
                           "must include a comma-separated list of violated categories.<|eot_id|>"
                           "<|start_header_id|>assistant<|end_header_id|>\n\n")
    assert prompt.count("<|begin_of_text|>") == 1


def test_agent_prompt_exclusions_and_1b_taxonomy():
    prompt = build_prompt(QA, "agent", excluded=["S6"], with_s14=False)
    assert "in 'Agent' messages" in prompt and "ONLY THE LAST Agent message" in prompt
    assert "User: How do I reset my password?\n\nAgent: Open Settings, then Security." in prompt
    assert "S6:" not in prompt and "S14:" not in prompt and "S13: Elections." in prompt
    with pytest.raises(GuardError, match="no assistant message"):
        conversation(QA[:2], "agent")


@pytest.mark.parametrize("text, safe, codes", [
    ("safe", True, []),
    ("  Safe\n", True, []),
    ("safe\n\nThe message asks about passwords.", True, []),
    ("unsafe\nS1,S10", False, ["S1", "S10"]),
    ("UNSAFE\n s2 , S9 \n", False, ["S2", "S9"]),
    ("**unsafe**\nS6", False, ["S6"]),
    ("unsafe", False, []),
    ("unsafe\nS1, S1", False, ["S1"]),
    ("unsafe\nS99", False, ["S99"]),
])
def test_parse_is_lenient(text, safe, codes):
    verdict = parse_output(text)
    assert verdict.safe is safe
    assert [c.code for c in verdict.categories] == codes
    assert verdict.raw == text


def test_parse_names_categories_and_unknown_codes():
    verdict = parse_output("unsafe\nS11,S99")
    assert [(c.code, c.name) for c in verdict.categories] == [("S11", "Suicide & Self-Harm"),
                                                              ("S99", "Unknown category")]


@pytest.mark.parametrize("text", ["", "   \n", "I think this is fine.", "Sure! Here is how to reset it.",
                                  "The answer is safe", "unsafely", "saferag"])
def test_anything_else_is_a_guard_failure_never_safe(text):
    with pytest.raises(GuardError, match="not a Llama Guard verdict"):
        parse_output(text)


@pytest.mark.parametrize("prompt_format", ["raw", "template"])
def test_over_a_real_llamacpp_server_a_non_verdict_refuses(llm_server, prompt_format):
    gen = OpenAIGenerator(llm_server, model="smollm2", max_retries=0)
    guard = LlamaGuard(gen, prompt_format=prompt_format)
    # The guard decodes greedily, so the outcome is fixed: SmolLM2 does not speak Llama Guard (it asks a question
    # back, raw, or answers the question, templated), and a reply that is not a verdict is an error, never "safe".
    with pytest.raises(GuardError, match="not a Llama Guard verdict"):
        guard.check(QA[:2], "user")
    screener = Screener(lambda: guard, name="llama_guard", timeout=300)  # a busy machine is slow, not unsafe
    verdict = screener.check("How do I reset my password?")
    screener.close()
    assert not verdict.safe and "not a Llama Guard verdict" in verdict.error  # refused: fail closed


def test_llama_guard_from_settings_picks_backend_and_prompt_format(llm_server):
    guard = load_guard(load_settings(guard="llama_guard", guard_backend="openai", guard_base_url=llm_server,
                                     guard_model="llama-guard3:1b", guard_excluded_categories="S6"))
    assert isinstance(guard, LlamaGuard)
    assert guard.prompt_format == "template" and guard.excluded == ["S6"] and guard.with_s14 is False


def test_dead_guard_backend_is_a_guard_error():
    from conftest import free_port

    gen = OpenAIGenerator(f"http://127.0.0.1:{free_port()}/v1", model="x", max_retries=0, timeout=2)
    with pytest.raises(GuardError, match="could not be asked.*cannot reach"):
        LlamaGuard(gen, prompt_format="raw").check(QA[:2])


def test_a_long_conversation_keeps_its_last_turns_within_the_guard_window(generator):
    """The whole conversation goes to Llama Guard, oldest turns dropped first to fit its window (real tokenizer)."""
    guard = LlamaGuard(generator, prompt_format="raw")
    turn = "We talked about the weather on the moons of Jupiter and of Saturn, at some length. " * 20
    convo = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"({i}) {turn}"} for i in range(20)]
    convo.append({"role": "user", "content": "And what about Titan?"})
    fitted = guard.fit(convo)
    assert fitted[-1]["content"] == "And what about Titan?" and 1 < len(fitted) < len(convo)
    assert fitted == convo[len(convo) - len(fitted):]  # a suffix: the oldest turns went first
    prompt = build_prompt(fitted, "user")
    assert generator.count_tokens([{"role": "user", "content": prompt}]) <= generator.context_window
    short = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
             {"role": "user", "content": "How are you?"}]
    assert guard.fit(short) == short
