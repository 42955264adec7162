"""Run one submission's code in a sandbox and collect its answers as plain data.

The untrusted half of grading. `run_submission` starts `harness.py` under bubblewrap:

- as an unprivileged user (nobody when the grader is root; otherwise the grader's own user,
  mapped to an unprivileged uid), with no network, its own PID, IPC and UTS namespaces, a
  private /tmp, and a read-only view of the system and of Python: not of this repository, so
  the solutions, the hidden tests, `backproplab`, the other submissions and the output CSV
  do not exist inside;
- with limits on memory, on the number of processes and on the cores used that hold for the
  whole process tree (a cgroup, where the grader may create one), and memory and CPU-time
  limits for each process (rlimits);
- watched from outside: the harness announces each cell and each question on a pipe, and the
  sandbox is killed as a whole (every process in its PID namespace) when one overruns its
  time. The run then starts again without that cell or question, so the rest keeps its credit.

What comes back is parsed as JSON and nothing else: numbers, strings and lists.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HARNESS = Path(__file__).resolve().parent / "harness.py"
NOBODY = 65534
REPORT_LIMIT = 8 * 2**20  # bytes of events read from one run
MAX_RESTARTS = 8

_running: set = set()  # every sandbox now running, for stop_all
_stopping = threading.Event()
_lock = threading.Lock()


class Stopped(Exception):
    """Grading was stopped (Ctrl-C) while this submission ran."""


def stop_all() -> None:
    """Kill every running sandbox now and start no new one (for Ctrl-C)."""
    _stopping.set()
    with _lock:
        running = list(_running)
    for process in running:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


@dataclass
class Limits:
    """Per-submission limits: seconds for one cell, for one question's probes and for the
    whole submission (all restarts together); memory in GB, processes and cores for the whole
    tree (where a cgroup can be made; else memory and CPU seconds per process)."""

    cell_seconds: float = 60.0
    question_seconds: float = 20.0
    submission_seconds: float = 600.0
    memory_gb: float = 4.0
    processes: int = 64
    cpus: float = 1.0  # cores the whole tree may use at once


@dataclass
class Outcome:
    """What a submission's run produced, all of it plain data."""

    answers: dict = field(default_factory=dict)  # question -> list of {"value"} or {"error"}
    cell_errors: dict = field(default_factory=dict)  # cell index -> message
    stopped: list = field(default_factory=list)  # messages about what was stopped, and why
    finished: bool = False


def available() -> bool:
    return shutil.which("bwrap") is not None


def _python_roots() -> list[Path]:
    """The folders the sandbox needs to run this Python and its installed packages."""
    executable = Path(os.path.realpath(sys.executable))
    return sorted({Path(sys.prefix), Path(sys.base_prefix), executable.parents[1]})


def _system_mounts() -> list[str]:
    args = []
    for folder in ("/usr", "/etc", "/lib", "/lib64", "/bin", "/sbin"):
        path = Path(folder)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), folder]
        elif path.is_dir():
            args += ["--ro-bind", folder, folder]
    if Path("/etc/shadow").exists():
        args += ["--ro-bind", "/dev/null", "/etc/shadow"]
    return args


def command(job_dir: Path, channel: int, stage: Path | None) -> list[str]:
    """The command that runs the harness on `job_dir`/job.json, reporting on fd `channel`.

    As root, the sandbox must still run as nobody, who may not enter the folders that hold
    Python (/root/...). So the command first binds them, read-only, into `stage` inside a
    mount namespace of its own, drops to nobody, and only then starts bubblewrap, which binds
    them from there to their own paths."""
    sources = _python_roots()
    if stage is None:
        binds = [arg for root in sources for arg in ("--ro-bind", str(root), str(root))]
    else:
        binds = [arg for i, root in enumerate(sources)
                 for arg in ("--ro-bind", str(stage / str(i)), str(root))]
    bwrap = [
        "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
        "--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY),
        # /tmp first: the binds after it may lie under /tmp (a checkout or a venv there)
        *_system_mounts(), "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", *binds,
        "--ro-bind", str(HARNESS), "/grader/harness.py",
        "--ro-bind", str(job_dir), "/job",
        "--chdir", "/tmp", "--clearenv",
        "--setenv", "HOME", "/tmp", "--setenv", "PATH", "/usr/bin:/bin",
        "--setenv", "MPLBACKEND", "Agg", "--setenv", "IPYTHONDIR", "/tmp/.ipython",
        "--setenv", "MPLCONFIGDIR", "/tmp/.matplotlib", "--setenv", "OPENBLAS_NUM_THREADS", "1",
        "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
        sys.executable, "-I", "/grader/harness.py", "/job/job.json", str(channel),
    ]
    if stage is None:
        return bwrap
    mounts = [f"mkdir -p {stage / str(i)} && mount --bind -o ro {shlex.quote(str(root))} "
              f"{stage / str(i)}" for i, root in enumerate(sources)]
    drop = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    script = " && ".join(mounts + ["exec " + shlex.join(drop + bwrap)])
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]


