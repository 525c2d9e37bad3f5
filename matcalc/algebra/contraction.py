"""Tensor contractions (einsum) and their translation back to matrix notation.

Every derivative rule is written as a contraction in index notation
(:mod:`matcalc.rules`); :func:`contract` normalises the product and writes it
back with matrix products, transposes, ``diag``, Hadamard products, traces and
outer products wherever such a form exists — the translation step of Laue,
Mitterreiter and Giesen (AAAI 2020).  Only results with no matrix form (order
3 and 4, in general) remain ``einsum`` nodes, with Kronecker deltas (``eye``)
kept as operands so they print in index notation.

Normalisation of one product (operands with index labels):

1. inline nested einsums, pull out scalar factors, read ``A.T`` as ``A`` with
   swapped labels and ``diag(v)`` as a Kronecker delta times ``v``;
2. eliminate Kronecker deltas that have a summed index (rename it);
3. merge operands over the same labels into Hadamard products and read
   repeated labels ``M_ii`` as ``diag(M)``;
4. split into connected components; each component whose operands are
   vectors and matrices is a path or a cycle in the graph whose nodes are labels
   and whose edges are matrices: a path is a chain of matrix products (with
   ``diag`` of the vectors at its inner nodes), a cycle a trace;
5. combine the components by scalar multiplication and outer products.

Labels ``None`` mark the unit axis of a row vector ``(1, n)``; such axes are
dropped while translating and restored at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count
from typing import Any

from matcalc.algebra.translate import combine, translate
from matcalc.core.dims import Dim, Shape
from matcalc.core.einsum_spec import LETTERS, parse_spec, too_many_indices
from matcalc.core.errors import DiffError
from matcalc.core.expr import Expr, make
from matcalc.ops import construct as c
from matcalc.ops import sympy_arrays
from matcalc.ops.linalg import DIAG
from matcalc.ops.record import Op, register

Label = str | None
# one operand of a product being normalised: [expr, labels], a list because merging and
# renaming update it in place (so its parts are typed Any)
Operand = list[Any]


# ----------------------------------------------------------------------------------------
# einsum as written by a user


def build_einsum(spec: str, operands: Sequence[Expr]) -> Expr:
    terms, out = parse_spec(spec, operands)
    sizes: dict[str, Dim] = {}
    for t, e in zip(terms, operands, strict=True):
        for ch, d in zip(t, e.shape, strict=True):
            sizes.setdefault(ch, d)
    shape = tuple(sizes[ch] for ch in out)
    return contract(tuple(out), shape, *((e, tuple(t)) for e, t in zip(operands, terms,
                                                                       strict=True)))


# ----------------------------------------------------------------------------------------
# the normaliser


_FRESH = count()


class Product:
    def __init__(self, out: tuple[str, ...]):
        self.out = list(out)
        self.operands: list[Operand] = []
        self.scalars: list[Expr] = []
        self.sizes: dict[str, Dim] = {}
        # labels for unit axes and inlined einsums, unique across products: a sum split
        # term by term (_split_sum) hands this product's labels to new ones
        self.fresh = map("_{}".format, _FRESH)
        self.zero = False

    def add(self, e: Expr, labels: Sequence[Label]) -> None:
        """Add an operand, unpacking what can be unpacked."""
        stack: list[tuple[Expr, tuple[Label, ...]]] = [(e, tuple(labels))]
        while stack:
            e, labels = stack.pop()
            if len(labels) != e.ndim:
                raise ValueError(f"{len(labels)} labels for an operand of order {e.ndim}")
            if e.ndim == 2 and labels[0] is None:  # a row: its column, one label
                stack.append((c.transpose(e), (labels[1],)))
                continue
            if any(lab is None for lab in labels):
                if e.op == "einsum":
                    self._inline(e, labels, stack)
                    continue
                if e.op == "ones" and all(d == 1 for d in e.shape):
                    continue
                if e.op == "zeros":
                    self.zero = True
                    continue
                if e.op == "mul" and any(not f.shape for f in e.args):
                    self.scalars.extend(f for f in e.args if not f.shape)
                    arrays = [f for f in e.args if f.shape]
                    stack.append((c.mul(*arrays) if len(arrays) > 1 else arrays[0], labels))
                    continue
                # any other tensor: a unit axis is an index of size 1, summed away
                labels = tuple(next(self.fresh) if lab is None else lab for lab in labels)
            # every None label was replaced or dropped just above
            labels_s: tuple[str, ...] = labels  # type: ignore[assignment]
            for lab, d in zip(labels_s, e.shape, strict=True):
                self.sizes.setdefault(lab, d)
            if not e.shape:
                if c.is_zero(e):
                    self.zero = True
                if not c.is_const(e, 1):
                    self.scalars.append(e)
                continue
            op = e.op
            if op == "zeros":
                self.zero = True
            elif op == "einsum":
                self._inline(e, labels_s, stack)
            elif op == "transpose" and e.ndim == 2 and e.args[0].ndim == 1:
                # a row x' over (k, l): x over l, and k an index of size 1
                stack.append((e.args[0], (labels_s[1],)))
                stack.append((c.ones((1,)), (labels_s[0],)))
            elif op == "transpose" and e.ndim == 2:
                stack.append((e.args[0], (labels_s[1], labels_s[0])))
            elif op == "mul" and any(not f.shape for f in e.args):
                arrays = [f for f in e.args if f.shape]
                self.scalars.extend(f for f in e.args if not f.shape)
                stack.append((c.mul(*arrays) if len(arrays) > 1 else arrays[0], labels_s))
            elif op == DIAG:
                stack.append((c.eye(e.shape[0]), labels_s))
                stack.append((e.args[0], (labels_s[0],)))
            elif op == "ones" and e.ndim >= 2:  # an outer product of ones vectors
                for d, lab in zip(e.shape, labels_s, strict=True):
                    stack.append((c.ones((d,)), (lab,)))
            else:
                self.operands.append([e, list(labels_s)])

    def _inline(self, e: Expr, labels: tuple[Label, ...],
                stack: list[tuple[Expr, tuple[Label, ...]]]) -> None:
        terms, out = e.attrs[0].split("->")
        mapping: dict[str, Label] = dict(zip(out, labels, strict=True))
        for t, operand in zip(terms.split(","), e.args, strict=True):
            new: list[Label] = []
            for ch in t:
                if ch not in mapping:
                    mapping[ch] = next(self.fresh)
                new.append(mapping[ch])
            stack.append((operand, tuple(new)))

    def rename(self, old: str, new: str) -> None:
        for op in self.operands:
            op[1] = [new if lab == old else lab for lab in op[1]]
        self.out = [new if lab == old else lab for lab in self.out]

    def label_uses(self, lab: str, skip: int | None = None) -> int:
        return sum(op[1].count(lab) for i, op in enumerate(self.operands) if i != skip)

    # -- normal form ---------------------------------------------------------------------
    def eliminate_deltas(self) -> None:
        changed = True
        while changed:
            changed = False
            for i, (e, labs) in enumerate(self.operands):
                if e.op != "eye":
                    continue
                a, b = labs
                if a == b:  # δ_jj: 1 for each j, summed to n only if j is used nowhere else
                    if self.label_uses(a, skip=i) == 0 and a not in self.out:
                        self.scalars.append(c.dim(e.shape[0]))
                elif a not in self.out and b not in self.out and \
                        self.label_uses(a, skip=i) == 0 and self.label_uses(b, skip=i) == 0:
                    self.scalars.append(c.dim(e.shape[0]))  # a lone δ_jl summed: n
                elif a not in self.out:
                    self.rename(a, b)
                elif b not in self.out:
                    self.rename(b, a)
                else:
                    continue
                del self.operands[i]
                changed = True
                break

    def drop_ones(self) -> None:
        """``ones`` vectors only broadcast; a summed label with nothing else counts its size."""
        others = [op for op in self.operands if op[0].op != "ones"]
        used = {lab for _, labs in others for lab in labs}
        keep = others
        seen: set[str] = set()
        for e, labs in self.operands:
            if e.op != "ones":
                continue
            lab = labs[0]
            if lab in used or lab in seen:
                continue  # multiplying by 1 where the label is already carried
            seen.add(lab)
            if lab in self.out:
                keep.append([e, labs])
            else:
                self.scalars.append(c.dim(self.sizes[lab]))
        self.operands = keep

    def merge(self) -> None:
        """Repeated labels become diag(M); matrices over the same labels, Hadamard products.

        Vectors on one label stay separate: the translation multiplies them where
        they sit (as ``x.T @ y`` for a lone inner product).
        """
        for op in self.operands:
            e, labs = op
            if len(labs) == 2 and labs[0] == labs[1] and e.op != "eye":
                op[0], op[1] = c.diag(e), [labs[0]]
        groups: dict[frozenset[str], list[int]] = {}
        for i, (_, labs) in enumerate(self.operands):
            if len(labs) == 2:
                groups.setdefault(frozenset(labs), []).append(i)
        merged: set[int] = set()
        for idx in groups.values():
            # a Kronecker delta over the labels of a matrix is the Hadamard product
            # eye(n) * M (both labels are free: a summed one was renamed away), never
            # einsum("ij,ij->ij", eye(n), M); deltas alone stay deltas (index notation)
            if len(idx) < 2:
                continue
            if all(self.operands[i][0].op == "eye" for i in idx):  # δ_ij δ_ij = δ_ij
                merged.update(idx[1:])
                continue
            first_e, first_l = self.operands[idx[0]]
            parts = [first_e]
            for j in idx[1:]:
                e, labs = self.operands[j]
                parts.append(e if labs == first_l else c.transpose(e))
                merged.add(j)
            self.operands[idx[0]][0] = c.mul(*parts)
        self.operands = [op for i, op in enumerate(self.operands) if i not in merged]
        for op in list(self.operands):  # u / u merged to ones(m, n): vectors of ones
            if op[0].op == "ones" and len(op[1]) == 2:
                self.operands.remove(op)
                self.operands.extend([c.ones((d,)), [lab]]
                                     for d, lab in zip(op[0].shape, op[1], strict=True))

    def components(self) -> list[list[int]]:
        parent = list(range(len(self.operands)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        owner: dict[str, int] = {}
        for i, (_, labs) in enumerate(self.operands):
            for lab in labs:
                if lab in owner:
                    parent[find(i)] = find(owner[lab])
                else:
                    owner[lab] = i
        groups: dict[int, list[int]] = {}
        for i in range(len(self.operands)):
            groups.setdefault(find(i), []).append(i)
        return list(groups.values())


def contract(out: Sequence[Label], shape: Shape, *operands: tuple[Expr, Sequence[Label]]) -> Expr:
    """The product of ``operands`` (each with index labels) summed to labels ``out``.

    ``shape`` is the shape of the result (one entry per label of ``out``).
    Returns the simplest expression for it: matrix notation where possible.
    """
    unit_axes = [i for i, lab in enumerate(out) if lab is None]
    out_labels = tuple(lab for lab in out if lab is not None)
    p = Product(out_labels)
    for e, labels in operands:
        p.add(e, labels)
    if p.zero:
        return c.zeros(tuple(shape))
    split = _split_sum(p, out, shape)
    if split is not None:
        return split
    for lab, d in zip(out, shape, strict=True):
        if lab is not None:
            p.sizes.setdefault(lab, d)
    core_shape = tuple(d for lab, d in zip(out, shape, strict=True) if lab is not None)
    p.eliminate_deltas()
    p.drop_ones()
    p.merge()
    p.drop_ones()
    for lab in p.out:  # an output label that no operand carries: broadcast with ones
        if p.label_uses(lab) == 0:
            p.operands.append([c.ones((p.sizes[lab],)), [lab]])
    result = _assemble(p, core_shape)
    if unit_axes:
        result = _restore_unit_axes(result, out, shape)
    return result


def _split_sum(p: Product, out: Sequence[Label], shape: Shape) -> Expr | None:
    """A tensor sum among the unpacked operands, contracted term by term.

    Matrices in sums translate as they are (``(A + B) @ x``); a sum of order 3 or
    more has no matrix form, so the product is distributed over it.  Looked for
    after unpacking, so that a sum reached through a scalar factor
    (``(T + a) / b``) or an inlined einsum is distributed exactly as one written
    bare is: the printed form re-parses to the same expression.
    """
    for k, (e, labels) in enumerate(p.operands):
        if e.op == "add" and e.ndim >= 3:
            rest: list[tuple[Expr, Sequence[Label]]] = [(x, tuple(labs))
                                                        for x, labs in p.operands]
            scalars = [(s, ()) for s in p.scalars]
            # a scalar term broadcasts over the whole operand: it is t * ones(shape)
            return c.add(*(contract(out, shape, *rest[:k],
                                    (t if t.shape else c.mul(t, c.ones(e.shape)), labels),
                                    *rest[k + 1:], *scalars)
                           for t in e.args))
    return None


def _scalar(p: Product) -> Expr:
    return c.mul(*p.scalars) if p.scalars else c.const(1)


def _assemble(p: Product, core_shape: Shape) -> Expr:
    comps = p.components()
    if len(p.out) <= 2:
        pieces: list[tuple[Expr, list[str]]] = []
        ok = True
        for comp in comps:
            piece = translate(p, comp)
            if piece is None:
                ok = False
                break
            pieces.append(piece)
        if ok:
            return combine(p, pieces)
    # an einsum node: translate the components that have no free Kronecker delta
    operands: list[tuple[Expr, list[str]]] = []
    for comp in comps:
        has_delta = any(p.operands[i][0].op == "eye" for i in comp)
        piece = None if has_delta else translate(p, comp)
        if piece is not None and piece[0].ndim == len(piece[1]):
            operands.append(piece)
        else:
            operands.extend((p.operands[i][0], p.operands[i][1]) for i in comp)
    return c.mul(_scalar(p), _einsum_node(operands, p.out, core_shape))


def _einsum_node(operands: list[tuple[Expr, list[str]]], out: list[str], shape: Shape) -> Expr:
    scalars = [e for e, labs in operands if not labs]
    pulled: list[tuple[Expr, list[str]]] = []
    for e, labs in operands:  # a translated piece may carry a scalar factor: out in front
        if labs and e.op == "mul" and any(not f.shape for f in e.args):
            scalars.extend(f for f in e.args if not f.shape)
            e = c.mul(*(f for f in e.args if f.shape))
        if len(labs) == 2 and e.op == "transpose":  # A.T over (l, j) is A over (j, l)
            e, labs = e.args[0], [labs[1], labs[0]]
        pulled.append((e, labs))
    operands = pulled
    vectors: dict[str, int] = {}
    merged: list[tuple[Expr, list[str]]] = []
    for e, labs in operands:  # vectors over one index multiply elementwise
        if len(labs) == 1 and labs[0] in vectors:
            k = vectors[labs[0]]
            merged[k] = (c.mul(merged[k][0], e), labs)
            continue
        if len(labs) == 1:
            vectors[labs[0]] = len(merged)
        if labs:
            merged.append((e, labs))
    operands = _without_redundant_ones(merged)  # after merging: 1 / exp(v) * exp(v) is 1
    if all(e.op == "ones" for e, _ in operands) and \
            sorted(lab for _, labs in operands for lab in labs) == sorted(out):
        return c.mul(*scalars, c.ones(tuple(shape)))  # an outer product of ones: ones
    distinct = list(dict.fromkeys(lab for _, labs in operands for lab in labs))
    if len(distinct) > len(LETTERS):
        raise DiffError(too_many_indices(len(distinct)))
    names = dict(zip(distinct, LETTERS, strict=False))
    terms = ",".join("".join(names[lab] for lab in labs) for _, labs in operands)
    spec = f"{terms}->{''.join(names[lab] for lab in out)}"
    if len(operands) == 1 and spec in ("ij->ji",):
        return c.mul(*scalars, c.transpose(operands[0][0]))
    if len(operands) == 1 and _is_identity_spec(spec):
        return c.mul(*scalars, operands[0][0]) if scalars else operands[0][0]
    node = make("einsum", tuple(e for e, _ in operands), (spec,), tuple(shape))
    return c.mul(*scalars, node) if scalars else node


def _without_redundant_ones(operands: list[tuple[Expr, list[str]]]
                            ) -> list[tuple[Expr, list[str]]]:
    """``ones`` operands only broadcast: keep them over labels no other operand carries.

    (The parser reads ``ones(n, m)`` in an einsum the same way, so the node re-parses
    to itself.)
    """
    carried = {lab for e, labs in operands if e.op != "ones" for lab in labs}
    kept: list[tuple[Expr, list[str]]] = []
    for e, labs in operands:
        if e.op != "ones" or (len(labs) == 1 and labs[0] not in carried):
            kept.append((e, labs))
            continue
        for d, lab in zip(e.shape, labs, strict=True):
            if lab not in carried:
                carried.add(lab)
                kept.append((c.ones((d,)), [lab]))
    return kept


def _is_identity_spec(spec: str) -> bool:
    lhs, out = spec.split("->")
    return lhs == out


def _restore_unit_axes(result: Expr, out: Sequence[Label], shape: Shape) -> Expr:
    if tuple(shape) == result.shape:
        return result
    if len(shape) == 2 and out[0] is None and result.ndim == 1:
        return c.transpose(result)
    # a tensor with unit axes: broadcast through ones(1) operands, contracted exactly as
    # the printed einsum is when it is parsed again (so that the result round-trips)
    core = [f"_r{k}" for k, lab in enumerate(out) if lab is not None]
    labels = [f"_u{k}" if lab is None else f"_r{k}" for k, lab in enumerate(out)]
    units = [(c.ones((1,)), (lab,)) for lab in labels if lab.startswith("_u")]
    return contract(labels, shape, (result, tuple(core)), *units)


# einsum nodes are built here, a layer above the other operators, because
# building one normalises and translates the contraction (see contract)
register(Op("einsum", None, rebuild=lambda node, args: build_einsum(node.attrs[0], args),
            stem="tensor", sympy=lambda node, a, ctx: sympy_arrays.einsum(node.attrs[0], a)))
