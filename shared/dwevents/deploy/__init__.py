"""Deployment tools: ``syaml`` reads s.yaml, ``build`` makes the FC code trees, ``bus`` mirrors the rules.

Left out of the function artifacts by the build: nothing here runs inside Function Compute, and the
deploy SDKs it uses (EventBridge, FC) are not runtime dependencies.
"""