class _Group:
    """A cgroup that limits memory, processes and CPU for the whole process tree, where the
    grader may create one (as root, on cgroup v1 or v2); `create` returns None elsewhere."""

    def __init__(self, folders: dict[str, Path]):
        self.folders = folders

    @classmethod
    def create(cls, name: str, limits: Limits):
        memory = int(limits.memory_gb * 2**30)
        unified = Path("/sys/fs/cgroup/cgroup.controllers").exists()
        processes, period = limits.processes, 100_000
        quota = int(limits.cpus * period)  # microseconds of CPU per period, for the whole tree
        plan = ({"": {"memory.max": memory, "memory.swap.max": 0, "pids.max": processes,
                      "cpu.max": f"{quota} {period}"}}
                if unified else
                {"memory": {"memory.limit_in_bytes": memory}, "pids": {"pids.max": processes},
                 "cpu": {"cpu.cfs_period_us": period, "cpu.cfs_quota_us": quota}})
        group = cls({})
        try:
            for controller, settings in plan.items():
                folder = _own_cgroup(controller) / name
                folder.mkdir()
                group.folders[controller] = folder
                for key, value in settings.items():
                    (folder / key).write_text(str(value))
        except OSError:
            group.remove()
            return None
        return group

    def enter(self) -> None:
        """Move the calling process (the sandbox, before it starts) into the group."""
        for folder in self.folders.values():
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def kill(self) -> None:
        for folder in self.folders.values():
            for pid in (folder / "cgroup.procs").read_text().split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)

    def hit_memory_limit(self) -> bool:
        for controller, folder in self.folders.items():
            if controller == "memory":
                return int((folder / "memory.failcnt").read_text() or 0) > 0
            if controller == "":
                events = dict(line.split() for line in (folder / "memory.events").read_text()
                              .splitlines())
                return int(events.get("max", 0)) > 0 or int(events.get("oom_kill", 0)) > 0
        return False

    def remove(self) -> None:
        for folder in self.folders.values():
            for _ in range(100):
                try:
                    folder.rmdir()
                    break
                except OSError:
                    self.kill()
                    time.sleep(0.02)


