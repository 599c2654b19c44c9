"""One exception hierarchy, so callers catch ``SafeRagError`` and show its message as is.

Every message says what went wrong and what the user can do about it.
"""

from __future__ import annotations


class SafeRagError(Exception):
    """Base of every error saferag raises on purpose."""


class ConfigError(SafeRagError):
    """A setting is missing or invalid."""


class InputNotFoundError(SafeRagError):
    """A path given to ingest does not exist."""


class DocumentError(SafeRagError):
    """One document could not be turned into text; the ingest reports it and goes on."""


class FetchError(DocumentError):
    """A URL could not be fetched."""


class EmbedderError(SafeRagError):
    """The embedding model could not be loaded or run."""


class QuantizationError(EmbedderError):
    """An embedder could not be quantized to int8 (NNCF missing or failing); ``auto`` precision falls back."""


class StoreError(SafeRagError):
    """Milvus could not be reached or refused an operation."""


class FilterError(StoreError):
    """A search with a filter expression that Milvus would not run (most often the expression itself is wrong)."""


class CollectionMismatchError(StoreError):
    """The collection was built with another embedder or dimension than the one configured."""


class GeneratorError(SafeRagError):
    """The LLM backend could not be loaded, reached or run."""


class GuardError(SafeRagError):
    """A guard could not give a verdict (unreachable, timed out, or an answer it cannot parse)."""


class Cancelled(SafeRagError):
    """The caller gave up (a client disconnected, a deadline passed): generation stopped early."""


class RemoteError(SafeRagError):
    """A saferag server asked on the user's behalf (``saferag ask`` / ``chat --server``) could not be reached,
    refused the request, or broke off the answer."""
