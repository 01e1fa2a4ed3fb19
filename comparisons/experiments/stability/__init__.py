"""Numerical stability (D2L 5.4): vanishing sigmoid gradients, exploding products, initialisation
(``compute``, ``grads``, ``plots``).
"""
