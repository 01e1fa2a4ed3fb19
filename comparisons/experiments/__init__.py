"""The book's experiments, one package each (``overfitting``, ``weight_decay``, ``dropout``,
``stability``, ``house_prices``), all trained with both engines in lockstep. ``runner`` holds the
registry and runs one from its arguments; ``common`` the contract and helpers they share;
``plots`` and ``threads`` shared figure and threading helpers.
"""
