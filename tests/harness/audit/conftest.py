"""Audit tests: puts this folder on sys.path (pytest's prepend import mode) so `auditbuild` is importable."""
