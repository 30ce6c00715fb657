"""Report tests: puts this folder on sys.path (pytest's prepend import mode) so `reportbuild` is importable."""
