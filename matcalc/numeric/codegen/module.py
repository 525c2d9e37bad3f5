"""The module writer of generated code: names, the inputs and their checks, the text.

:class:`Module` lowers the outputs' DAG (:mod:`matcalc.numeric.lowering`),
binds the inputs and the dimensions they fix, checks declared shapes, and
writes each node that the plan needs through the
:class:`~matcalc.numeric.codegen.render.Renderer`: a named temporary, or an
expression inlined into its user's line when it is used once and short.
"""

from __future__ import annotations

import keyword

from matcalc.core.expr import Expr
from matcalc.numeric.codegen.backend import Backend
from matcalc.numeric.codegen.helpers import RESERVED
from matcalc.numeric.codegen.layout import hessian_blocks, layout_note
from matcalc.numeric.codegen.render import Renderer
from matcalc.numeric.codegen.syntax import (
    ATOM,
    is_negation,
    is_reciprocal_of_leaf,
    shape_text,
    short_text,
)
from matcalc.numeric.lowering import Lowering
from matcalc.ops.linalg import INV
from matcalc.ops.record import function as function_record
from matcalc.ops.record import op as op_record

INLINE_LIMIT = 64  # longest expression written into its user's line instead of named


class Module:
    """The text of a generated module: its inputs, one line per named node, its outputs."""

    def __init__(self, f: Expr, outputs: list[tuple[str, Expr]], wrt: list[str], order: int,
                 backend: Backend, name: str = "value_and_derivatives",
                 joined: int = 0, directions: tuple[str, ...] = ()):
        """``joined``: the last ``joined``² outputs are the Hessian's blocks, returned as
        one matrix; ``directions``: the variables the positional ``v`` of a
        ``hessian_vector_product`` fills (one array, or a tuple of them)."""
        self.f = f
        self.outputs = outputs
        self.wrt = wrt
        self.order = order
        self.b = backend
        self.name = name
        self.joined = joined
        self.directions = directions
        self.title = f  # the f the module's docstring shows
        self.r = Renderer(backend)  # the code of each node, the dimensions' locals, the helpers
        self.taken: set[str] = set(RESERVED)
        self.local: dict[str, str] = {}  # variable name -> local name
        self.lines: list[str] = []
        self.counters: dict[str, int] = {}

    # -- names ---------------------------------------------------------------------------
    def fresh(self, stem: str) -> str:
        if stem not in self.taken and not keyword.iskeyword(stem):
            self.taken.add(stem)
            return stem
        while True:
            k = self.counters.get(stem, 0) + 1
            self.counters[stem] = k
            name = f"{stem}{k}"
            if name not in self.taken:
                self.taken.add(name)
                return name

    # -- the source ----------------------------------------------------------------------
    def source(self) -> str:
        roots = [e for _, e in self.outputs]
        low = Lowering(roots)
        order = low.order(roots)
        uses: dict[int, int] = {}
        for node in order:
            for d in low.deps[id(node)]:
                uses[id(d)] = uses.get(id(d), 0) + 1
        for _, e in self.outputs:  # outputs are named
            uses[id(e)] = uses.get(id(e), 0) + 2
        out_names: dict[int, str] = {}
        # every name the module introduces is taken before any variable is named: a
        # user's function it defines, and the outputs' names (value, grad_x, ...); a
        # variable whose name clashes gets another local (its keyword stays the same)
        for node in order:
            entry = function_record(node.attrs[0]) if node.op == "fn" else None
            if entry is not None and entry.source is not None and entry.code is not None:
                self.taken.add(entry.code)
        for name, e in self.outputs:
            if id(e) not in out_names and e.op not in ("var", "const", "dim", "zeros", "ones",
                                                       "eye", "transpose"):
                out_names[id(e)] = self.fresh(name)
            else:
                self.taken.add(name)
        self._prologue(order)
        for node in order:
            if id(node) in self.r.code:
                continue
            rendered = self.r.render(node, low)
            target = out_names.get(id(node))
            if callable(rendered):  # several statements
                name = target or self.fresh(self._stem(node))
                self.lines.extend(rendered(name))
                self.r.code[id(node)] = (name, ATOM)
                continue
            code, prec = rendered
            inline = target is None and (
                node.op in ("var", "const", "dim")
                or (node.op == "transpose" and node.args[0].op == "var")
                or is_negation(node) or is_reciprocal_of_leaf(node)
                or (uses.get(id(node), 0) <= 1 and len(code) <= INLINE_LIMIT
                    and node.op not in ("zeros", "ones", "eye")))
            if inline:
                self.r.code[id(node)] = (code, prec)
            else:
                name = target or self.fresh(self._stem(node))
                self.lines.append(self._assign(name, code, node))
                self.r.code[id(node)] = (name, ATOM)
        results = []
        for _, e in self.outputs:
            code = self.r.code[id(e)][0]
            if not e.shape:
                code = self.b.template("scalar").format(code)
            elif e.op in ("var", "transpose"):
                code = self.b.template("copy").format(code)
            results.append(code)
        if self.joined:
            results = self._joined(results)
        return self._module_text(results)

    def _joined(self, results: list[str]) -> list[str]:
        """The last k² results (Hessian blocks, in :func:`.layout.hessian_blocks` order)
        as one matrix."""
        k = self.joined
        sizes = []
        for _, grad in self.outputs[1:1 + k]:  # each gradient has its variable's shape
            sizes.append(" * ".join(self.r.dim(d) for d in grad.shape) if grad.shape else "1")
        blocks = dict(zip(hessian_blocks(k), results[len(results) - k * k:], strict=True))
        rows = []
        for i in range(k):
            parts = [f"({blocks[i, j]}).reshape({sizes[i]}, {sizes[j]})" for j in range(k)]
            rows.append(self.b.template("concat").format(ops=", ".join(parts), axis=1)
                        if k > 1 else parts[0])
        name = self.fresh("hessian")
        code = self.b.template("concat").format(ops=", ".join(rows), axis=0) if k > 1 else rows[0]
        self.lines.append(f"    {name} = {code}")
        return [*results[:len(results) - k * k], name]

    def _stem(self, node: Expr) -> str:
        if node.op == "fn":
            return str(node.attrs[0])
        if node.op == INV and node.args[0].op == "var":
            return f"inv_{self.local[node.args[0].name]}"
        return op_record(node.op).stem

    def _assign(self, name: str, code: str, node: Expr) -> str:
        line = f"    {name} = {code}"
        text = short_text(node)
        if text and text != code and "\n" not in text:
            pad = max(1, 44 - len(line))
            line += " " * pad + f"  # {text}"
        return line

    # -- inputs and their shapes ---------------------------------------------------------
    def _prologue(self, order: list[Expr]) -> None:
        variables = self.f.variables()
        for name in variables:
            local = name if (name not in self.taken and not keyword.iskeyword(name)) else None
            self.local[name] = local or self.fresh(f"{name}_")
            self.taken.add(self.local[name])
        bound: set[str] = set()
        self.source_of: dict[str, str] = {}  # dimension -> the variable whose array fixed it
        later: list[str] = []  # variables with product dimensions, checked at the end
        arrays: list[str] = []
        for k, name in enumerate(self.directions):  # hessian_vector_product(v, /, **values)
            item = "v" if len(self.directions) == 1 else f"v[{k}]"
            self.lines.append(f"    values = {{**values, {name!r}: {item}}}")
        for name, v in variables.items():
            local = self.local[name]
            self.lines.append(f"    {local} = _array(values, {name!r}, {v.ndim})")
            arrays.append(local)
            if v.structure:  # formulas derived for it assume the structure: check it
                self.r.helpers.add("_structure")
                self.lines.append(f"    _structure({local}, {name!r}, {v.structure!r})")
            self.r.code[id(v)] = (local, ATOM)
            new = [d for d in v.shape if isinstance(d, str) and "*" not in d and d not in bound]
            for d in new:
                self.r.dims[d] = self._dim_name(d)
            if v.shape and len(new) == v.ndim and len(set(new)) == len(new):
                names = ", ".join(self.r.dims[d] for d in new)
                self.lines.append(f"    {names}{',' if v.ndim == 1 else ''} = {local}.shape")
                bound.update(new)
                for d in new:
                    self.source_of[d] = name
                continue
            for axis, dim in enumerate(v.shape):
                if isinstance(dim, str) and "*" not in dim and dim not in bound:
                    self.lines.append(f"    {self.r.dims[dim]} = {local}.shape[{axis}]")
                    bound.add(dim)
                    self.source_of[dim] = name
            if any(isinstance(d, str) and "*" in d for d in v.shape):
                later.append(name)
            elif v.shape:
                self._check(name, v)
        # the dtype (and device) of the array inputs; scalar inputs follow it
        self.lines.append("    " + self.b.template("dtype").format(ops=", ".join(arrays)))
        self.r.helpers.add("_dtype")
        for name, v in variables.items():
            if not v.shape:
                local = self.local[name]
                self.lines.append(f"    {local} = " + self.b.template("cast").format(local))
        for node in order:  # dimensions that no input array fixes
            dims = [d for d in node.shape if isinstance(d, str)]
            if node.op == "dim":
                dims.append(node.attrs[0])
            for d in dims:
                for part in str(d).split("*"):
                    if part.isdigit() or part in bound:
                        continue
                    self.r.dims[part] = self._dim_name(part)
                    self.r.helpers.add("_size")
                    self.lines.append(f"    {self.r.dims[part]} = _size(values, {part!r})")
                    bound.add(part)
        for name in later:  # product dimensions, once their factors are known
            self._check(name, variables[name])

    def _dim_name(self, d: str) -> str:
        if d in self.r.dims:
            return self.r.dims[d]
        ok = d.isidentifier() and not keyword.iskeyword(d) and d not in self.taken
        name = d if ok else self.fresh("dim_" + "".join(ch if ch.isalnum() else "_" for ch in d))
        self.taken.add(name)
        return name

    def _check(self, name: str, v: Expr) -> None:
        local = self.local[name]
        want = self.r.shape(v.shape)
        declared = "(" + ", ".join(map(str, v.shape)) + ("," if v.ndim == 1 else "") + ")"
        sources: dict[str, list[str]] = {}
        for d in v.shape:
            for part in str(d).split("*"):
                other = self.source_of.get(part)
                if other is not None and other != name and part not in sources.get(other, []):
                    sources.setdefault(other, []).append(part)
        why = "; ".join(f"{', '.join(ds)} from {other}" for other, ds in sources.items())
        self.lines.append(f"    if {local}.shape != {want}:")
        self.lines.append(f"        raise ValueError(f\"{name} should have shape {declared} = "
                          f"{{{want}}}{f' ({why})' if why else ''} but has shape "
                          f"{{{local}.shape}}\")")

    # -- the function's text -------------------------------------------------------------
    def _module_text(self, results: list[str]) -> str:
        """The function's definition (the module is assembled by :func:`module_text`)."""
        returns = ", ".join(n for n, _ in self.outputs)
        if self.joined:
            k = self.joined
            returns = ", ".join([n for n, _ in self.outputs[:len(self.outputs) - k * k]]
                                + ["hessian"])
        if self.directions:
            signature = f"def {self.name}(v, /, **values):"
            doc = (f"The Hessian of f times v (one array per variable of {', '.join(self.wrt)}"
                   f"{', as a tuple' if len(self.wrt) > 1 else ''}): ({returns}).")
        else:
            signature = f"def {self.name}(**values):"
            doc = f"The value of f and its derivatives: ({returns})."
        out = self.b.template("return").format(
            ops=", ".join(results) + ("," if len(results) == 1 else ""))
        return "\n".join([signature, f'    """{doc}"""', *self.lines, f"    return {out}", ""])


