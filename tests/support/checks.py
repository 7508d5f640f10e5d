"""One line per check, "N passed, N failed" at the end, and an exit status that is a failure
when anything failed or nothing was checked at all."""


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"ok   {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name}: {detail}", flush=True)
        return ok

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        return 0 if self.failed == 0 and self.passed > 0 else 1


def run_parts(*parts):
    """The main of a test that takes --bin DIR: each part(checks, bin_dir, work) in turn, in one
    temporary directory; the exit status of Checks.finish."""
    import argparse
    import tempfile
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    c = Checks()
    with tempfile.TemporaryDirectory() as work:
        for part in parts:
            part(c, args.bin, work)
    return c.finish()
