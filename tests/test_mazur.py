"""Tests of backproplab.studies.mazur: Mazur's 2-2-2 walkthrough, one step, digit for digit.

The expected digits are typed here from Mazur's post ("A Step by Step Backpropagation
Example", 2015), not taken from the code. The gradients are also checked against central
differences of E, and the summed hidden gradient term by term against central differences of
each output's own error.
"""

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest

from backproplab.gradcheck import numerical_gradient, relative_error
from backproplab.network import MLP
from backproplab.optimizers import SGD
from backproplab.studies import mazur
from backproplab.studies.reference_runs import HALF_SSE, matches_printed
from backproplab.studies.stepthrough import record_pass

# As printed in the post (its w1+ is 0.149780716, often quoted as 0.14978072).
POST = {
    "out_o1": "0.75136507", "out_o2": "0.772928465", "E_total": "0.298371109",
    "delta_o1": "0.138498562", "dE_dw5": "0.082167041",
    "dEo1_douth1": "0.055399425", "dEo2_douth1": "-0.019049119", "dE_douth1": "0.036350306",
    "dE_dw1": "0.000438568",
    "w5_new": "0.35891648", "w6_new": "0.408666186", "w7_new": "0.511301270",
    "w8_new": "0.561370121", "w1_new": "0.149780716", "w2_new": "0.19956143",
    "w3_new": "0.24975114", "w4_new": "0.29950229", "E_total_after": "0.291027924",
}
# The two figures that exact arithmetic does not round to (explained in the tests below).
OFF = {"dEo2_douth1", "E_total_after"}


def sigmoid(t):
    return 1.0 / (1.0 + np.exp(-t))


def one_step():
    """(record before, record after) of Mazur's step: weights move, biases stay."""
    net = mazur.network()
    before = record_pass(net, mazur.X, mazur.Y, loss=HALF_SSE)
    layers = net.dense_layers()
    SGD([layer.W for layer in layers], lr=mazur.LR).step([layer.grads["W"] for layer in layers])
    return before, record_pass(net, mazur.X, mazur.Y, loss=HALF_SSE)


def test_the_published_table_is_the_post():
    assert mazur.PUBLISHED == POST


def test_the_setup_is_mazurs_wiring():
    names = mazur.weights_by_name(mazur.network())
    assert names == {"w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30,
                     "w5": 0.40, "w6": 0.45, "w7": 0.50, "w8": 0.55}
    # His net_h1 = w1 i1 + w2 i2 + b1 = 0.3775, and out_h2 = 0.596884378 needs net_h2 = 0.3925.
    record = record_pass(mazur.network(), mazur.X, mazur.Y, loss=HALF_SSE)
    assert record.z[1][0] == pytest.approx(0.15 * 0.05 + 0.20 * 0.10 + 0.35, abs=1e-15)
    assert matches_printed(record.a[1][0], "0.593269992")
    assert matches_printed(record.a[1][1], "0.596884378")
    assert mazur.LR == 0.5 and list(mazur.Y) == [0.01, 0.99]


@pytest.mark.parametrize("key", sorted(set(POST) - OFF))
def test_every_other_figure_rounds_to_the_printed_digits(key):
    ours = mazur.as_published(*one_step())
    decimals = len(POST[key].partition(".")[2])
    assert matches_printed(ours[key], POST[key])
    assert abs(ours[key] - float(POST[key])) <= 0.5 * 10.0**-decimals


def test_e_total_is_the_sum_of_half_squared_errors_written_out():
    h = sigmoid(mazur.X @ mazur.W1 + mazur.B1)
    out = sigmoid(h @ mazur.W2 + mazur.B2)
    by_hand = 0.5 * (0.01 - out[0]) ** 2 + 0.5 * (0.99 - out[1]) ** 2
    before, _ = one_step()
    assert before.loss == pytest.approx(by_hand, rel=1e-15)
    assert abs(before.loss - 0.298371109) < 5e-10


def test_every_gradient_matches_central_differences_of_e():
    net = mazur.network()
    record = record_pass(net, mazur.X, mazur.Y, loss=HALF_SSE)

    def E():
        return HALF_SSE.value(net.forward(mazur.X[None, :]), mazur.Y[None, :])

    for analytic, param in zip([record.dW[1], record.db[1], record.dW[2], record.db[2]],
                               net.params, strict=True):
        assert relative_error(analytic, numerical_gradient(E, param)) < 1e-7
    numeric_W1 = numerical_gradient(E, net.params[0])
    assert abs(numeric_W1[0, 0] - 0.000438568) < 5e-10  # dE/dw1, independently of backprop


