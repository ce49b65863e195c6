"""An import-linter contract type: no import cycle between the modules of a package.

import-linter's own `acyclic_siblings` looks at whole sibling packages; the rule of
../shared/architecture.md is about modules: no module of the core may import, directly or
through others, a module that imports it back. grimp records every import statement, deferred
ones inside functions too, so a cycle cannot be dodged by moving an import into a function.
Registered in `.importlinter` (`contract_types`) and run by `lint-imports`.
"""

from __future__ import annotations

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


def module_cycles(graph: ImportGraph, package: str) -> list[list[str]]:
    """Every strongly connected group of two or more modules under `package` (Tarjan's
    algorithm, iterative), each sorted; a module importing itself is not a cycle."""
    modules = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    inside = set(modules)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root) & inside)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    imported = graph.find_modules_directly_imported_by(child) & inside
                    work.append((child, iter(sorted(imported))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return sorted(groups)


class AcyclicModulesContract(Contract):
    """Kept when no two modules under `packages` import each other, directly or not."""

    type_name = "acyclic_modules"
    packages = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        """Find the cycles of every package listed."""
        cycles = [cycle for p in self.packages for cycle in module_cycles(graph, p)]  # type: ignore[attr-defined]
        chains = []
        for cycle in cycles:
            members = set(cycle)
            chains.append(
                [
                    f"{importer} -> {imported}"
                    for importer in cycle
                    for imported in sorted(graph.find_modules_directly_imported_by(importer))
                    if imported in members
                ]
            )
        return ContractCheck(kept=not cycles, warnings=None, metadata={"cycles": chains})

    def render_broken_contract(self, check: ContractCheck) -> None:
        """Print each cycle as the imports between its modules."""
        for imports in check.metadata["cycles"]:
            output.print_error("Modules that import each other:")
            output.new_line()
            for line in imports:
                output.print_error(f"-   {line}", bold=False)
            output.new_line()
