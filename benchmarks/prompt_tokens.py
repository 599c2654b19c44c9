"""How long the answer prompts are, in the packaged model's tokens: what reading them costs on a slow CPU.

  python -m benchmarks.prompt_tokens [--sets sqlite,postgres] [--uri ...] [--option answer_k=3 ...]

Each question of a set is retrieved as ``answer_quality.py`` retrieves it (same collections and settings), its
prompt built by ``saferag.prompts.build_prompt`` and counted with the tokenizer of the packaged model named by
``llm_model`` (the default's unless set), without loading its weights; the chat template's few role tokens are
not counted. The system prompt is reported apart: llama.cpp keeps it cached from one question to the next, so the
rest is what each answer reads anew.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from benchmarks.retrieval_quality import opened_sets, parse_options, questions

from saferag.evaluate import percentile
from saferag.llm.packaged import DEFAULT_MODEL, packaged_path
from saferag.prompts import build_prompt

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="sqlite,postgres")
    ap.add_argument("--uri", default=str(HERE / "eval_docs.db"))
    ap.add_argument("--option", action="append", default=[], help="a setting for this run, key=value")
    args = ap.parse_args()
    options = {"guard": "off", **parse_options(args.option)}
    import llama_cpp

    model = str(options.get("llm_model") or DEFAULT_MODEL)
    vocab = llama_cpp.Llama(model_path=str(packaged_path(model, "")), vocab_only=True, verbose=False)

    def count(text: str) -> int:
        return len(vocab.tokenize(text.encode(), add_bos=False, special=True))

    print(f"model: {model}; options: {options}")
    print(f"{'set':9} {'n':>3} {'system':>6} {'p50':>5} {'p95':>5} {'min':>5} {'max':>5}  (tokens of the whole prompt)")
    for name, _role, qa, rag in opened_sets(args.sets, args.uri, options):
        counts, system = [], 0
        for item in questions(qa):
            prompt = build_prompt(item["question"], rag.search(item["question"], k=rag.settings.answer_k),
                                  system=rag.settings.system_prompt, user=rag.settings.user_prompt)
            system = count(prompt.messages[0]["content"])
            counts.append(sum(count(m["content"]) for m in prompt.messages))
        print(f"{name:9} {len(counts):3d} {system:6d} {statistics.median(counts):5.0f} {percentile(counts, 0.95):5.0f} "
              f"{min(counts):5d} {max(counts):5d}", flush=True)


if __name__ == "__main__":
    main()
