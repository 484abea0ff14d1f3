"""Where the CPU went: the harness's own Python, wrk, the servers, the in-process workers,
and the whole machine (PostgreSQL and any other work included).

The machine has two cores shared by everything; a figure is only as good as the share of
them the harness itself leaves to the thing measured.
"""

import os
import resource
import time
from collections import defaultdict
from contextlib import contextmanager


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def own_cpu() -> float:
    return _cpu_seconds(resource.RUSAGE_SELF)


def reaped_children_cpu() -> float:
    """CPU of every child process that has ended and been waited for (with its own children)."""
    return _cpu_seconds(resource.RUSAGE_CHILDREN)


def machine_busy_seconds() -> float:
    """CPU seconds every process of the machine has used since boot (all cores), from
    /proc/stat; 0 where there is none."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
    except OSError:
        return 0.0
    # cpu user nice system idle iowait irq softirq steal guest guest_nice
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class CpuLedger:
    """CPU per named block of the run. A block's child CPU excludes that of the blocks
    measured inside it (wrk's runs inside a web phase leave the servers' CPU)."""

    def __init__(self):
        self.started_own = own_cpu()
        self.started_machine = machine_busy_seconds()
        self.started_wall = time.monotonic()
        self.children: dict[str, float] = defaultdict(float)
        self.own: dict[str, float] = defaultdict(float)
        self.wall: dict[str, float] = defaultdict(float)
        self.machine: dict[str, float] = defaultdict(float)
        self.labels: dict[str, str] = {}
        self._open: list[str] = []

    @contextmanager
    def measure(self, bucket: str, *, children: str = "child processes"):
        """The CPU reaped from children, the harness's own CPU and the wall time of a block."""
        self.labels.setdefault(bucket, children)
        start_children, start_own = reaped_children_cpu(), own_cpu()
        start_machine, start_wall = machine_busy_seconds(), time.monotonic()
        self._open.append(bucket)
        try:
            yield
        finally:
            self._open.pop()
            children_cpu = reaped_children_cpu() - start_children
            self.children[bucket] += children_cpu
            for outer in self._open:
                self.children[outer] -= children_cpu
            self.own[bucket] += own_cpu() - start_own
            self.wall[bucket] += time.monotonic() - start_wall
            self.machine[bucket] += machine_busy_seconds() - start_machine

    def render(self) -> str:
        cores = os.cpu_count() or 1
        total_wall = time.monotonic() - self.started_wall
        lines = [
            "| part | CPU s | wall s | share of one core |",
            "|---|--:|--:|--:|",
            _row("harness Python, whole run", own_cpu() - self.started_own, total_wall),
            _row(
                f"whole machine, whole run (all processes; {cores} cores)",
                machine_busy_seconds() - self.started_machine,
                total_wall,
            ),
        ]
        for bucket, wall in self.wall.items():
            lines.append(_row(f"harness Python, during {bucket}", self.own[bucket], wall))
            if self.children[bucket] > 0.05:
                lines.append(_row(f"{self.labels[bucket]}, {bucket}", self.children[bucket], wall))
            if self.machine[bucket]:
                lines.append(_row(f"whole machine, during {bucket}", self.machine[bucket], wall))
        return "\n".join(lines)


def _row(name: str, cpu: float, wall: float) -> str:
    share = f"{cpu / wall:.0%}" if wall else "—"
    return f"| {name} | {cpu:.1f} | {wall:.1f} | {share} |"
