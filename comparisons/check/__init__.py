"""``backprop-lab check``: every built-in op and the two-layer network against torch.autograd and
finite differences, one row per op x tensor x witness (``suite``, ``network_checks``).
"""
