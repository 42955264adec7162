"""backproplab: the small, tested NumPy implementation behind the Backprop Lab course."""

__version__ = "0.1.0"
