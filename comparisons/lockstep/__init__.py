"""Lockstep training: the handmade and the torch engine trained side by side on the same batches,
compared after every step. ``spec`` (problems, objectives, optimisers), ``engines`` (building
both), ``train`` (``run_lockstep``), ``log`` (the step log and its differences), ``plots``.
"""
