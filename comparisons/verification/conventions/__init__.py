"""Courses' own conventions: verify a student's file as their course wrote it, no adapter.

``backprop-lab verify layers.py --convention cs231n`` finds every known forward/backward pair
of CS231n's ``cs231n/layers.py`` in the file (``affine_forward``/``affine_backward``,
``relu_*``, ``softmax_loss``, ``svm_loss``, ``dropout_*``, ``batchnorm_*`` and
``batchnorm_backward_alt``, ``layernorm_*``, ``conv_*_naive``, ``max_pool_*_naive``) and
verifies each one through a built-in op's machinery and diagnoses, adapted to the course's
signatures (w (D, M), x of any rank flattened, loss and gradient in one call, ``*_param``
dicts, dropout's p = the probability of KEEPING a unit). Each pair is one section of a
:class:`~comparisons.verification.conventions.report.ConventionReport` (one entry of its JSON's
``"functions"`` list, each with the per-op ``VerifyReport`` shape); checks no gradient can make
(dropout's kept fraction and mean, batch norm's running statistics) are added to the section.

Modules: ``report`` (the report of one file), ``cs231n_specs`` (each pair as an ``OpSpec``),
``cs231n_checks`` (the statistics checks), ``cs231n`` (:func:`~.cs231n.verify_functions`:
the student's callables in, one report out; :func:`~.cs231n.verify_cs231n_file`), ``run``
(:func:`~.run.verify_convention_file`, what ``verify --in-process`` calls, re-exported here
with :data:`~.run.CONVENTIONS`), ``isolated`` (:func:`~.isolated.verify_convention_isolated`:
the file's code in a sandboxed child, what the CLI calls by default). Importing this package
imports torch (the CLI defers it).
"""

from comparisons.verification.conventions.isolated import verify_convention_isolated
from comparisons.verification.conventions.run import CONVENTIONS, verify_convention_file

__all__ = ["CONVENTIONS", "verify_convention_file", "verify_convention_isolated"]