def test_the_hidden_gradient_sums_what_each_output_sends_back():
    record = record_pass(mazur.network(), mazur.X, mazur.Y, loss=HALF_SSE)
    a1 = record.a[1].copy()

    def error_of(k):
        return lambda: 0.5 * (mazur.Y[k] - sigmoid(a1 @ mazur.W2[:, k] + mazur.B2[k])) ** 2

    from_o1 = numerical_gradient(error_of(0), a1)[0]  # dE_o1/dout_h1
    from_o2 = numerical_gradient(error_of(1), a1)[0]  # dE_o2/dout_h1
    assert abs(from_o1 - 0.055399425) < 5e-10 and abs(from_o2 - -0.019049119) < 1e-9
    assert from_o1 > 0 > from_o2
    assert record.da[1][0] == pytest.approx(from_o1 + from_o2, abs=1e-10)
    assert abs(record.da[1][0] - 0.036350306) < 5e-10
    # With one output only, the hidden gradient would be the first term alone.
    assert abs(record.da[1][0] - from_o1) > 0.01


def test_the_last_digit_of_de_o2_douth1_comes_from_rounding_delta_o2_first():
    ours = mazur.as_published(*one_step())
    exact = Decimal(repr(ours["dEo2_douth1"]))
    assert exact.quantize(Decimal("1e-9"), ROUND_HALF_UP) == Decimal("-0.019049118")
    # Mazur rounds delta_o2 to nine decimals (-0.038098237), then multiplies by w7 = 0.50.
    delta_o2 = Decimal(repr(ours["dEo2_douth1"] / 0.50)).quantize(Decimal("1e-9"), ROUND_HALF_UP)
    assert delta_o2 == Decimal("-0.038098237")
    printed = (delta_o2 * Decimal("0.50")).quantize(Decimal("1e-9"), ROUND_HALF_UP)
    assert str(printed) == POST["dEo2_douth1"]


def test_the_step_leaves_the_biases_and_its_loss_is_not_the_printed_one():
    before, after = one_step()
    np.testing.assert_array_equal(after.b[1], [0.35, 0.35])
    np.testing.assert_array_equal(after.b[2], [0.60, 0.60])
    np.testing.assert_allclose(after.W[2], mazur.W2 - 0.5 * np.outer(before.a[1], before.delta[2]),
                               rtol=0, atol=1e-15)
    # His printed new weights give our loss: their rounding does not explain 0.291027924.
    W1p = np.array([[0.149780716, 0.24975114], [0.19956143, 0.29950229]])
    W2p = np.array([[0.35891648, 0.511301270], [0.408666186, 0.561370121]])
    out = sigmoid(sigmoid(mazur.X @ W1p + mazur.B1) @ W2p + mazur.B2)
    printed_weights_loss = 0.5 * np.sum((mazur.Y - out) ** 2)
    assert abs(printed_weights_loss - after.loss) < 1e-8
    assert abs(after.loss - 0.291027924) > 1e-7
    # It is reproduced by backpropagating the hidden deltas through the updated output weights.
    delta1 = (before.delta[2] @ after.W[2].T) * before.a[1] * (1 - before.a[1])
    W1_seq = mazur.W1 - 0.5 * np.outer(mazur.X, delta1)
    out = sigmoid(sigmoid(mazur.X @ W1_seq + mazur.B1) @ after.W[2] + mazur.B2)
    assert matches_printed(0.5 * np.sum((mazur.Y - out) ** 2), POST["E_total_after"])
    assert not matches_printed(W1_seq[0, 0], POST["w1_new"])


def test_updating_the_biases_too_changes_the_loss_but_not_the_new_weights():
    _, after = one_step()
    net = mazur.network()
    record_pass(net, mazur.X, mazur.Y, loss=HALF_SSE)
    SGD(net.params, lr=mazur.LR).step(net.grads)
    assert mazur.weights_by_name(net) == pytest.approx(mazur.weights_by_name(after), abs=1e-16)
    both = record_pass(net, mazur.X, mazur.Y, loss=HALF_SSE).loss
    assert both < after.loss - 0.005
    assert net.params[1][0] != net.params[1][1]  # one bias per unit: they no longer agree


def test_the_mean_over_outputs_would_take_half_the_step():
    net = mazur.network()
    record_pass(net, mazur.X, mazur.Y, loss="half_mse")
    SGD(net.params[0::2], lr=mazur.LR).step(net.grads[0::2])
    assert not matches_printed(mazur.weights_by_name(net)["w5"], POST["w5_new"])
    assert abs(mazur.weights_by_name(net)["w5"] - (0.40 - 0.25 * 0.082167041)) < 1e-9


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="2-2-2"):
        mazur.weights_by_name(MLP([2, 3, 1], seed=0))
    with pytest.raises(TypeError, match="Sequential or a PassRecord"):
        mazur.weights_by_name([mazur.W1, mazur.W2])
    before, _ = one_step()
    with pytest.raises(TypeError, match="after must be a PassRecord"):
        mazur.as_published(before, mazur.network())
    assert mazur.network().params[0] is not mazur.network().params[0]
