"""The fault catalogue: one module per fault, each exposing `FAULT`; the table is faults.registry."""
