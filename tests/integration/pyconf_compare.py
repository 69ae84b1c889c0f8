# SPDX-License-Identifier: MIT
"""Compare two pyconf_run.py result files, natively and under the shim.

pyconf_compare.py NATIVE SHIM KNOWN FLOOR: every case that passed natively
must pass under the shim, except those KNOWN lists (one "ID STATUS why" a
line, # comments: only that shim STATUS is excused); at least FLOOR cases must have passed natively, so that a run
that ran nothing cannot pass. Prints the differing cases; exits 1 on any.
A known case that passes under the shim is reported (the list is kept
honest by hand), not failed: some differences are timing-dependent.
"""

import sys


def results(path):
    out = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("\t")
            if key != "START":
                out[key] = value
    return out


def known(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                tid, status, why = (line.split(None, 2) + ["", ""])[:3]
                out[tid] = (status, why)
    return out


def main():
    native, shim, kn, floor = results(sys.argv[1]), results(sys.argv[2]), known(sys.argv[3]), int(sys.argv[4])
    passed = [t for t, s in native.items() if s == "pass"]
    bad, excused, stale = [], [], []
    for t in passed:
        got = shim.get(t, "missing")
        if got == "pass":
            if t in kn:
                stale.append(t)
        elif t in kn and kn[t][0] == got:
            excused.append((t, got))
        else:
            bad.append((t, got))
    for t, got in bad:
        print("DIFFERS %s: native pass, shim %s" % (t, got))
    for t, got in excused:
        print("known %s: shim %s (%s)" % (t, got, kn[t][1]))
    for t in stale:
        print("note: %s is in the known list but passed under the shim" % t)
    print("pyconf: %d cases passed natively, %d of them under the shim, %d known differences, %d new"
          % (len(passed), len(passed) - len(bad) - len(excused), len(excused), len(bad)))
    if len(passed) < floor:
        print("pyconf: only %d cases passed natively, fewer than the floor of %d: the run is broken" % (len(passed), floor))
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