def _own_cgroup(controller: str) -> Path:
    """The folder of this process's cgroup for `controller` ("" for the unified hierarchy)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(",") or (controller == "" and controllers == ""):
            return Path("/sys/fs/cgroup", controller, path.lstrip("/"))
    raise OSError(f"this process has no {controller or 'unified'} cgroup")


def _preexec(group: _Group | None, limits: Limits):
    memory = int(limits.memory_gb * 2**30)
    cpu = int(limits.submission_seconds) + 1

    def start():
        if group is not None:  # the whole tree together
            group.enter()
        # and each process (without a group this is the only memory limit): a single
        # allocation past it fails at once with a MemoryError the student can read
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 2**20, 64 * 2**20))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return start


def _run_once(job: dict, limits: Limits, deadline: float, outcome: Outcome) -> tuple[str, object]:
    """One sandboxed run. Returns what ended it: ("done", None); ("cell", i) or
    ("question", q) for what overran its time; ("submission", None) when the whole
    submission's time is up; ("died", message) when the harness ended early."""
    with tempfile.TemporaryDirectory(prefix="bl-job-") as tmp:
        job_dir = Path(tmp) / "job"
        job_dir.mkdir()
        (job_dir / "job.json").write_text(json.dumps(job), encoding="utf-8")
        for path in (Path(tmp), job_dir):
            path.chmod(0o755)
        (job_dir / "job.json").chmod(0o644)
        stage = Path(tmp) / "stage" if os.getuid() == 0 else None
        group = _Group.create(f"backproplab-{os.getpid()}-{time.monotonic_ns()}", limits)
        read_end, write_end = os.pipe()
        process = None
        try:
            with _lock:
                if _stopping.is_set():
                    raise Stopped
                process = subprocess.Popen(
                    command(job_dir, write_end, stage), stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, pass_fds=(write_end,),
                    preexec_fn=_preexec(group, limits), start_new_session=True,
                    env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
                _running.add(process)
            os.close(write_end)
            write_end = None
            ended = _watch(process, read_end, limits, deadline, outcome)
            if ended[0] == "died" and group is not None and group.hit_memory_limit():
                ended = ("died", (f"it used more than {limits.memory_gb:g} GB of memory",
                                  ended[1][1]))
            return ended
        finally:
            if process is not None:
                _kill(process, group)
                with _lock:
                    _running.discard(process)
            for fd in (read_end, write_end):
                if fd is not None:
                    os.close(fd)
            if group is not None:
                group.remove()


def _kill(process: subprocess.Popen, group: _Group | None) -> None:
    """Kill the sandbox: bubblewrap, and with it every process in its PID namespace."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    if group is not None:
        group.kill()
    process.wait()
    process.stderr.close()


def _watch(process, read_end: int, limits: Limits, deadline: float, outcome: Outcome):
    """Read the harness's events until it finishes, dies, or something overruns its time."""
    buffer, received = b"", 0
    current, started = ("start", None), time.monotonic()
    while True:
        now = time.monotonic()
        step_limit = {"cell": limits.cell_seconds, "question": limits.question_seconds}.get(
            current[0], limits.cell_seconds)
        timeout = min(started + step_limit, deadline) - now
        if timeout <= 0:
            return ("submission", None) if now >= deadline else current
        ready, _, _ = select.select([read_end], [], [], timeout)
        if not ready:
            continue
        chunk = os.read(read_end, 65536)
        if not chunk:
            process.wait()
            return ("died", (_died(process), current))
        received += len(chunk)
        if received > REPORT_LIMIT:
            return ("died", (f"the notebook wrote more than {REPORT_LIMIT // 2**20} MB", current))
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            event = _parse(line)
            if event is None:
                continue
            kind = event.get("event")
            if kind == "cell" and isinstance(event.get("index"), int):
                current, started = ("cell", event["index"]), time.monotonic()
            elif kind == "cell_error" and isinstance(event.get("index"), int):
                outcome.cell_errors[event["index"]] = str(event.get("error", ""))
            elif kind == "question" and isinstance(event.get("name"), str):
                current, started = ("question", event["name"]), time.monotonic()
                outcome.answers[event["name"]] = []
            elif kind == "probe" and event.get("question") in outcome.answers:
                answer = {"value": event["value"]} if "value" in event else {
                    "error": str(event.get("error", "no answer"))}
                outcome.answers[event["question"]].append(answer)
            elif kind == "done":
                outcome.finished = True
                return ("done", None)


def _parse(line: bytes):
    """One event, as JSON data only; anything else on the channel is ignored."""
    try:
        event = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    return event if isinstance(event, dict) else None


def _died(process) -> str:
    code = process.returncode
    if code is not None and code < 0:
        return f"the notebook's process was killed by signal {-code}"
    tail = process.stderr.read()[-300:].decode("utf-8", "replace").strip().splitlines()
    return "the notebook's process ended before grading finished" + (
        f" ({tail[-1]})" if tail else "")


def run_submission(cells: list[str], questions: list[dict], limits: Limits) -> Outcome:
    """Run a submission's `cells`, then call the `questions`' probes, in a sandbox.

    cells: the code of each code cell, in order. questions: [{"name": q, "probes": [{"name":
    function or variable, "args": [...]} ...]}], arguments encoded as in harness.decode.
    A cell or question that overruns its limit is reported in `stopped` and skipped in a
    fresh run, which keeps the answers already given; the whole submission gets
    `limits.submission_seconds`, restarts included."""
    if not available():
        raise RuntimeError("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    outcome = Outcome()
    deadline = time.monotonic() + limits.submission_seconds
    skip_cells, skip_questions = [], []
    for _ in range(MAX_RESTARTS + 1):
        pending = [q for q in questions
                   if q["name"] not in outcome.answers and q["name"] not in skip_questions]
        job = {"cells": cells, "skip_cells": skip_cells, "questions": pending}
        kind, what = _run_once(job, limits, deadline, outcome)
        if _stopping.is_set():
            raise Stopped
        if kind == "died":
            reason, (kind, what) = what
            if kind not in ("cell", "question"):
                outcome.stopped.append(f"the notebook could not be run: {reason}")
                return outcome
            reason = f"{reason} (the notebook ran again without it)"
        elif kind == "cell":
            reason = f"stopped after {limits.cell_seconds:g} s; the notebook ran again without it"
        elif kind == "question":
            reason = f"stopped after {limits.question_seconds:g} s"
        if kind == "done":
            return outcome
        if kind == "submission":
            outcome.stopped.append(f"grading stopped after {limits.submission_seconds:g} s")
            return outcome
        if kind == "cell":
            outcome.stopped.append(f"code cell {what + 1}: {reason}")
            skip_cells.append(what)
        else:
            outcome.stopped.append(f"{what}: {reason}")
            outcome.answers.pop(what, None)
            skip_questions.append(what)
    outcome.stopped.append(f"grading gave up after {MAX_RESTARTS} restarts")
    return outcome
