"""``python -m saferag.cli``: the ``saferag`` command."""

from saferag.cli import main

main()
