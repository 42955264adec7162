"""The chapters' experiments: loss surfaces, descent runs, seed studies, races, evaluations.

Each module is one study a chapter calls. Studies build on the core library
(``backproplab.network``, ``backproplab.training``, ...) and never draw: the figures that show
them live in ``backproplab.plots``.
"""
