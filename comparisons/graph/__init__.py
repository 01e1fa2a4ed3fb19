"""Computational graphs: the hand-written two-layer network's graph beside torch.autograd's.

Import what you need from its module (the package itself imports nothing, so
``backprop-lab --help``, which loads :mod:`comparisons.cli.graph`, stays light; torch and
matplotlib load with the modules that use them):

* :mod:`~comparisons.graph.model`: ``Graph``, ``GraphNode``, ``mark_agreement``, ``frobenius``;
* :mod:`~comparisons.graph.record`: ``make_network(rng, *, activation, lam, bias)`` ->
  ``(model, X, Y)``, ``record_two_layer(model, X, Y)`` -> ``Graph`` (the book's nodes, edges);
* :mod:`~comparisons.graph.torch_graph`: ``extract_torch_graph``, ``torch_correspondence``,
  ``grads_after_repeated_backward``; :mod:`~comparisons.graph.twin`: ``torch_twin(model, X,
  Y)`` -> ``TorchTwin``, ``gradient_checks(hand, twin)``;
* :mod:`~comparisons.graph.colour`: ``colour_by_gradients(graph, user_grads)``,
  ``colour_by_report(graph, report)`` -> ``Colouring`` (statuses set, first divergence named);
* :mod:`~comparisons.graph.outputs`: ``run_graphs(...)`` -> ``GraphRun``,
  ``write_graphs(run, out, dot=...)``;
* :mod:`~comparisons.graph.draw`: ``draw_graph``, ``new_graph_figure``, ``draw_side_by_side``
  (saved with :func:`comparisons.core.plotstyle.save`); :mod:`~comparisons.graph.dot`: ``to_dot``.
"""
