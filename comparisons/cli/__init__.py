"""The ``backprop-lab`` command: ``main`` (the console script, exit codes, one-line errors) and one
module per subcommand holding its argument parsing. The only place that knows about the
terminal; nothing below imports it.
"""
