#!/usr/bin/env python3
"""Generated corpus: ours against djb's tcprules and tcprulescheck on seeded random rules files.

For each file: the same exit code, stdout and stderr, the same rules.cdb bytes (or, when the
file is rejected, the old rules.cdb untouched by both), the same leftover rules.tmp; then
tcprulescheck of both, each on its own cdb, for a sample of clients drawn from the file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import corpus
import harness
from harness import CDB_NAME

SEED = 20240088  # fixed: a failure must replay identically
FILES = 240


def compare_file(mine: harness.Tools, djb: harness.Tools, rules: corpus.RulesFile,
                 root: Path) -> list[tuple[str, list[str], dict]]:
    """The cases of one file: its compile, then one tcprulescheck case per client."""
    compiled_ours = harness.compile_rules(mine, rules.text, root / "ours")
    compiled_djb = harness.compile_rules(djb, rules.text, root / "djb")
    artifacts = {"rules": rules.text}
    cases = [(f"{rules.name} tcprules (djb exit {harness.describe_rc(compiled_djb.run.rc)})",
              harness.compile_differences(compiled_ours, compiled_djb), artifacts)]
    if compiled_ours.run.rc == 0 and compiled_djb.run.rc == 0:
        for client in rules.clients:
            diffs = harness.check_differences(root / "ours" / CDB_NAME, root / "djb" / CDB_NAME,
                                              mine, djb, [client])
            cases.append((f"{rules.name} tcprulescheck {client}", diffs, artifacts))
    return cases


def main() -> int:
    run = harness.setup(__doc__)
    mine, djb = run.ours, run.djb
    files = corpus.ipv4_corpus(SEED, run.args.files or FILES)
    report = run.report("tcprules corpus vs djb")
    with harness.work_directory("corpus") as tmp:
        jobs = [lambda f=f: compare_file(mine, djb, f, Path(tmp) / f.name) for f in files]
        results = harness.run_in_parallel(jobs)
    accepted = 0
    for cases in results:
        accepted += "djb exit 0)" in cases[0][0]
        for name, diffs, artifacts in cases:
            report.record(name, diffs, artifacts)
    print(f"corpus: {len(files)} files (seed {SEED}), djb accepted {accepted}, rejected "
          f"{len(files) - accepted}; {report.cases - len(files)} tcprulescheck comparisons")
    # A corpus that is all-valid or all-invalid would prove little: insist on a real mix.
    mix_ok = len(files) * 0.3 <= accepted <= len(files) * 0.8
    report.record("corpus mixes accepted and rejected files", [] if mix_ok else
                  [f"djb accepted {accepted} of {len(files)} files"])
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
