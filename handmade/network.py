"""The D2L two-layer network described once, as data: every consumer reads :data:`TWO_LAYER`.

One :class:`Node` per value of the book's computational graph (section "backprop")::

    x, W1, (b1) -> z -> h -> (h_drop) -> o;   W2 -> o;   o, y -> L;   W1, W2 -> s;   L, s -> J

with its kind (input, parameter, intermediate, objective), its op, its inputs, its forward
formula, the name of its gradient dJ/dnode (the key of ``handmade.two_layer_backward``), the
book's equation of that gradient and its shape in symbols (N examples, d inputs, h hidden
units, q outputs). Two parts are optional: the hidden bias ``b1`` (book exercise 2, not
regularised) and inverted dropout ``h_drop`` on h. A network without an optional node is
:meth:`Network.without` it: its consumers take its inputs instead (o reads h when there is
no h_drop; z reads x, W1).

Derived, never typed: the backward order (:meth:`Network.backward_order`, a reverse-mode
sweep from J: a node comes once all its consumers' gradients are known; of the nodes that
become ready together, parameters first, so the book's do, dW2, dh, dz, dW1) and the
dependencies (:meth:`Network.dependencies`: a gradient is computed from its consumers'
gradients, dJ/dn = Σ_c dJ/dc ∂c/∂n, so dz depends on dh). L and s have no gradient name:
dJ/dL = dJ/ds = 1 is not returned by the backward. The equations are those of the book's
network (ReLU, MSE, no bias, no dropout; with dropout, dW2 and dh read through h_drop).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

NodeKind = Literal["input", "parameter", "intermediate", "objective"]
Part = Literal["bias", "dropout"]


@dataclass(frozen=True)
class Node:
    """One value of the network. ``op``: ``input``/``param`` for leaves, else the operation
    (``phi`` and ``loss`` stand for the configured activation and loss); ``formula``: the
    book's forward of it; ``grad``: the name of dJ/dnode (None for data and for L, s, J);
    ``equation``: the book's equation of that gradient; ``shape``: in symbols; ``part``: the
    optional part it belongs to (None: always there)."""

    name: str
    kind: NodeKind
    op: str
    inputs: tuple[str, ...] = ()
    formula: str | None = None
    grad: str | None = None
    equation: str | None = None
    shape: str = "()"
    part: Part | None = None


@dataclass(frozen=True)
class Network:
    """Nodes in forward (topological) order; everything else is derived from their inputs."""

    nodes: tuple[Node, ...]
    by_name: dict[str, Node] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        seen: dict[str, Node] = {}
        for node in self.nodes:
            if node.name in seen:
                raise ValueError(f"nodes: expected unique names, got {node.name!r} twice")
            missing = [i for i in node.inputs if i not in seen]
            if missing:
                raise ValueError(f"nodes: expected the inputs of {node.name!r} declared before "
                                 f"it, got {missing}")
            seen[node.name] = node
        grads = [n.grad for n in self.nodes if n.grad is not None]
        if len(set(grads)) != len(grads):
            raise ValueError(f"nodes: expected unique gradient names, got {grads}")
        object.__setattr__(self, "by_name", seen)

    def __getitem__(self, name: str) -> Node:
        return self.by_name[name]

    @property
    def names(self) -> tuple[str, ...]:
        """Node names in forward order."""
        return tuple(n.name for n in self.nodes)

    def without(self, name: str) -> Network:
        """This network without node ``name``: each consumer takes its inputs in its place."""
        gone = self[name]

        def rewire(inputs: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(j for i in inputs for j in (gone.inputs if i == name else (i,)))

        kept = (replace(n, inputs=rewire(n.inputs)) for n in self.nodes if n.name != name)
        return Network(tuple(kept))

    def configured(self, *, bias: bool = False, dropout: bool = False) -> Network:
        """The network with the optional parts asked for (defaults: the book's, with neither)."""
        net = self
        wanted = {"bias": bias, "dropout": dropout}
        for node in self.nodes:
            if node.part is not None and not wanted[node.part]:
                net = net.without(node.name)
        return net

    def of_kind(self, *kinds: NodeKind) -> tuple[str, ...]:
        """Names of the nodes of these kinds, in forward order."""
        return tuple(n.name for n in self.nodes if n.kind in kinds)

    @property
    def values(self) -> tuple[str, ...]:
        """The computed values (intermediates and the objective): z, h, (h_drop), o, L, s, J."""
        return self.of_kind("intermediate", "objective")

    def consumers(self, name: str) -> tuple[str, ...]:
        """The nodes that take ``name`` as an input, in forward order."""
        return tuple(n.name for n in self.nodes if name in n.inputs)

    def backward_order(self) -> tuple[str, ...]:
        """Nodes with a gradient dJ/dnode, in the order a backward pass computes them."""
        done: list[str] = []
        ready = list(self.of_kind("objective"))
        while ready:
            name = ready.pop(0)
            done.append(name)
            new = [i for i in self[name].inputs if self[i].kind != "input"
                   and i not in done + ready and all(c in done for c in self.consumers(i))]
            ready += sorted(new, key=lambda i: self[i].kind != "parameter")
        return tuple(done)

    def grad(self, name: str) -> str:
        """The gradient name of node ``name``; ValueError for a node without one."""
        g = self[name].grad
        if g is None:
            raise ValueError(f"name: expected a node with a gradient, got {name!r}")
        return g

    @property
    def gradients(self) -> tuple[str, ...]:
        """The backward's gradient names in backward order: do, dW2, (dh_drop), dh, dz, ..."""
        return tuple(g for n in self.backward_order() if (g := self[n].grad) is not None)

    @property
    def gradient_nodes(self) -> dict[str, str]:
        """Gradient name -> node name (``dW2`` -> ``W2``), in backward order."""
        return {g: n.name for n in (self[m] for m in self.backward_order())
                if (g := n.grad) is not None}

    def dependencies(self) -> dict[str, list[str]]:
        """Gradient -> the gradients it is computed from (its consumers' gradients)."""
        deps: dict[str, list[str]] = {}
        for g, name in self.gradient_nodes.items():
            deps[g] = [c for c in (self[m].grad for m in self.consumers(name)) if c is not None]
        return deps

    @property
    def formulas(self) -> tuple[str, ...]:
        """The book's forward, node by node in forward order (``z = X W1ᵀ``, ...)."""
        return tuple(n.formula for n in self.nodes if n.formula is not None)

    @property
    def equations(self) -> dict[str, str]:
        """Gradient name -> the book's equation, in backward order."""
        return {g: eq for g, name in self.gradient_nodes.items()
                if (eq := self[name].equation) is not None}

    def grads_of(self, *kinds: NodeKind) -> tuple[str, ...]:
        """Gradient names of the nodes of these kinds, in backward order."""
        return tuple(g for g, name in self.gradient_nodes.items() if self[name].kind in kinds)


TWO_LAYER = Network((
    Node("x", "input", "input", shape="(N, d)"),
    Node("W1", "parameter", "param", grad="dW1", equation="dJ/dW1 = dzᵀ X + lam W1",
         shape="(h, d)"),
    Node("b1", "parameter", "param", grad="db1", equation="dJ/db1 = Σₙ dz[n]", shape="(h,)",
         part="bias"),
    Node("z", "intermediate", "linear", ("x", "W1", "b1"), formula="z = X W1ᵀ", grad="dz",
         equation="dJ/dz = dh ⊙ relu′(z)", shape="(N, h)"),
    Node("h", "intermediate", "phi", ("z",), formula="h = relu(z)", grad="dh",
         equation="dJ/dh = do W2", shape="(N, h)"),
    Node("h_drop", "intermediate", "dropout", ("h",), formula="h_drop = h ⊙ mask / (1 − p)",
         grad="dh_drop", equation="dJ/dh_drop = do W2", shape="(N, h)", part="dropout"),
    Node("W2", "parameter", "param", grad="dW2", equation="dJ/dW2 = doᵀ h + lam W2",
         shape="(q, h)"),
    Node("o", "intermediate", "linear", ("h_drop", "W2"), formula="o = h W2ᵀ", grad="do",
         equation="dJ/do = 2 (o − Y) / (N·q)", shape="(N, q)"),
    Node("y", "input", "input", shape="(N, q) float, or (N,) int labels for cross-entropy"),
    Node("L", "intermediate", "loss", ("o", "y"),
         formula="L = mean((o − Y)²) over all N·q elements"),
    Node("s", "intermediate", "l2_penalty", ("W1", "W2"), formula="s = lam/2 (‖W1‖² + ‖W2‖²)"),
    Node("J", "objective", "add", ("L", "s"), formula="J = L + s"),
))
"""The network with every optional part; ``TWO_LAYER.configured()`` is the book's."""

BOOK = TWO_LAYER.configured()
"""The book's network: no bias, no dropout (what ``verify --against two_layer`` derives)."""
