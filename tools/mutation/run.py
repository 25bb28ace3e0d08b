#!/usr/bin/env python3
"""Plants each bug of tools/mutation/mutants.txt on a scratch copy of this
checkout, runs the tests the mutant lists, and reports which were killed.

    tools/mutation/run.py              every mutant
    tools/mutation/run.py NAME ...     only these
    tools/mutation/run.py --list       names and reasons

The scratch copy lives in ${TMPDIR:-/tmp}/tessera-mutation-<hash of the
checkout path> and is kept between runs, so Bazel's output tree for it stays
warm. First the listed tests run on the unmutated copy: they must pass, or a
"kill" would mean nothing. Exit status 0 only if every mutant was killed.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIST = os.path.join(ROOT, "tools", "mutation", "mutants.txt")


def parse(path):
    mutants, current = [], None
    with open(path) as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            word, _, rest = line.partition(" ")
            rest = rest.replace("\\n", "\n")
            if word == "mutant":
                current = {"name": rest, "why": "", "file": None, "tests": [], "edits": []}
                mutants.append(current)
            elif current is None:
                sys.exit(f"{path}:{number}: expected 'mutant <name>' first")
            elif word == "why":
                current["why"] = rest
            elif word == "file":
                current["file"] = rest
            elif word == "tests":
                current["tests"] = rest.split()
            elif word == "-":
                current["edits"].append([rest, None])
            elif word == "+":
                if not current["edits"] or current["edits"][-1][1] is not None:
                    sys.exit(f"{path}:{number}: '+' without a '-' before it")
                current["edits"][-1][1] = rest
            else:
                sys.exit(f"{path}:{number}: unknown line '{word}'")
    for m in mutants:
        if not m["file"] or not m["tests"] or not m["edits"]:
            sys.exit(f"{path}: mutant {m['name']} needs file, tests and at least one -/+ pair")
        if any(to is None for _, to in m["edits"]):
            sys.exit(f"{path}: mutant {m['name']}: a '-' line has no '+' line")
    return mutants


def scratch_copy():
    """Copies the checkout's files (tracked and untracked, not ignored, plus
    .bazelrc.local) into the scratch directory, replacing its sources."""
    digest = hashlib.sha1(ROOT.encode()).hexdigest()[:10]
    scratch = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"tessera-mutation-{digest}")
    files = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True).stdout.decode().split("\0")
    files = [f for f in files if f and os.path.isfile(os.path.join(ROOT, f))]
    if os.path.exists(os.path.join(ROOT, ".bazelrc.local")):
        files.append(".bazelrc.local")
    if os.path.isdir(scratch):
        for entry in os.listdir(scratch):
            if entry.startswith("bazel-"):
                continue  # Bazel's convenience links
            path = os.path.join(scratch, entry)
            shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
    for f in files:
        os.makedirs(os.path.dirname(os.path.join(scratch, f)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, f), os.path.join(scratch, f))
    return scratch


def bazel_test(scratch, targets):
    """Bazel's exit code: 0 passed, 3 tests failed, 1 build failed."""
    result = subprocess.run(["bazel", "test", "--test_output=errors", "--test_summary=terse"]
                            + targets, cwd=scratch, capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def main(argv):
    mutants = parse(LIST)
    if "--list" in argv:
        for m in mutants:
            print(f"{m['name']}: {m['why']}")
        return 0
    wanted = [a for a in argv if not a.startswith("-")]
    unknown = set(wanted) - {m["name"] for m in mutants}
    if unknown:
        sys.exit(f"unknown mutants: {', '.join(sorted(unknown))} (see --list)")
    if wanted:
        mutants = [m for m in mutants if m["name"] in wanted]

    scratch = scratch_copy()
    print(f"scratch copy: {scratch}", flush=True)
    targets = sorted({t for m in mutants for t in m["tests"]})
    code, log = bazel_test(scratch, targets)
    if code != 0:
        print(log[-6000:])
        print(f"the unmutated tests fail (bazel exit {code}): fix them first")
        return 1
    print(f"baseline: {len(targets)} test targets pass unmutated", flush=True)

    killed, problems = 0, []
    for m in mutants:
        path = os.path.join(scratch, m["file"])
        with open(path) as f:
            original = f.read()
        text = original
        applies = True
        for before, after in m["edits"]:
            if text.count(before) != 1:
                problems.append(f"{m['name']}: its text occurs {text.count(before)} times in "
                                f"{m['file']} (needs exactly 1): update tools/mutation/mutants.txt")
                applies = False
                break
            text = text.replace(before, after)
        if not applies:
            print(f"NOT APPLIED {m['name']}", flush=True)
            continue
        start = time.time()
        with open(path, "w") as f:
            f.write(text)
        try:
            code, log = bazel_test(scratch, m["tests"])
        finally:
            with open(path, "w") as f:
                f.write(original)
        seconds = time.time() - start
        if code == 3:
            killed += 1
            print(f"killed      {m['name']} ({seconds:.0f} s)", flush=True)
        elif code == 0:
            problems.append(f"{m['name']}: SURVIVED {' '.join(m['tests'])}: {m['why']}")
            print(f"SURVIVED    {m['name']} ({seconds:.0f} s)", flush=True)
        else:
            problems.append(f"{m['name']}: bazel exit {code} (does not build?)\n{log[-3000:]}")
            print(f"ERROR       {m['name']} (bazel exit {code})", flush=True)
    for p in problems:
        print(p)
    print(f"{killed} of {len(mutants)} mutants killed")
    return 0 if killed == len(mutants) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
