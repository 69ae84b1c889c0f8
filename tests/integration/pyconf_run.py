# SPDX-License-Identifier: MIT
"""Run CPython's test_socket classes and write one result line per case.

pyconf_run.py OUT CLASS...   runs the named test.test_socket classes and
writes OUT: "ID<TAB>STATUS" per case, STATUS one of pass, fail, error,
skip, xfail, xpass, hang, crash. test_pyconf.sh runs it natively and under
the shim; pyconf_compare.py compares the two files.

A case that hangs or kills the interpreter must not take the rest of the
run with it, so the cases run in a child interpreter: each case arms a
faulthandler watchdog that ends the child after PYCONF_CASE_TIMEOUT seconds
(default 60), the child writes "START" before each case, and when it dies
mid-case the parent records that case as hang (watchdog) or crash, and
starts a new child for the cases after it. The tracebacks of failing cases
go to OUT.details.
"""

import faulthandler
import os
import subprocess
import sys
import traceback
import unittest

MODULE = "test.test_socket"


def case_ids(classes):
    loader = unittest.TestLoader()
    ids = []
    for name in classes:
        suite = loader.loadTestsFromName(MODULE + "." + name)
        ids.extend(t.id() for t in iter_cases(suite))
    return ids


def iter_cases(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from iter_cases(t)
        else:
            yield t


class LineResult(unittest.TestResult):
    """Writes each case's outcome as soon as it is known (the child may be
    killed by its watchdog at any moment)."""

    def __init__(self, out, details, timeout):
        super().__init__()
        self.out = out
        self.details = details
        self.timeout = timeout
        self.status = {}

    def startTest(self, test):
        super().startTest(test)
        self.status[test.id()] = "pass"
        self.out.write("START\t%s\n" % test.id())
        self.out.flush()
        faulthandler.dump_traceback_later(self.timeout, exit=True, file=self.details)

    def stopTest(self, test):
        faulthandler.cancel_dump_traceback_later()
        self.out.write("%s\t%s\n" % (test.id(), self.status.pop(test.id(), "pass")))
        self.out.flush()
        super().stopTest(test)

    def _note(self, test, status, err):
        # A failure in setUpClass/tearDownClass comes with an _ErrorHolder,
        # not a case: it is written as its own line.
        tid = test.id()
        if tid not in self.status:
            self.out.write("%s\t%s\n" % (tid, status))
            self.out.flush()
        elif self.status[tid] in ("pass", "skip"):
            self.status[tid] = status
        if err is not None:
            self.details.write("=== %s %s\n%s\n" % (status, tid, "".join(traceback.format_exception(*err))))
            self.details.flush()

    def addError(self, test, err):
        super().addError(test, err)
        self._note(test, "error", err)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._note(test, "fail", err)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._note(test, "skip", None)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._note(test, "xfail", None)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._note(test, "xpass", None)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            status = "fail" if issubclass(err[0], test.failureException) else "error"
            self.status[test.id()] = status
            self.details.write("=== %s %s\n%s\n" % (status, subtest.id(), "".join(traceback.format_exception(*err))))
            self.details.flush()


def child(out_path, ids_path, timeout):
    with open(ids_path) as f:
        ids = f.read().split()
    suite = unittest.TestLoader().loadTestsFromNames(ids)
    with open(out_path, "a") as out, open(out_path + ".details", "a") as details:
        suite.run(LineResult(out, details, timeout))
    return 0


def read_results(out_path):
    done, started = {}, None
    if os.path.exists(out_path):
        with open(out_path) as f:
            for line in f:
                key, _, value = line.rstrip("\n").partition("\t")
                if key == "START":
                    started = value
                else:
                    done[key] = value
                    if key == started:
                        started = None
    return done, started


def parent(out_path, classes):
    timeout = int(os.environ.get("PYCONF_CASE_TIMEOUT", "60"))
    ids = case_ids(classes)
    open(out_path, "w").close()
    open(out_path + ".details", "w").close()
    ids_path = out_path + ".todo"
    while True:
        done, _ = read_results(out_path)
        todo = [i for i in ids if i not in done]
        if not todo:
            break
        with open(ids_path, "w") as f:
            f.write("\n".join(todo))
        proc = subprocess.run([sys.executable, __file__, "--child", out_path, ids_path, str(timeout)])
        done, started = read_results(out_path)
        if started is None:
            if any(i not in done for i in todo):
                # The child ended between cases without running them all.
                sys.stderr.write("pyconf_run: the child exited %d between cases\n" % proc.returncode)
                for i in todo:
                    done.setdefault(i, "crash")
                    if done[i] == "crash":
                        with open(out_path, "a") as out:
                            out.write("%s\tcrash\n" % i)
            break
        # Died inside a case: the watchdog (a hang) or anything else (a crash).
        with open(out_path + ".details") as f:
            hung = ("Timeout (" in f.read()[-20000:]) and proc.returncode == 1
        status = "hang" if hung else "crash"
        sys.stderr.write("pyconf_run: %s %s (status %d)\n" % (status, started, proc.returncode))
        with open(out_path, "a") as out:
            out.write("%s\t%s\n" % (started, status))
    os.unlink(ids_path)
    done, _ = read_results(out_path)
    counts = {}
    for i in ids:
        counts[done.get(i, "crash")] = counts.get(done.get(i, "crash"), 0) + 1
    print("pyconf_run: %d cases: %s" % (len(ids), ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
    return 0


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--child":
        return child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    if len(sys.argv) < 3:
        sys.stderr.write("usage: pyconf_run.py OUT CLASS...\n")
        return 2
    return parent(sys.argv[1], sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
