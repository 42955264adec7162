"""What the grader asks of assignment 7, and the answers it expects (see scoring.py)."""

import math

import numpy as np
from scoring import Check, Generator, Question

from backproplab import losses
from backproplab.data import make_moons
from backproplab.network import MLP
from backproplab.studies import evaluation
from backproplab.training import minibatches, train


def l2_reference(rng):
    """A random MLP's parameters and data gradients, and what backproplab's train does with
    them and an L2 term: (loss, params, grads, lam) and (total loss, the gradients it used)."""
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 3, size=6)
    lam, lr = rng.uniform(0.01, 0.2), 0.1
    model = MLP([3, 5, 3], seed=int(rng.integers(1 << 30)))
    for p in model.params:
        if p.ndim == 1:  # biases start at zero: give them values, so that a penalty on them shows
            p += rng.normal(size=p.shape)
    start = [p.copy() for p in model.params]
    probe = model.copy()
    data_loss = probe.loss_and_grads(X, y, "softmax_cross_entropy")
    grads = [g.copy() for g in probe.grads]
    history = train(model, X, y, loss="softmax_cross_entropy", optimizer="sgd", lr=lr,
                    epochs=1, l2=lam)
    used = [(before - after) / lr for before, after in zip(start, model.params, strict=True)]
    return (data_loss, start, grads, lam), (history.loss[0], used)


def early_stopping_runs(rng, patiences):
    """For each patience: every epoch's validation loss of a full run (backproplab's train on
    noisy moons, no early stopping), and (best_epoch, stopped_epoch) of the same run with
    early stopping, which sees the same losses up to the epoch it stops in."""
    seed = int(rng.integers(1 << 30))
    X, y = make_moons(60, noise=0.35, seed=seed)
    validation = make_moons(60, noise=0.35, seed=seed + 1)

    def run(**kwargs):
        return train(MLP([2, 16, 16, 2], seed=seed), X, y, loss="softmax_cross_entropy",
                     optimizer="adam", lr=0.05, epochs=60, batch_size=20, seed=seed,
                     validation=validation, **kwargs)

    full = run().val_loss
    cases = []
    for patience in patiences:
        history = run(early_stopping=patience)
        seen = history.stopped_epoch + 1
        assert np.array_equal(history.val_loss[:seen], full[:seen])
        cases.append((patience, [float(v) for v in full],
                      [history.best_epoch, history.stopped_epoch]))
    return cases


def stopping_epochs(val_losses, patience):
    """(best_epoch, stopped_epoch) by the question's definition, epoch by epoch: a counter of
    epochs since the last strict improvement, training stops when it reaches `patience`."""
    best, since = 0, 0
    for epoch in range(1, len(val_losses)):
        if val_losses[epoch] < min(val_losses[:epoch]):
            best, since = epoch, 0
        else:
            since += 1
        if since == patience:
            return [best, epoch]
    return [best, len(val_losses) - 1]


