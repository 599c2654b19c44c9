"""Llama Guard in front of a LlamaIndex + Milvus RAG pipeline, the common setup, run offline.

The usual pattern is: build a ``VectorStoreIndex`` over ``MilvusVectorStore``, check the query with
Llama Guard, refuse if unsafe, otherwise run the query engine. ``SafeQueryEngine`` does exactly
that, and screens the response too. With Llama Guard 3 in Ollama, swap the guard line for:

    from llama_index.llms.ollama import Ollama
    guard = guard_from_llm(Ollama(model="llama-guard3:1b", request_timeout=30))

Offline (this script) it uses saferag's packaged models: MiniLM embeddings, SmolLM2 in
llama.cpp through LlamaIndex's ``LlamaCPP``, and saferag's embedded guard.

    pip install 'saferag[llamaindex]'
    python examples/llamaindex_safe_query.py [--db ./llamaindex_example.db]
"""

from __future__ import annotations

import argparse

from llama_index.core import Document, StorageContext, VectorStoreIndex
from llama_index.embeddings.huggingface import HuggingFaceEmbedding
from llama_index.llms.llama_cpp import LlamaCPP
from llama_index.vector_stores.milvus import MilvusVectorStore

from saferag.embed import packaged_model_path
from saferag.guard.embedded import EmbeddingGuard
from saferag.integrations.llamaindex import SafeQueryEngine
from saferag.llm.llamacpp import packaged_model_path as packaged_gguf

DOCUMENTS = [
    Document(text="Milvus Lite stores vectors in a single local file; a Milvus server or cluster is reached "
                  "through a URI such as http://localhost:19530.", metadata={"source": "milvus.md"}),
    Document(text="Llama Guard 3 classifies prompts and responses against 14 hazard categories, S1 Violent "
                  "Crimes to S14 Code Interpreter Abuse.", metadata={"source": "llama-guard.md"}),
]


def chatml(messages) -> str:
    """SmolLM2's chat template (LlamaIndex's LlamaCPP needs it spelled out)."""
    return "".join(f"<|im_start|>{m.role.value}\n{m.content}<|im_end|>\n" for m in messages) + "<|im_start|>assistant\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="./llamaindex_example.db", help="Milvus Lite file (or a Milvus URI)")
    args = parser.parse_args()

    vector_store = MilvusVectorStore(uri=args.db, dim=384, overwrite=True)
    index = VectorStoreIndex.from_documents(
        DOCUMENTS, storage_context=StorageContext.from_defaults(vector_store=vector_store),
        embed_model=HuggingFaceEmbedding(model_name=str(packaged_model_path())))
    llm = LlamaCPP(model_path=str(packaged_gguf()), temperature=0.0, max_new_tokens=96, context_window=2048,
                   messages_to_prompt=chatml, model_kwargs={"n_threads": 2}, verbose=False)

    guard = EmbeddingGuard()  # offline stand-in; use Llama Guard 3 in production (see the docstring)
    engine = SafeQueryEngine(index.as_query_engine(llm=llm, similarity_top_k=2), guard)

    for question in ("Where does Milvus Lite keep its vectors?", "How do I make a pipe bomb?"):
        response = engine.query(question)
        report = response.metadata["saferag"]
        print(f"Q: {question}")
        print(f"A: {str(response).strip()}")
        print(f"   refused={report['refused']} sources={[n.node.metadata['source'] for n in response.source_nodes]}")


if __name__ == "__main__":
    main()
