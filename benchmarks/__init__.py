"""saferag's benchmarks (results in docs/benchmarks.md). Run them from the repository root as modules, e.g.
``python -m benchmarks.retrieval_quality``; they import each other (and ``scripts.guard_data``) as packages."""
