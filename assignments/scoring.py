"""Score a submission's answers: the trusted half of grading.

This process never imports or runs a student's code. It chooses the inputs (`Check.probe`),
computes what the answers must be with `backproplab` (`Check.expected`), and compares them
with what the sandbox handed back as plain JSON data (`sandbox.Outcome.answers`). Each
assignment's checks are in `assignments/<assignment>/checks.py`, as a function
`questions(rng) -> list[Question]`; `rng` is drawn afresh for every grading run, so no input
can be known in advance.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


@dataclass
class Check:
    """One call of the student's code and the answer it must give.

    what: how the student reads it ("mse_grad on a random (4, 3) batch").
    name: the function (or variable) to look up after the notebook's last cell.
    args: the arguments to call it with (arrays, numbers); None reads `name` as a value.
    expected: the answer, computed here; a number or an array of numbers.
    """

    what: str
    name: str
    args: tuple | None
    expected: object
    points: float = 1.0
    rtol: float = 1e-7
    atol: float = 1e-10
    # Which part of the call's outcome is the answer (see harness.select): part walks into the
    # result (a tuple's index, a dict's key; a list of paths gives a list), inputs makes it
    # [result, *arguments after the call], length takes len(...), calls > 1 calls the
    # function that many times on the same arguments (one random generator drawn from
    # repeatedly) and answers the list of results.
    part: tuple = ()
    inputs: bool = False
    length: bool = False
    calls: int = 1

    def probe(self) -> dict:
        if self.args is None:
            return {"name": self.name}
        probe = {"name": self.name, "args": [encode(a) for a in self.args]}
        if self.part:
            probe["part"] = list(self.part)
        if self.inputs:
            probe["inputs"] = True
        if self.length:
            probe["len"] = True
        if self.calls != 1:
            probe["calls"] = self.calls
        return probe


@dataclass
class Question:
    name: str
    checks: list[Check]

    @property
    def points(self) -> float:
        return sum(check.points for check in self.checks)

    def probes(self) -> dict:
        return {"name": self.name, "probes": [check.probe() for check in self.checks]}


@dataclass
class Score:
    points: dict[str, float] = field(default_factory=dict)  # question -> points scored
    failures: list[str] = field(default_factory=list)  # messages the student can read


@dataclass
class Generator:
    """An argument that becomes np.random.default_rng(seed) in the sandbox."""

    seed: int


@dataclass
class Function:
    """An argument that becomes one of harness.grader_function's functions in the sandbox."""

    name: str
    A: object = None
    b: object = None


def encode(value):
    """An argument as JSON for the sandbox (see harness.decode)."""
    if isinstance(value, Generator):
        return {"generator": int(value.seed)}
    if isinstance(value, Function):
        return {"function": value.name, "A": encode(value.A), "b": encode(value.b)}
    if isinstance(value, dict):
        return {"dict": {str(key): encode(v) for key, v in value.items()}}
    if isinstance(value, np.ndarray):
        return {"array": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def decode_answer(value) -> np.ndarray:
    """A student's answer (plain JSON data) as a float array; ValueError if it is not one."""
    if isinstance(value, dict) and set(value) == {"shape", "values"}:
        shape, values = value["shape"], value["values"]
        if not (isinstance(shape, list) and all(isinstance(n, int) and n >= 0 for n in shape)
                and isinstance(values, list) and len(values) == int(np.prod(shape))):
            raise ValueError("an answer that is not a well-formed array")
        return np.array([_number(v) for v in values], dtype=float).reshape(shape)
    return np.array(_number(value), dtype=float)


def _number(v) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise ValueError(f"{type(v).__name__} where a number was expected")
    if isinstance(v, str):
        if v not in ("nan", "inf", "-inf"):
            raise ValueError("text where a number was expected")
        return float(v)
    return float(v)


def compare(check: Check, answer: dict) -> str | None:
    """None if `answer` (from the sandbox) is right, else what is wrong, for the student."""
    if "error" in answer:
        return f"{check.what}: {answer['error']}"
    if answer.get("value") is None:
        return f"{check.what}: the answer is None (replace the ... with your code)"
    try:
        got = decode_answer(answer["value"])
    except ValueError as error:
        return f"{check.what}: {error}"
    expected = np.asarray(check.expected, dtype=float)
    if got.shape != expected.shape:
        return f"{check.what}: expected shape {expected.shape}, got {got.shape}"
    if not np.all(np.isfinite(got)):
        return f"{check.what}: the answer contains nan or inf"
    if not np.allclose(got, expected, rtol=check.rtol, atol=check.atol):
        error = float(np.max(np.abs(got - expected)))
        return (f"{check.what}: off by up to {error:.3g} "
                f"(allowed {check.atol:g} + {check.rtol:g} × the size of the answer)")
    return None


def score(questions: list[Question], answers: dict[str, list], stopped: dict[str, str]) -> Score:
    """Points per question, each capped at its points because it is a sum of its checks."""
    result = Score()
    for question in questions:
        got = answers.get(question.name)
        if got is None:
            result.points[question.name] = 0.0
            why = stopped.get(question.name, "no answer (the notebook did not get this far)")
            result.failures.append(f"{question.name}: {why}")
            continue
        earned = 0.0
        padded = got + [{"error": "no answer"}] * len(question.checks)
        for check, answer in zip(question.checks, padded[:len(question.checks)], strict=True):
            problem = compare(check, answer)
            if problem is None:
                earned += check.points
            else:
                result.failures.append(f"{question.name}: {problem}")
        result.points[question.name] = earned
    return result


def load_questions(assignment: str, rng: np.random.Generator) -> list[Question]:
    """The checks of `assignment` (a folder name in assignments/), for inputs drawn from rng."""
    path = HERE / assignment / "checks.py"
    spec = importlib.util.spec_from_file_location(f"checks_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.questions(rng)
