"""Numbers for the prose: a spread over seeds glued as the statistics the text quotes.

A chapter states a claim drawn from training runs as a median and range, or a mean ± sd
(``backproplab.studies.seeds``). :func:`glue_spread` glues all five statistics of one
:class:`~backproplab.studies.seeds.Spread` under one prefix, so that the text can write
``{glue:text}`acc_median:.1%``` and ``{glue:text}`acc_low:.1%```.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..studies.seeds import Spread, spread


def glue_spread(prefix: str, values: Spread | Iterable[float]) -> Spread:
    """Glue ``prefix_median``, ``_low``, ``_high``, ``_mean`` and ``_sd`` of ``values`` (a
    Spread, or one number per seed) with ``myst_nb.glue``, hidden; return the Spread."""
    from myst_nb import glue  # the book's glue: needed only where the book is built

    if not isinstance(prefix, str) or not prefix.isidentifier():
        raise ValueError(f"prefix must be a name usable in {{glue:text}}; got {prefix!r}")
    summary = values if isinstance(values, Spread) else spread(values)
    for name, value in summary.named(prefix).items():
        glue(name, value, display=False)
    return summary
