"""Fixtures shared by the test files."""

import pytest


@pytest.fixture
def full_draws():
    """``full_draws(live_figure)`` -> a list that grows by one on each full draw of that
    figure, that is each time it draws a new background (see ``plots.live.LiveFigure``)."""

    def watch(live_figure) -> list:
        draws = []
        draw = live_figure.figure.canvas.draw

        def counting_draw():
            draws.append(1)
            draw()

        live_figure.figure.canvas.draw = counting_draw
        return draws

    return watch