def questions(rng: np.random.Generator) -> list[Question]:
    big = np.array([[1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0]])
    labels_big = np.array([0, 2])
    zeros, labels_zeros = np.zeros((2, 4)), np.array([1, 3])
    logits, y = rng.normal(scale=3.0, size=(8, 10)), rng.integers(0, 10, size=8)

    W, b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([5.0, 6.0])
    hand_l2 = (2.0, [W, b], [np.zeros((2, 2)), np.ones(2)], 0.1)
    l2_args, (l2_total, l2_grads) = l2_reference(rng)

    seed7, seed5, seed50 = (int(s) for s in rng.integers(1 << 30, size=3))
    order7 = np.random.default_rng(seed7).permutation(7)
    reference_rng = np.random.default_rng(seed50)
    epochs = [[b for (b,) in minibatches(np.arange(50), batch_size=16, rng=reference_rng)]
              for _ in range(3)]

    y_true, y_pred = np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2])
    hand_matrix = evaluation.confusion_matrix(y_true, y_pred, n_classes=4)
    t300, p300 = rng.integers(0, 10, size=300), rng.integers(0, 10, size=300)
    t_gap = rng.choice([0, 1, 3], size=40)  # class 2 and 4 have no samples
    p_gap = np.where(rng.random(40) < 0.6, t_gap, rng.integers(0, 5, size=40))
    counts = rng.integers(0, 20, size=(5, 5))

    hand_stops = [([1.0, 0.8, 0.9, 0.85, 0.95, 0.7], 3, [1, 4]),
                  ([1.0, 0.8, 0.9, 0.85, 0.95, 0.7], 4, [5, 5]),
                  ([0.5, 0.5, 0.5], 2, [0, 2]),
                  ([1.0, 2.0, 0.5], 1, [0, 1]),
                  ([3.0, 2.0, 1.0], 10, [2, 2]),
                  ([4.0], 1, [0, 0])]
    hand_what = ["a rise after epoch 1, patience 3", "the same losses, patience 4",
                 "equal losses", "patience 1", "a loss that always falls", "a single epoch"]
    plateaus = [[float(v) for v in rng.integers(0, 4, size=15)] for _ in range(3)]
    return [
        Question("q1_softmax_cross_entropy", [
            Check("softmax_cross_entropy on logits of +-1000", "softmax_cross_entropy",
                  (big, labels_big), 1000.0),
            Check("softmax_cross_entropy_grad on logits of +-1000", "softmax_cross_entropy_grad",
                  (big, labels_big), losses.softmax_cross_entropy_grad(big, labels_big),
                  points=0.5),
            Check("softmax_cross_entropy on all-zero (2, 4) logits", "softmax_cross_entropy",
                  (zeros, labels_zeros), math.log(4), points=0.25),
            Check("softmax_cross_entropy_grad on all-zero (2, 4) logits",
                  "softmax_cross_entropy_grad", (zeros, labels_zeros),
                  losses.softmax_cross_entropy_grad(zeros, labels_zeros), points=0.25),
            Check("softmax_cross_entropy on random (8, 10) logits of scale 3",
                  "softmax_cross_entropy", (logits, y), losses.softmax_cross_entropy(logits, y),
                  points=0.75),
            Check("[softmax_cross_entropy_grad(logits, y), logits after the call] on random "
                  "(8, 10) logits: logits must be left unchanged", "softmax_cross_entropy_grad",
                  (logits, y), [losses.softmax_cross_entropy_grad(logits, y), logits],
                  points=1.25, inputs=True, part=([[0], [1]],)),
        ]),
        Question("q2_l2_penalty", [
            Check("total_loss of add_l2(2.0, [W, b], [zeros, ones], 0.1) for a 2x2 W",
                  "add_l2", hand_l2, 3.5, points=0.5, part=(0,)),
            Check("new_grads[0] (the weight) of that example", "add_l2", hand_l2, 0.1 * W,
                  points=0.25, part=(1, 0)),
            Check("new_grads[1] (the bias) of that example", "add_l2", hand_l2, np.ones(2),
                  points=0.25, part=(1, 1)),
            Check("total_loss of add_l2 on a random 3-5-3 network's parameters and gradients",
                  "add_l2", l2_args, l2_total, points=0.5, part=(0,)),
            Check("[new_grads[0], params[0] after the call, grads[0] after the call] on the "
                  "random network: params and grads must be left unchanged", "add_l2", l2_args,
                  [l2_grads[0], l2_args[1][0], l2_args[2][0]], points=0.5, inputs=True,
                  part=([[0, 1, 0], [2, 0], [3, 0]],)),
        ] + [
            Check(f"new_grads[{k}] ({what}) of add_l2 on the random network", "add_l2", l2_args,
                  l2_grads[k], points=points, part=(1, k))
            for k, what, points in [(1, "a bias", 0.25), (2, "a weight", 0.5), (3, "a bias", 0.25)]
        ]),
        Question("q3_minibatch_indices", [
            Check("the first two batches of minibatch_indices(7, 3, rng)", "minibatch_indices",
                  (7, 3, Generator(seed7)), [order7[:3], order7[3:6]], points=0.5,
                  part=([[0], [1]],)),
            Check("the last batch of minibatch_indices(7, 3, rng)", "minibatch_indices",
                  (7, 3, Generator(seed7)), order7[6:], points=0.25, part=(2,)),
            Check("the number of batches of minibatch_indices(5, 5, rng)", "minibatch_indices",
                  (5, 5, Generator(seed5)), 1, points=0.25, length=True),
            Check("the full batches of three epochs of minibatch_indices(50, 16, rng), one rng",
                  "minibatch_indices", (50, 16, Generator(seed50)),
                  [epochs[e][k] for e in range(3) for k in range(3)], points=1.5, calls=3,
                  part=([[e, k] for e in range(3) for k in range(3)],)),
            Check("the last batches of those three epochs", "minibatch_indices",
                  (50, 16, Generator(seed50)), [epochs[e][3] for e in range(3)], points=0.5,
                  calls=3, part=([[e, 3] for e in range(3)],)),
        ]),
        Question("q4_confusion_matrix", [
            Check("confusion_matrix on 6 hand-written labels, 4 classes", "confusion_matrix",
                  (y_true, y_pred, 4), hand_matrix, points=0.75),
            Check("accuracy_from_matrix of that matrix", "accuracy_from_matrix", (hand_matrix,),
                  4 / 6, points=0.5),
            Check("confusion_matrix of 300 random labels, 10 classes", "confusion_matrix",
                  (t300, p300, 10), evaluation.confusion_matrix(t300, p300, n_classes=10)),
            Check("confusion_matrix of 40 random labels, 5 classes, two with no samples",
                  "confusion_matrix", (t_gap, p_gap, 5),
                  evaluation.confusion_matrix(t_gap, p_gap, n_classes=5), points=0.25),
            Check("accuracy_from_matrix of a random (5, 5) count matrix", "accuracy_from_matrix",
                  (counts,), np.trace(counts) / np.sum(counts), points=0.5),
        ]),
        Question("q5_early_stopping", [
            Check(f"early_stopping on {what}", "early_stopping", (list(losses_), patience),
                  expected, points=0.25)
            for (losses_, patience, expected), what in zip(hand_stops, hand_what, strict=True)
        ] + [
            Check(f"early_stopping(val_losses, {patience}) on every epoch's validation loss of "
                  "a 60-epoch training run", "early_stopping", (val_losses, patience), expected,
                  points=points)
            for (patience, val_losses, expected), points
            in zip(early_stopping_runs(rng, (2, 4, 7)), (0.5, 0.5, 0.75), strict=True)
        ] + [
            Check(f"early_stopping(val_losses, {patience}) on 15 random losses with many ties",
                  "early_stopping", (losses_, patience), stopping_epochs(losses_, patience),
                  points=0.25)
            for losses_, patience in zip(plateaus, (2, 3, 4), strict=True)
        ]),
    ]
