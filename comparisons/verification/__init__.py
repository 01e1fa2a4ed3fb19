"""``backprop-lab verify``: check a hand-derived backward pass and say *what* is wrong with it.

The entry points are :func:`comparisons.verification.runner.verify` (also
``comparisons.verify``, a plain function) and :func:`comparisons.verification.loader.verify_file`;
both return a :class:`~comparisons.verification.report.VerifyReport`. This package's
``__init__`` imports nothing: the runner and the loader import torch.

Modules, bottom up: ``diagnose_numeric``, ``diagnose_context``, ``factors``,
``diagnose_messages``, ``patterns``, ``diagnose`` (the diagnosis engine); ``candidates``,
``kinks``, ``upstream``, ``returned``, ``forward_diff`` (each op's usual mistakes and the
harness's special cases); ``guard`` (user code contained); ``results`` < ``render`` <
``report`` (the report and its text / HTML / JSON); ``cases`` (one case judged) <
``aggregate`` (one row per gradient) < ``runner`` (:func:`verify`); ``custom`` (layers
described by ``reference`` + ``SHAPES``), ``loader`` (a user's .py file), ``listing``
(``verify --list``); ``named_graph`` < ``intermediates_calls`` < ``intermediates`` (``verify
--intermediates``: a file's named tensors against autograd's); ``variants`` (a student's own
case sizes and hyper-parameters, for ``grade --variant-seed``); its command line
(``backprop-lab verify``) is ``comparisons.cli.verify``.
"""
