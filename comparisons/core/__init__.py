"""The harness everything else stands on: ``compare`` and ``tolerances`` (when two arrays agree),
``finite_diff`` (numerical gradients), ``ops`` and the op declarations (each built-in op's
forward, backward, reference and inputs), ``errors`` and ``io`` (usage errors, files, argument
types). Imports nothing else from ``comparisons``.
"""
