"""A second lane for the suite's long pipeline work, so that it runs on the second core beside
the tests instead of before them (the CI rule: the whole suite under 15 minutes on 2 cores).

A refresh spends most of its time in one process at a time (one dbt model at a time, the
Dagster steps one after another), so a test machine with two cores runs two of them at once in
about the time of one. A test module registers a *build* under the name of the fixture that
returns it: a function of a fresh folder that runs `monitor refresh` subprocesses (or the
refresh in a child process) and returns what the tests then assert on. When the collected
tests use that fixture, conftest starts the build in the lane at the start of the session;
builds run there two at a time (WORKERS), in the order the tests need them. The fixture calls
`LANE.result(name)`: it waits for a build the lane is running, and runs a build the lane has
not yet started itself (so a build is never waited for behind another one, and a test run on
its own builds inline as before). What a build proves is the same wherever it runs: only the
time it starts differs.

Two workers, so that both cores stay busy while a test waits for a build (two builds run on)
and while a build sleeps or waits on a subprocess (a third stream fills the gap); conftest runs
the test modules that use no build first, so that tests wait for builds only once nothing else
is left to run."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# The environment as the session began: builds in the lane start their subprocesses from it,
# not from os.environ, which tests of the main lane change while they run (monkeypatched
# MONITOR_* variables; an in-process refresh sets MONITOR_DUCKDB_PATH and DAGSTER_HOME).
SESSION_ENV = dict(os.environ)
# Builds at once: beside the tests' own thread, three streams on the CI's two cores, so that no
# core idles while one of them waits (with one worker the tests waited 185 s of an 812 s run).
WORKERS = 2


@dataclass
class _Build:
    name: str
    work: Callable[[Path], object]
    priority: int = 0
    done: threading.Event = field(default_factory=threading.Event)
    state: str = "pending"  # pending -> running -> done
    value: object = None
    error: BaseException | None = None
    where: str = ""  # the thread that ran it: the lane, or a test's (inline)
    span: tuple[float, float] = (0.0, 0.0)  # monotonic start and end


class Lane:
    def __init__(self) -> None:
        self._builds: dict[str, _Build] = {}
        self._queue: list[_Build] = []
        self._guard = threading.Lock()
        self._mktemp: Callable[[str], Path] | None = None
        self._threads: list[threading.Thread] = []

    def register(self, name: str, work: Callable[[Path], object], priority: int = 0) -> None:
        """`work(folder)` builds what the fixture `name` returns; `folder` is new and empty.
        The lane starts builds of a higher `priority` number only once those of lower numbers have
        started: long chains first (the kills need the small site), builds the tests need late
        after them; conftest also runs the modules that use builds in that order. A test module imported twice (by pytest as test_x, by another module
        as tests.test_x) registers the same build twice: the first stays."""
        self._builds.setdefault(name, _Build(name, work, priority))

    def start(self, needed_in_order: list[str], mktemp: Callable[[str], Path]) -> None:
        """Start the builds of these fixture names (those registered) in this order."""
        self._mktemp = mktemp
        needed = [self._builds[name] for name in needed_in_order if name in self._builds]
        self._queue = sorted(needed, key=lambda build: build.priority)  # stable: need order within a priority
        for number in range(min(WORKERS, len(self._queue))):
            thread = threading.Thread(target=self._run_queue, name=f"tests-lane-{number + 1}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def result(self, name: str, mktemp: Callable[[str], Path] | None = None):
        """What build `name` returned (its error raised again): waited for if the lane runs it,
        built here and now if the lane has not started it. A build that needs another one calls
        this without `mktemp` (the session's is kept from the first call)."""
        build = self._builds[name]
        with self._guard:
            self._mktemp = self._mktemp or mktemp
            mktemp = mktemp or self._mktemp
            mine = build.state == "pending"
            if mine:
                build.state = "running"
                if build in self._queue:
                    self._queue.remove(build)
        if mine:
            self._run(build, mktemp)
        build.done.wait()
        if build.error is not None:
            raise build.error
        return build.value

    def finish(self) -> None:
        """At the end of the session: start nothing more, and wait for the running build (its
        subprocesses, e.g. a Dagster daemon, are ended by the build itself, never orphaned)."""
        with self._guard:
            self._queue.clear()
        for thread in self._threads:
            thread.join()

    def priorities(self) -> dict[str, int]:
        """The priority of each registered build, by fixture name."""
        return {name: build.priority for name, build in self._builds.items()}

    def _run_queue(self) -> None:
        while True:
            with self._guard:
                if not self._queue:
                    return
                build = self._queue.pop(0)
                build.state = "running"
            self._run(build, self._mktemp)

    def report(self, session_start: float) -> list[str]:
        """One line per build that ran: where, when (seconds since `session_start`), how long."""
        ran = sorted((b for b in self._builds.values() if b.state == "done"), key=lambda b: b.span[0])
        return [f"{b.name}: {b.where}, {b.span[0] - session_start:.0f}-{b.span[1] - session_start:.0f} s "
                f"({b.span[1] - b.span[0]:.0f} s){' FAILED' if b.error else ''}" for b in ran]

    @staticmethod
    def _run(build: _Build, mktemp: Callable[[str], Path]) -> None:
        thread = threading.current_thread().name
        build.where = thread.removeprefix("tests-") if thread.startswith("tests-lane") else "inline"
        started = time.monotonic()
        try:
            build.value = build.work(mktemp(build.name))
        except BaseException as error:  # handed to every test that uses the build
            build.error = error
        finally:
            build.span = (started, time.monotonic())
            build.state = "done"
            build.done.set()


LANE = Lane()
