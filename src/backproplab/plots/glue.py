"""Numbers for the prose: glued values, and a spread over seeds glued as its statistics.

:func:`glue` is ``myst_nb.glue`` where the book is built and a quiet stand-in elsewhere, so a
chapter notebook downloaded from the site runs in any Jupyter (or Colab) without MyST-NB.
A chapter states a claim drawn from training runs as a median and range, or a mean ± sd
(``backproplab.studies.seeds``). :func:`glue_spread` glues all five statistics of one
:class:`~backproplab.studies.seeds.Spread` under one prefix, so that the text can write
``{glue:text}`acc_median:.1%``` and ``{glue:text}`acc_low:.1%```.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..studies.seeds import Spread, spread

GLUED: dict[str, object] = {}  # what was glued without MyST-NB, by name


def glue(name: str, value, display: bool = True) -> None:
    """``myst_nb.glue(name, value, display)`` if MyST-NB is installed; otherwise keep
    ``value`` in :data:`GLUED` and show it only when ``display`` is true."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        GLUED[name] = value
        if display:
            from IPython.display import display as show

            show(value)
        return
    myst_glue(name, value, display=display)


def glue_spread(prefix: str, values: Spread | Iterable[float]) -> Spread:
    """Glue ``prefix_median``, ``_low``, ``_high``, ``_mean`` and ``_sd`` of ``values`` (a
    Spread, or one number per seed) with :func:`glue`, hidden; return the Spread."""
    if not isinstance(prefix, str) or not prefix.isidentifier():
        raise ValueError(f"prefix must be a name usable in {{glue:text}}; got {prefix!r}")
    summary = values if isinstance(values, Spread) else spread(values)
    for name, value in summary.named(prefix).items():
        glue(name, value, display=False)
    return summary
