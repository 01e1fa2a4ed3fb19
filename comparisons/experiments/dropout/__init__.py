"""Dropout (D2L 5.6): an MLP trained with and without dropout (``model`` the network, ``plots``).
"""
