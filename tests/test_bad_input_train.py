"""train() rejects bad input up front, with an error that names the argument."""

import numpy as np
import pytest

from backproplab.network import MLP
from backproplab.optimizers import SGD
from backproplab.training import train

rng = np.random.default_rng(0)
X = rng.normal(size=(12, 2))
Y_REG = rng.normal(size=(12, 1))
LABELS = np.arange(12) % 3


def regression_model():
    return MLP([2, 4, 1], activation="tanh", seed=0)


def classifier():
    return MLP([2, 4, 3], activation="tanh", seed=0)


Y_NAN = Y_REG.copy()
Y_NAN[3, 0] = np.nan
X_NAN = X.copy()
X_NAN[0, 1] = np.inf

# (case id, model factory, keyword arguments for train, error type, pattern naming the argument)
CASES = [
    ("X/y length mismatch", regression_model, {"y": Y_REG[:-1]}, ValueError,
     r"^y must have 12 rows"),
    ("y wrong number of columns", regression_model, {"y": np.zeros((12, 2))}, ValueError,
     r"^y must have shape \(12, 1\)"),
    ("class label out of range", classifier,
     {"y": np.where(LABELS == 2, 3, LABELS), "loss": "softmax_cross_entropy"}, ValueError,
     r"^y must hold integer class labels in \[0, 3\)"),
    ("non-integer class label", classifier, {"y": LABELS + 0.5, "loss": "softmax_cross_entropy"},
     ValueError, r"^y must hold integer class labels"),
    ("bce target outside [0, 1]", regression_model, {"y": 2 * np.ones((12, 1)), "loss": "bce"},
     ValueError, r"^y must hold targets in \[0, 1\]"),
    ("NaN in y", regression_model, {"y": Y_NAN}, ValueError, r"^y must contain only finite"),
    ("inf in X", regression_model, {"X": X_NAN}, ValueError, r"^X must contain only finite"),
    ("X 1-D", regression_model, {"X": X[:, 0]}, ValueError, r"^X must be a 2-D array"),
    ("X wrong number of features", regression_model, {"X": np.ones((12, 3))}, ValueError,
     r"^X must have 2 columns"),
    ("batch_size 0", regression_model, {"batch_size": 0}, ValueError, r"^batch_size must be"),
    ("batch_size > n", regression_model, {"batch_size": 13}, ValueError,
     r"^batch_size must be at most the number of samples \(12\)"),
    ("batch_size float", regression_model, {"batch_size": 4.0}, TypeError, r"^batch_size must"),
    ("epochs 0", regression_model, {"epochs": 0}, ValueError, r"^epochs must be a positive"),
    ("negative l2", regression_model, {"l2": -0.1}, ValueError, r"^l2 must be a non-negative"),
    ("lr zero", regression_model, {"lr": 0.0}, ValueError, r"^lr must be a positive"),
    ("lr string", regression_model, {"lr": "0.1"}, TypeError, r"^lr must be"),
    ("unknown loss", regression_model, {"loss": "hinge"}, ValueError, r"unknown loss 'hinge'"),
    ("loss of wrong type", regression_model, {"loss": 3}, TypeError, r"^loss must be"),
    ("unknown optimizer", regression_model, {"optimizer": "adamax"}, ValueError,
     r"unknown optimizer 'adamax'"),
    ("optimizer of wrong type", regression_model, {"optimizer": 1}, TypeError,
     r"^optimizer must be"),
    ("lr inside optimizer_kwargs", regression_model, {"optimizer_kwargs": {"lr": 0.1}},
     ValueError, r"^optimizer_kwargs must not contain 'lr'"),
    ("validation not a pair", regression_model, {"validation": X}, TypeError,
     r"^validation must be a tuple"),
    ("validation X wrong width", regression_model, {"validation": (np.ones((5, 3)), Y_REG[:5])},
     ValueError, r"^validation X must have 2 columns"),
    ("validation y wrong length", regression_model, {"validation": (X[:5], Y_REG[:4])},
     ValueError, r"^validation y must have 5 rows"),
    ("early stopping without validation", regression_model, {"early_stopping": 3}, ValueError,
     r"^early_stopping needs validation"),
    ("early stopping zero", regression_model,
     {"early_stopping": 0, "validation": (X, Y_REG)}, ValueError, r"^early_stopping must be"),
    ("negative clip_norm", regression_model, {"clip_norm": -1.0}, ValueError, r"^clip_norm must"),
    ("zero clip_value", regression_model, {"clip_value": 0}, ValueError, r"^clip_value must"),
    ("schedule not callable", regression_model, {"schedule": 0.1}, TypeError,
     r"^schedule must be callable"),
    ("schedule returns zero", regression_model, {"schedule": lambda epoch: 0.0}, ValueError,
     r"^schedule must return a positive learning rate"),
    ("callback not callable", regression_model, {"callback": "print"}, TypeError,
     r"^callback must be callable"),
    ("shuffle not a bool", regression_model, {"shuffle": "yes"}, TypeError, r"^shuffle must be"),
    ("seed and rng together", regression_model, {"seed": 1, "rng": np.random.default_rng(1)},
     ValueError, r"rng or seed"),
]


@pytest.mark.parametrize(
    ("make_model", "overrides", "error", "pattern"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_train_rejects_bad_input_naming_the_argument(make_model, overrides, error, pattern):
    model = make_model()
    before = [p.copy() for p in model.params]
    kwargs = {"X": X, "y": Y_REG, "epochs": 2, **overrides}
    with pytest.raises(error, match=pattern):
        train(model, **kwargs)
    for p, q in zip(model.params, before, strict=True):  # nothing was trained
        np.testing.assert_array_equal(p, q)


def test_model_must_be_a_network():
    with pytest.raises(TypeError, match=r"^model must be a backproplab Sequential"):
        train(object(), X, Y_REG)


def test_optimizer_instance_must_hold_the_model_parameters():
    model = regression_model()
    other = SGD(regression_model().params, lr=0.1)
    with pytest.raises(ValueError, match=r"^optimizer must be built on model.params"):
        train(model, X, Y_REG, optimizer=other)


def test_valid_baseline_call_trains():
    # the same arguments without the bad one do train: the cases above fail for their own reason
    model = regression_model()
    before = [p.copy() for p in model.params]
    history = train(model, X, Y_REG, epochs=2, validation=(X[:5], Y_REG[:5]), early_stopping=3)
    assert len(history.loss) == 2
    assert not all(np.array_equal(p, q) for p, q in zip(model.params, before, strict=True))
    labels_history = train(classifier(), X, LABELS, loss="softmax_cross_entropy", epochs=2)
    assert len(labels_history.accuracy) == 2
