"""Runs one submission inside the grading sandbox; never imported by the grader itself.

    python harness.py JOB.json FD      (inside the sandbox started by sandbox.py)

JOB.json holds the submission's code cells and the probes: calls of the student's functions on
grader-chosen inputs. The harness runs every cell in one IPython shell (a cell that raises is
reported and the next one runs), then, on the final definitions, calls each probe and reports
what came back. It reports on file descriptor FD, one JSON object a line:

    {"event": "cell", "index": i}                       cell i starts
    {"event": "cell_error", "index": i, "error": "..."}
    {"event": "question", "name": q}                    the probes of question q start
    {"event": "probe", "question": q, "index": k, "value": ...} or ..., "error": "..."}
    {"event": "done"}

Values are plain data only (see `plain`): the grader never receives an object of the student's.
Everything here runs with the student's code in the same process, so nothing it reports is
trusted: the grader treats it as the student's answer and nothing more.
"""

import json
import math
import os
import sys
import traceback
import types

MESSAGE_LIMIT = 2000
ELEMENT_LIMIT = 100_000


def report(channel, **event):
    channel.write(json.dumps(event, allow_nan=True) + "\n")
    channel.flush()


def error_text(error: BaseException) -> str:
    """The exception as a student reads it: type, message, and the line of their code."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith("<")]
    where = f" (line {frames[-1].lineno} of the cell)" if frames else ""
    text = f"{type(error).__name__}: {error}{where}"
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def decode(value):
    """A probe argument from JSON: {"array": nested lists, "dtype": ...} becomes an ndarray,
    {"dict": {key: value}} a dict, {"generator": seed} a fresh
    np.random.default_rng(seed), and {"function": name, ...} one of the grader functions
    below (`grader_function`), for questions whose argument is a callable."""
    import numpy as np

    if isinstance(value, dict) and "array" in value:
        return np.array(value["array"], dtype=value["dtype"])
    if isinstance(value, dict) and "dict" in value:
        return {key: decode(v) for key, v in value["dict"].items()}
    if isinstance(value, dict) and "generator" in value:
        return np.random.default_rng(value["generator"])
    if isinstance(value, dict) and "function" in value:
        return grader_function(value["function"], decode(value.get("A")), decode(value.get("b")))
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def grader_function(name, A, b):
    """The grader functions a probe can pass as an argument (all public, nothing secret):

    "gradient":  theta -> A @ theta + b, the gradient of 0.5 theta.A.theta + b.theta
    "quadratic": x -> 0.5 v.A.v + b.v with v = x.ravel(), a scalar function of an array x
    "cubic":     x -> sum(A * x**3) + b.x, elementwise weights A and b shaped like x
    """
    import numpy as np

    if name == "gradient":
        return lambda theta: A @ np.asarray(theta, dtype=float) + b
    if name == "quadratic":
        def quadratic(x):
            v = np.asarray(x, dtype=float).ravel()
            return float(0.5 * v @ A @ v + b @ v)
        return quadratic
    if name == "cubic":
        return lambda x: float(np.sum(A * np.asarray(x, dtype=float) ** 3 + b * x))
    raise ValueError(f"unknown grader function {name!r}")


def select(value, probe, args):
    """The part of a call's outcome that a probe asks for (plain data cannot hold a tuple of
    arrays of different shapes, a dict or a generator). "inputs": true looks at
    [result, *arguments] after the call (so that one answer shows both what came back and
    whether an argument was modified); "part" walks into it, one step a key or index, or a
    list of such paths, which gives the list of what each path leads to; "len": true takes
    the length. Iterators (a generator function's result) become lists."""
    if probe.get("inputs"):
        value = [materialise(value), *args]
    value = walk(value, probe.get("part", []))
    if probe.get("len"):
        value = len(value)
    return value


def walk(value, path):
    for index, key in enumerate(path):
        if isinstance(key, list):
            return [walk(value, branch + path[index + 1:]) for branch in key]
        value = materialise(value)
        if value is None or value is Ellipsis:
            raise ValueError("the answer is None: replace the ... with your code")
        try:
            value = value[key]
        except (IndexError, KeyError, TypeError):
            raise ValueError(f"the answer has no part [{key!r}]: it is a "
                             f"{type(value).__name__}; see what the question asks it to return"
                             ) from None
    return materialise(value)


def materialise(value):
    import itertools

    if hasattr(value, "__next__") and not isinstance(value, (list, tuple, dict, str)):
        return list(itertools.islice(value, ELEMENT_LIMIT))
    return value


def plain(value):
    """What a student's function returned, as JSON data: numbers, strings, booleans, None,
    or {"shape": [...], "values": [...]} for anything NumPy reads as a numeric array."""
    import numpy as np

    if value is Ellipsis:
        raise ValueError("the answer is still ...: replace the ... with your code")
    if value is None or isinstance(value, (bool, str)):
        return value if not isinstance(value, str) else value[:MESSAGE_LIMIT]
    if type(value) in (int, float):
        return value if type(value) is int or math.isfinite(value) else repr(value)
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"returned {type(value).__name__}, not a number or an array of numbers")
    if array.size > ELEMENT_LIMIT:
        raise ValueError(f"returned an array of {array.size} elements")
    array = np.array(array, dtype=float)
    return {"shape": list(array.shape),
            "values": [v if math.isfinite(v) else repr(v) for v in array.ravel().tolist()]}


def quiet_otter() -> None:
    """The student's `grader.check(...)` cells give feedback while they work; here they do
    nothing, so that grading never depends on otter or on the tests inside the notebook."""
    otter = types.ModuleType("otter")

    class Notebook:
        def __init__(self, *args, **kwargs):
            pass

        def __getattr__(self, name):
            return lambda *args, **kwargs: None

    otter.Notebook = Notebook
    sys.modules["otter"] = otter


def run(job: dict, channel) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    quiet_otter()
    shell = InteractiveShell.instance()
    for index, source in enumerate(job["cells"]):
        if index in job.get("skip_cells", []):
            continue
        report(channel, event="cell", index=index)
        result = shell.run_cell(source, store_history=False, silent=True)
        error = result.error_before_exec or result.error_in_exec
        if error is not None:
            report(channel, event="cell_error", index=index, error=error_text(error))
    for question in job["questions"]:
        if question["name"] in job.get("skip_questions", []):
            continue
        report(channel, event="question", name=question["name"])
        for index, probe in enumerate(question["probes"]):
            answer = {"event": "probe", "question": question["name"], "index": index}
            try:
                target = shell.user_ns.get(probe["name"], Missing)
                if target is Missing:
                    raise NameError(f"{probe['name']} is not defined: define it and run its cell")
                if "args" in probe:
                    args = decode(probe["args"])
                    target = [materialise(target(*args)) for _ in range(probe.get("calls", 1))]
                    target = select(target[0] if "calls" not in probe else target, probe, args)
                answer["value"] = plain(target)
            except BaseException as error:  # the student's code may raise anything at all
                answer["error"] = error_text(error)
            report(channel, **answer)
    report(channel, event="done")


class Missing:
    pass


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as file:
        job = json.load(file)
    channel = os.fdopen(int(sys.argv[2]), "w", encoding="utf-8")
    os.close(0)
    run(job, channel)
    os._exit(0)  # whatever the student's code left running (threads, atexit hooks) ends here


if __name__ == "__main__":
    main()
