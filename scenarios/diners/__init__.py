"""The diner kinds, one module each, registered in one table: scenarios/diners/kinds.py.

Kept free of imports: the harness reads the table without importing Locust.
"""
