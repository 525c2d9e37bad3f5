"""Lowering: how each node of a DAG is best computed with NumPy.

Shared by :mod:`matcalc.numeric.codegen` (which writes the plan out as Python
source) and :mod:`matcalc.numeric.executor` (which runs it).  Lowering changes what a node needs,
not what it means, the way a person writes closed forms by hand:

* a matrix product is a chain of :class:`Factor` s, multiplied in the order of
  :func:`~matcalc.numeric.schedule.schedule_chain`: ``diag(v)`` becomes the
  vector ``v`` (a scaling, never a dense diagonal matrix), identities vanish,
  a transposed vector is a row, ``M @ ones(n)`` is a row sum, and a contiguous
  part of the chain that the DAG computes anyway is reused;
* an ``einsum`` node absorbs the nested einsums that only it uses (so no
  order-3 or order-4 intermediate is built for a smaller result), and its
  Kronecker deltas become renamed indices, sizes, or aliases of output indices
  (written into a diagonal view of a zero tensor) — see :class:`EinsumPlan`;
* ``(A + B) @ v`` is ``A @ v + B @ v`` when nothing else needs ``A + B``;
* ``tr(P @ Q)`` needs only ``P`` and ``Q`` (``einsum("ij,ji->", P, Q)``), and
  ``norm(r)^2`` only ``r`` (``r @ r``).

A node's operands after lowering are :meth:`Lowering.lower`; a node that no
lowered operand list reaches (a ``diag`` only used in products, an ``eye``) is
never computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from matcalc.core.dims import Dim
from matcalc.core.expr import Expr
from matcalc.numeric.schedule import ChainPlan, Factor, kind_of, schedule_chain
from matcalc.ops.linalg import DIAG

__all__ = ["ChainPlan", "EinsumPlan", "Factor", "Lowering", "graph_nodes", "kind_of"]


@dataclass
class EinsumPlan:
    operands: list[tuple[Expr, list[str]]]
    out: list[str]
    alias: dict[str, str]  # output label -> the label it equals (Kronecker deltas)
    scalars: list[Dim] = field(default_factory=list)  # sizes from deltas δ_ii

    def specs(self) -> tuple[str, str, str]:
        """The einsum specs, in letters: ``(terms, full, reduced)``.

        ``terms`` are the operands' indices (``"a,bc"``); ``full`` the output's
        indices with aliases applied (``"aba"`` for δ between its first and last
        axes); ``reduced`` the distinct letters of ``full`` (``"ab"``), those of
        the diagonal view ``np.einsum(full + "->" + reduced, out)`` that is
        written when there are aliases.  Without aliases ``full == reduced``.
        """
        letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        names: dict[str, str] = {}

        def name(lab: str) -> str:
            lab = self.alias.get(lab, lab)
            if lab not in names:
                names[lab] = next(letters)
            return names[lab]

        terms = ",".join("".join(name(lab) for lab in labs) for _, labs in self.operands)
        full = "".join(name(lab) for lab in self.out)
        return terms, full, "".join(dict.fromkeys(full))


def graph_nodes(roots: Sequence[Expr]) -> list[Expr]:
    """Every distinct node under ``roots``, operands first (explicit stack)."""
    seen: set[int] = set()
    order: list[Expr] = []
    for root in roots:
        stack: list[tuple[Expr, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((a, False) for a in reversed(node.args) if id(a) not in seen)
    return order


class Lowering:
    def __init__(self, outputs: Sequence[Expr]):
        self.outputs = {id(e) for e in outputs}
        nodes = graph_nodes(outputs)
        self.present = {id(n) for n in nodes}
        self.parents: dict[int, int] = {}
        self.chains: dict[tuple[int, ...], Expr] = {}
        for node in nodes:
            for a in node.args:
                self.parents[id(a)] = self.parents.get(id(a), 0) + 1
            if node.op == "matmul":
                self.chains[tuple(map(id, node.args))] = node
        self.recipe: dict[int, Any] = {}
        self.deps: dict[int, list[Expr]] = {}
        self.distributed: dict[int, Expr] = {}
        for node in nodes:  # before any chain is planned, so chains can reuse the new products
            if node.op == "matmul":
                new = self._distributed(node) or permuted_rows(node)
                if new is not None:
                    self.distributed[id(node)] = new
                    for e in graph_nodes([new]):
                        if e.op == "matmul":
                            self.chains.setdefault(tuple(map(id, e.args)), e)

    def single_use(self, e: Expr) -> bool:
        return self.parents.get(id(e), 0) == 1 and id(e) not in self.outputs

    def lower(self, node: Expr) -> list[Expr]:
        key = id(node)
        if key in self.deps:
            return self.deps[key]
        op = node.op
        deps: list[Expr]
        distributed = self.distributed.get(key)
        if distributed is not None:
            self.recipe[key] = "alias"
            deps = [distributed]
        elif op == "matmul":
            factors = self._factors(node)
            self.recipe[key] = ChainPlan(factors, schedule_chain(node, factors))
            deps = [f.node for f in factors]
        elif op == "einsum":
            plan = self._einsum(node)
            self.recipe[key] = plan
            deps = [e for e, _ in plan.operands]
        elif op == "tr" and self._fusable_product(node.args[0]):
            self.recipe[key] = "trace_of_product"
            deps = list(node.args[0].args)
        elif (op == "pow" and node.args[1].op == "const" and node.args[1].attrs[0] == 2
              and node.args[0].op == "norm" and self.single_use(node.args[0])):
            from matcalc.ops import construct as c

            self.recipe[key] = "squared_norm"
            r = node.args[0].args[0]
            negated = c.neg(r) if r.op == "add" else r  # norm(y - A@x) = norm(A@x - y)
            if id(negated) in self.present:
                r = negated
            deps = [r] * 2  # written twice, so computed into a name
        else:
            deps = list(node.args)
        self.deps[key] = deps
        return deps

    def _distributed(self, node: Expr) -> Expr | None:
        """``(A + B) @ v`` as ``A @ v + B @ v`` when the sum is used nowhere else.

        Two matrix-vector products read each matrix once; forming ``A + B``
        first writes and reads a whole matrix more (and ``A @ v`` is often
        computed anyway: d/dx x'Ax is ``A @ x + A.T @ x``).  The same for a row
        on the left.
        """
        from matcalc.ops import construct as c

        args = node.args

        def distributable(e: Expr) -> bool:
            return (e.op == "add" and self.single_use(e)
                    and all(t.ndim == 2 and kind_of(t) == "mat" for t in e.args))

        if args[-1].ndim == 1:
            for k in range(len(args) - 2, -1, -1):
                if distributable(args[k]):
                    rest = args[k + 1:]
                    tail = c.add(*(c.matmul(t, *rest) for t in args[k].args))
                    return c.matmul(*args[:k], tail) if k else tail
        elif kind_of(args[0]) == "row":
            for k in range(1, len(args)):
                if distributable(args[k]):
                    head = c.add(*(c.matmul(*args[:k], t) for t in args[k].args))
                    return c.matmul(head, *args[k + 1:]) if k + 1 < len(args) else head
        return None

    def _fusable_product(self, e: Expr) -> bool:
        return (e.op == "matmul" and len(e.args) == 2 and self.single_use(e)
                and all(kind_of(a) == "mat" and a.op not in (DIAG, "eye") for a in e.args))

    def _factors(self, node: Expr) -> list[Factor]:
        args = node.args
        n = len(args)
        picked: list[Expr] = []
        i = 0
        while i < n:  # reuse the longest part of the chain that the DAG computes anyway
            for j in range(n, i + 1, -1):
                if (i, j) == (0, n):
                    continue
                sub = self.chains.get(tuple(map(id, args[i:j])))
                if sub is not None:
                    picked.append(sub)
                    i = j
                    break
            else:
                picked.append(args[i])
                i += 1
        factors: list[Factor] = []
        if (len(picked) >= 2 and picked[-1].op == "ones" and picked[-1].ndim == 1
                and kind_of(picked[-2]) == "mat" and picked[-2].op not in (DIAG, "eye")):
            factors_end = [Factor("col", picked[-2], row_sums=True)]
            picked = picked[:-2]
        else:
            factors_end = []
        for e in picked:
            if e.op == "eye":
                continue
            if e.op == DIAG:
                factors.append(Factor("scaling", e.args[0]))
            elif e.op == "transpose" and e.args[0].ndim == 1:
                factors.append(Factor("row", e.args[0]))
            elif kind_of(e) == "row":
                factors.append(Factor("row2", e))
            else:
                factors.append(Factor(kind_of(e), e))
        return factors + factors_end

    def _einsum(self, node: Expr) -> EinsumPlan:
        counter = iter(range(10**9))
        terms, out = node.attrs[0].split("->")
        operands: list[tuple[Expr, list[str]]] = []
        stack = [(e, list(t)) for e, t in zip(node.args, terms.split(","), strict=True)]
        stack.reverse()
        while stack:  # fuse nested einsums that nothing else uses
            e, labels = stack.pop()
            if e.op == "einsum" and self.single_use(e):
                inner_terms, inner_out = e.attrs[0].split("->")
                mapping = dict(zip(inner_out, labels, strict=True))
                inner = []
                for t, operand in zip(inner_terms.split(","), e.args, strict=True):
                    new = []
                    for ch in t:
                        if ch not in mapping:
                            mapping[ch] = f"_{next(counter)}"
                        new.append(mapping[ch])
                    inner.append((operand, new))
                stack.extend(reversed(inner))
            else:
                operands.append((e, labels))
        out_labels = list(out)
        alias: dict[str, str] = {}
        scalars: list[Dim] = []
        changed = True
        while changed:  # Kronecker deltas: rename summed indices, alias free ones
            changed = False
            for k, (e, labels) in enumerate(operands):
                if e.op != "eye":
                    continue
                a, b = labels
                del operands[k]
                if a == b:  # δ_ii: 1 on a free index, the size when summed
                    if a not in out_labels and a not in alias.values():
                        scalars.append(e.shape[0])
                    changed = True
                    break
                keep, drop = (b, a) if a not in out_labels else (a, b)
                if drop in out_labels:
                    alias[drop] = keep
                for _, labs in operands:
                    labs[:] = [keep if lab == drop else lab for lab in labs]
                for key in alias:
                    if alias[key] == drop:
                        alias[key] = keep
                changed = True
                break
        return EinsumPlan(operands, out_labels, alias, scalars)

    def order(self, roots: Sequence[Expr]) -> list[Expr]:
        """The nodes that the lowered roots need, operands first (explicit stack)."""
        seen: set[int] = set()
        out: list[Expr] = []
        for root in roots:
            stack: list[tuple[Expr, bool]] = [(root, False)]
            while stack:
                node, expanded = stack.pop()
                if expanded:
                    out.append(node)
                    continue
                if id(node) in seen:
                    continue
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((d, False) for d in reversed(self.lower(node)) if id(d) not in seen)
        return out


def permuted_rows(node: Expr) -> Expr | None:
    """``commutation(m, n) @ M`` as M's rows permuted (reshape, swap two axes, reshape back).

    K_mn @ vec(X) = vec(X') (Magnus & Neudecker): the rows of M, read as an
    n×m grid, are transposed to m×n; no (m*n)×(m*n) matrix is formed or multiplied.
    ``M @ K_mn`` is ``(K_nm @ M')'``.
    """
    from matcalc.algebra.contraction import build_einsum
    from matcalc.ops import construct as c

    args = node.args
    if args[0].op == "commutation":
        m, n = args[0].attrs
        rest = c.matmul(*args[1:]) if len(args) > 2 else args[1]
        if rest.ndim == 1:
            return c.reshape(c.transpose(c.reshape(rest, (n, m))), rest.shape)
        if rest.ndim == 2 and not c.is_row(rest.shape):
            grid = c.reshape(rest, (n, m, rest.shape[1]))
            return c.reshape(build_einsum("jik->ijk", (grid,)), rest.shape)
    if args[-1].op == "commutation" and kind_of(args[0]) in ("mat", "row") and len(args) > 1:
        m, n = args[-1].attrs
        head = c.matmul(*args[:-1]) if len(args) > 2 else args[0]
        inner = permuted_rows(c.matmul(c.commutation(n, m), c.transpose(head)))
        return None if inner is None else c.transpose(inner)
    return None
