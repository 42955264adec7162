"""The package has three layers, and imports only go down: plots -> studies -> core.

* core: the modules directly in ``backproplab`` (the mini-library the book teaches);
* studies: ``backproplab.studies``, the experiments the chapters call;
* plots: ``backproplab.plots``, every figure and widget.

The rule is read off the source with ``ast``, so it holds for imports inside functions too.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "backproplab"
LAYERS = ("core", "studies", "plots")  # each may import only itself and what comes before it


def module_name(path: Path) -> str:
    """``src/backproplab/studies/race.py`` -> ``backproplab.studies.race``."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(name: str) -> str | None:
    """The layer of a dotted module name inside backproplab, or None for outside modules."""
    parts = name.split(".")
    if parts[0] != "backproplab":
        return None
    return parts[1] if len(parts) > 1 and parts[1] in ("studies", "plots") else "core"


def imported_names(source: str, importer: str, is_package: bool) -> list[str]:
    """Every backproplab module that ``source`` (the module ``importer``) imports, absolute."""
    package = importer if is_package else importer.rpartition(".")[0]
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.append(module)
            # `from backproplab import plots` imports the subpackage itself
            names += [f"{module}.{alias.name}" for alias in node.names
                      if alias.name in ("studies", "plots")]
    return [n for n in names if layer_of(n) is not None]


def violations(source: str, importer: str, is_package: bool = False) -> list[str]:
    """The imports of ``source`` that go up a layer, as ``"importer -> imported"`` lines."""
    rank = LAYERS.index(layer_of(importer))
    return [f"{importer} -> {name}" for name in imported_names(source, importer, is_package)
            if LAYERS.index(layer_of(name)) > rank]


def test_the_three_layers_exist():
    assert (PACKAGE / "studies" / "__init__.py").is_file()
    assert (PACKAGE / "plots" / "__init__.py").is_file()
    assert (PACKAGE / "plots" / "widgets.py").is_file()
    assert not (PACKAGE / "widgets.py").exists()


def test_no_module_imports_a_layer_above_its_own():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        found += violations(path.read_text(), name, is_package=path.name == "__init__.py")
    assert found == []


@pytest.mark.parametrize(
    ("importer", "source"),
    [
        ("backproplab.training", "from backproplab.studies.race import race"),
        ("backproplab.training", "from backproplab import plots"),
        ("backproplab.network", "def f():\n    import backproplab.plots.core\n"),
        ("backproplab.layers", "from .plots import core"),
        ("backproplab.studies.race", "from ..plots.race import RaceFigure"),
        ("backproplab.studies.race", "from backproplab.plots.widgets import animation"),
    ],
)
def test_an_upward_import_is_caught(importer, source):
    assert len(violations(source, importer)) == 1


@pytest.mark.parametrize(
    ("importer", "source"),
    [
        ("backproplab.training", "from backproplab.network import Sequential\nimport numpy"),
        ("backproplab.studies.race", "from .surfaces import Surface\nfrom ..optimizers import SGD"),
        ("backproplab.plots.race", "from ..studies.race import race\nfrom .live import LiveFigure"),
        ("backproplab.plots.network", "from .widgets import animation"),
    ],
)
def test_a_downward_or_sideways_import_is_allowed(importer, source):
    assert violations(source, importer) == []
