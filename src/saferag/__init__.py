"""saferag: self-hosted, safe retrieval-augmented generation over your own documents."""

from saferag.config import Settings, load_settings
from saferag.errors import SafeRagError
from saferag.rag import SafeRag

__all__ = ["SafeRag", "SafeRagError", "Settings", "load_settings"]
__version__ = "0.1.0"
