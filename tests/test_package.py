"""The package's shape as a reader meets it: no import cycles, the command line a leaf, tools
that hook in instead of patching, no global state changed by an import."""
import ast
import os
import subprocess
import sys

from conftest import REPO

PACKAGE = os.path.join(REPO, "ddpg_graph")


def package_imports():
    """module -> the package modules it imports, at module level or inside functions."""
    graph = {}
    for name in sorted(os.listdir(PACKAGE)):
        if not name.endswith(".py"):
            continue
        module = name[:-3]
        graph[module] = set()
        for node in ast.walk(ast.parse(open(os.path.join(PACKAGE, name)).read())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    graph[module].add(node.module.split(".")[0])
                else:  # from . import a, b
                    graph[module].update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ddpg_graph."):
                graph[module].add(node.module.split(".")[1])
    return {m: {d for d in deps if d in graph or d == "__init__"} - {m} for m, deps in graph.items()}


def find_cycle(graph):
    """One import cycle as a list of modules, or None."""
    state = {}

    def visit(module, path):
        state[module] = "open"
        for dep in sorted(graph.get(module, ())):
            if state.get(dep) == "open":
                return path[path.index(dep):] + [dep] if dep in path else [module, dep]
            if dep not in state:
                cycle = visit(dep, path + [dep])
                if cycle:
                    return cycle
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module, [module])
            if cycle:
                return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycles_in_the_package():
    graph = package_imports()
    assert len(graph) > 20 and graph["runner"] >= {"agent", "checkpoint", "history"}
    assert find_cycle(graph) is None, find_cycle(graph)


def test_nothing_in_the_package_imports_the_command_line():
    importers = sorted(m for m, deps in package_imports().items() if "cli" in deps)
    assert importers == ["__main__"]


def test_tools_assign_no_attribute_of_anything_but_their_own_objects():
    """The tools hook into the library (callbacks) instead of patching its classes or
    setting a trainer's state from outside: every attribute they assign is their own
    object's (``self``) or their parsed arguments' (``args``)."""
    tools = os.path.join(REPO, "tools")
    found = []
    for name in sorted(os.listdir(tools)):
        if name.endswith(".py"):
            tree = ast.parse(open(os.path.join(tools, name)).read())
            for node in ast.walk(tree):
                targets = node.targets if isinstance(node, ast.Assign) else (
                    [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
                for target in targets:
                    if isinstance(target, ast.Attribute) and not (
                            isinstance(target.value, ast.Name) and target.value.id in ("self", "args")):
                        found.append(f"{name}:{node.lineno}: {ast.unparse(target)}")
    assert not found, found


def test_importing_the_package_and_its_command_line_loads_no_tensorflow():
    code = ("import sys, ddpg_graph, ddpg_graph.cli, ddpg_graph.config, ddpg_graph.sweep; "
            "print(sorted(m for m in ('tensorflow', 'ray', 'matplotlib', 'cv2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.stdout.strip() == "[]", out.stderr


def test_no_submodule_shares_a_public_name():
    """Importing ``ddpg_graph.X`` sets the package's attribute X to the module: a submodule
    named like a public function (``export``) would replace that function."""
    import ddpg_graph
    modules = {name[:-3] for name in os.listdir(PACKAGE) if name.endswith(".py")}
    assert not modules & set(ddpg_graph.__all__)
