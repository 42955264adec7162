"""Figures for the course, one module per topic; everything is re-exported here.

Colours come from the Okabe-Ito palette (safe under common colour blindness), and series
also differ in line style, so no figure relies on colour alone.
"""

from .core import (
    COLORS,
    DIVERGING_CMAP,
    LINESTYLES,
    PALETTE,
    plot_decision_boundary,
    plot_gradient_sizes,
    plot_loss_curves,
    style_of,
    use_style,
)
from .losses import (
    PREDICTION_LOSSES,
    LossExplorer,
    describe_losses,
    loss_and_gradient,
    plot_logit_gradients,
    plot_losses_vs_prediction,
)

__all__ = [
    "COLORS",
    "DIVERGING_CMAP",
    "LINESTYLES",
    "LossExplorer",
    "describe_losses",
    "PALETTE",
    "PREDICTION_LOSSES",
    "loss_and_gradient",
    "plot_decision_boundary",
    "plot_gradient_sizes",
    "plot_logit_gradients",
    "plot_loss_curves",
    "plot_losses_vs_prediction",
    "style_of",
    "use_style",
]
