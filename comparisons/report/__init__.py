"""The demo (``backprop-lab demo``): ``demo`` runs every section, each ``*_section`` module is one
section, ``page`` and ``html`` build the self-contained HTML page.
"""
