"""glue_spread glues the five statistics of a spread, each under its own name."""

import statistics

import myst_nb
import pytest

from backproplab.plots.glue import glue_spread
from backproplab.studies.seeds import spread


@pytest.fixture
def glued(monkeypatch):
    calls = {}

    def fake_glue(name, value, display=True):
        assert display is False  # numbers for the prose are never shown as outputs
        calls[name] = value

    monkeypatch.setattr(myst_nb, "glue", fake_glue)
    return calls


def test_glue_spread_glues_median_range_mean_and_sd(glued):
    values = [0.9, 0.5, 0.7, 0.8]
    summary = glue_spread("acc", values)
    assert glued == {"acc_median": statistics.median(values), "acc_low": 0.5, "acc_high": 0.9,
                     "acc_mean": pytest.approx(statistics.fmean(values)),
                     "acc_sd": pytest.approx(statistics.stdev(values))}
    assert list(summary.values) == values


def test_glue_spread_takes_a_spread_as_it_is(glued):
    s = spread([1.0, 3.0])
    assert glue_spread("x", s) is s and glued["x_mean"] == 2.0


@pytest.mark.parametrize("prefix", ["", "two words", "1st", 7])
def test_glue_spread_rejects_a_prefix_that_is_no_name(glued, prefix):
    with pytest.raises(ValueError, match="prefix"):
        glue_spread(prefix, [1.0])


def test_glue_uses_myst_nb_where_it_is_installed(glued):
    from backproplab.plots.glue import glue

    glue("lr", 0.5, display=False)
    assert glued == {"lr": 0.5}


def test_glue_without_myst_nb_keeps_the_value_and_raises_nothing(monkeypatch):
    import sys

    from backproplab.plots import glue as module

    monkeypatch.setitem(sys.modules, "myst_nb", None)  # as in a Jupyter without MyST-NB
    monkeypatch.setattr(module, "GLUED", {})
    module.glue("lr", 0.5, display=False)
    module.glue_spread("acc", [0.5, 0.7])
    assert module.GLUED["lr"] == 0.5 and module.GLUED["acc_median"] == 0.6
