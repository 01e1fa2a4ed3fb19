"""A small CNN on the 8x8 digits, with and without batch norm, both engines in lockstep
(``model`` the settings and data, ``plots`` the figures, ``experiment`` the run)."""
