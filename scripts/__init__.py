"""saferag's maintenance scripts (guard training data and training). Run them from the repository root as
modules, e.g. ``python -m scripts.train_question_guard``; they import each other as ``scripts.<name>``."""
