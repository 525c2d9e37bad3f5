"""A backend of :func:`matcalc.codegen`: the array library a generated module is written for.

A backend is code templates, not a second code generator: every backend is
written by the same :class:`~matcalc.numeric.codegen.module.Module` and
:class:`~matcalc.numeric.codegen.render.Renderer` from the same lowered plan
(shared subexpressions, chain order, scalings instead of ``diag``).  What
differs is read from tables:

* the operator records' ``code`` templates are written for NumPy; a backend
  reads them with ``np.`` as its own namespace (``jnp.``, ``torch.``, ``da.``),
  unless a record's ``codes`` names a template for that backend;
* the few constructs the renderer writes itself (zeros, the inner product of
  matrices, einsum, the scalar returned, ...) are the :attr:`Backend.templates`;
* the helper functions a module defines are the :attr:`Backend.helpers`
  sources: the input checks (``_array``, ``_dtype``, ...), written once for
  every backend in :mod:`.inputs`, and the kernels (``_sigmoid``,
  ``_softmax``, ...), one place per backend (NumPy's are matcalc's own
  evaluation kernels).

Dtype follows the inputs on every backend: ``_dtype`` gives the floating type
of the array inputs (``float32`` stays ``float32``), the scalar inputs and the
constants a module builds are cast to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from matcalc.core.errors import MatcalcError

# the lines writing rhs (with indices ``reduced``) into the diagonal ``full`` of a
# new zero tensor ``target``: (target, shape code, full, reduced, rhs, sizes of reduced)
Embed = Callable[[str, str, str, str, str, list[str]], list[str]]


@dataclass(frozen=True)
class Backend:
    """One array library that generated modules can be written for."""

    name: str
    namespace: str  # what ``np.`` in a NumPy template becomes
    imports: tuple[str, ...]
    templates: Mapping[str, str]
    helpers: Mapping[str, str]  # helper name -> source (the kernels included)
    embed: Embed
    reserved: frozenset[str] = field(default_factory=frozenset)

    def translate(self, numpy_code: str) -> str:
        """A NumPy template read in this backend's namespace."""
        if self.name == "numpy":
            return numpy_code
        return re.sub(r"\bnp\.", self.namespace + ".", numpy_code)

    def code(self, numpy_code: str | None, codes: Mapping[str, str]) -> str | None:
        """The template of a record (its ``code`` and ``codes``) for this backend."""
        if self.name in codes:
            return codes[self.name]
        return None if numpy_code is None else self.translate(numpy_code)

    def template(self, key: str) -> str:
        return self.templates[key]

    def helper(self, name: str) -> str:
        source = self.helpers.get(name)
        if source is None:
            raise MatcalcError(f"the {self.name} backend has no helper {name} for generated code")
        return source


def diagonal_index(full: str, reduced: str, sizes: list[str], arange: str) -> str:
    """The index arrays that pick the diagonal positions ``full`` of an array from the
    axes ``reduced`` (``arange`` a template such as ``jnp.arange({})``), broadcast
    against each other: ``a[i[:, None], i[:, None], j[None, :]]`` for ``iij`` from ``ij``."""
    k = len(reduced)
    index = []
    for ch in full:
        q = reduced.index(ch)
        view = ", ".join(":" if i == q else "None" for i in range(k))
        index.append(f"{arange.format(sizes[q])}[{view}]")
    return ", ".join(index)