def module_text(main: Module, others: list[Module]) -> str:
    """The module: its docstring, imports, the helpers all its functions need, the functions."""
    functions = [main.source(), *(m.source() for m in others)]
    b = main.b
    f = main.f
    shapes = ", ".join(f"{n}: ({', '.join(map(str, v.shape))}{',' if v.ndim == 1 else ''})"
                       for n, v in f.variables().items())
    returned = [f"{name} {shape_text(e.shape)}" for name, e in main.outputs]
    if main.joined:
        k = main.joined
        returned = returned[:len(returned) - k * k] + ["hessian (N, N)"]
    label = {"numpy": "NumPy", "jax": "JAX", "torch": "PyTorch", "dask": "Dask"}[b.name]
    used = set().union(*(m.r.helpers for m in [main, *others]))
    user: dict[str, str] = {}
    for m in [main, *others]:
        user.update(m.r.functions)
    head = [
        f'"""{label} code generated by matcalc (https://pypi.org/project/matcalc-symbolic/).',
        "",
        f"    f = {main.title}",
        f"    variables: {shapes}",
        f"    derivatives by: {', '.join(main.wrt) or '-'}"
        + (" (and Hessians)" if main.order == 2 else ""),
        "",
        "value_and_derivatives(**values) returns (" + ", ".join(returned) + ").",
        *([] if main.order < 2 or len(main.wrt) < 2 or main.joined else layout_note(main.wrt)),
        *([] if not main.joined else [
            "hessian is the whole Hessian over the variables raveled (C order) and",
            f"concatenated in the order {', '.join(main.wrt)}: N = their total size."]),
        *([] if not others else [
            "hessian_vector_product(v, /, **values) returns the Hessian times v without",
            "forming the Hessian: v has the shape of the variable (a tuple of such arrays,",
            "one per variable, for several), the result likewise (always a tuple)."]),
        '"""',
        "",
        # a user's def may be annotated with names the module lacks (Any, ...)
        *(["from __future__ import annotations", ""] if user else []),
        *b.imports,
        "",
    ]
    body = []
    sources = [b.helper(h) for h in b.helpers if h in used]
    sources += [user[name] for name in sorted(user)]
    for text in sources:
        body.append(text.strip("\n"))
        body.extend(["", ""])
    for k, fn in enumerate(functions):
        body.append(fn.rstrip("\n"))
        body.extend(["", ""] if k + 1 < len(functions) else [""])
    return "\n".join(head + ["", *body])
