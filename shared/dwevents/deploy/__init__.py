"""Deployment helpers: read ``s.yaml`` (``syaml``), build the FC code artifacts (``build``), mirror rules (``bus``).

Kept out of the function artifacts: nothing here runs inside Function Compute.
"""
