"""Adapters that put saferag's guard and retrieval into other RAG frameworks (optional extras)."""
