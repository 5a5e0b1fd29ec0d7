"""The top layer: orchestration (load -> analyse -> write results), the CLI and the HTTP service.

The only package that imports both :mod:`engine` and :mod:`graph_store`.
"""
