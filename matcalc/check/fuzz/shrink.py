"""Shrinking a failure: a smaller example of the fuzzer that fails the same way.

Greedy: a subtree on its own, or the tree with a node replaced by one of its
operands, a variable or a constant of the same shape, is kept when the check
still fails with the same kind and signature; until nothing smaller does, or
the time budget is spent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from matcalc.check.fuzz.oracle import Outcome, check
from matcalc.check.fuzz.tree import (
    VARIABLES,
    Node,
    Sample,
    const_node,
    fix_dimension_scalars,
    var_node,
)


def _replacements(node: Node) -> Iterator[Node]:
    """Smaller nodes of the same shape that could stand in for ``node``."""
    for k in node.kids:
        if k.shape == node.shape:
            yield k
    if not node.leaf:
        names = [n for n, (sh, _) in VARIABLES.items() if sh == node.shape]
        for name in names[:3]:
            yield var_node(name)
        if node.shape == ():
            yield const_node("2")
        for k in node.kids:  # keep the operator, simplify an operand
            for i, kid in enumerate(node.kids):
                if kid is k and not kid.leaf:
                    for rep in _replacements(kid):
                        kids = list(node.kids)
                        kids[i] = rep
                        yield Node(node.template, kids, node.shape)


def shrink(s: Sample, outcome: Outcome, seed: int = 0, budget: float = 60.0,
           same: Callable[[Outcome, Outcome], bool] | None = None,
           check_fn: Callable[..., Outcome] | None = None) -> tuple[Sample, Outcome]:
    """A smaller example failing the same way (greedy, within ``budget`` seconds)."""
    same = same or (lambda a, b: a.kind == b.kind and a.signature == b.signature)
    check_fn = check_fn or check
    deadline = time.monotonic() + budget
    best, best_outcome = s, outcome
    changed = True
    while changed and time.monotonic() < deadline:
        changed = False
        nodes = list(best.tree.walk())
        for target in nodes:
            # a subtree on its own, or the tree with a smaller node in place of target
            candidates = [target] if target is not best.tree else []
            candidates += [_replace(best.tree, target, rep)
                           for rep in _replacements(target)]
            for tree in candidates:
                if time.monotonic() > deadline:
                    break
                if tree.size() >= best.tree.size() or not (tree.names() & set(VARIABLES)):
                    continue
                candidate = Sample(fix_dimension_scalars(tree), best.style)
                try:
                    got = check_fn(candidate, seed, hessian=_wants_hessian(best_outcome))
                except Exception:  # pragma: no cover - check catches what it can
                    continue
                if same(got, best_outcome):
                    best, best_outcome = candidate, got
                    changed = True
                    break
            if changed:
                break
    if best.style == "where":  # a shapes= dict reads more simply, if it fails the same way
        plain = Sample(best.tree, "shapes")
        got = check_fn(plain, seed, hessian=_wants_hessian(best_outcome))
        if same(got, best_outcome):
            best, best_outcome = plain, got
    return best, best_outcome


def _wants_hessian(o: Outcome) -> bool:
    return "(order 2)" in o.detail


def _replace(tree: Node, target: Node, rep: Node) -> Node:
    if tree is target:
        return rep
    if not tree.kids:
        return tree
    kids = [_replace(k, target, rep) for k in tree.kids]
    if all(a is b for a, b in zip(kids, tree.kids, strict=True)):
        return tree
    return Node(tree.template, kids, tree.shape, tree.leaf)
