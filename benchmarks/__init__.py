"""Side-by-side performance measurements: handmade NumPy vs torch, project FD vs gradcheck.

Run ``python -m benchmarks`` (or ``make bench``); see benchmarks/README.md. Not part of
``make test`` (tests/test_benchmarks.py runs it once with ``--tiny`` so it cannot rot).
"""
