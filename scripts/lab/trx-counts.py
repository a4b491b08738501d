"""Counts the results in the test runner's TRX reports (one per test project) for `./lab test`.

Usage: trx-counts.py EXPECTED REPORT...   EXPECTED: how many test projects ran, so a project that wrote no report
(it crashed, or never started) fails the run too. Prints "tests: N passed, N failed, N skipped" and, per failed
test, its name; exits 1 when any test failed or a report is missing or unreadable.
"""
import sys
import xml.etree.ElementTree as ElementTree

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
FAILED = ("failed", "error", "timeout", "aborted")


def main():
    expected, reports = int(sys.argv[1]), sys.argv[2:]
    passed = failed = skipped = 0
    problems, failures = [], []
    for report in reports:
        try:
            root = ElementTree.parse(report).getroot()
        except (OSError, ElementTree.ParseError) as error:
            problems.append(f"{report}: {error}")
            continue
        counters = root.find("t:ResultSummary/t:Counters", NS)
        if counters is None:
            problems.append(f"{report}: no ResultSummary/Counters")
            continue
        count = lambda name: int(counters.get(name, "0"))
        passed += count("passed")
        failed += sum(count(name) for name in FAILED)
        skipped += count("notExecuted")
        failures += [r.get("testName") for r in root.iterfind("t:Results/t:UnitTestResult", NS)
                     if r.get("outcome", "").lower() in FAILED]
    if len(reports) < expected:
        problems.append(f"{expected - len(reports)} of {expected} test projects wrote no report (see their output above)")
    for name in failures:
        print(f"failed: {name}")
    for problem in problems:
        print(f"error: {problem}")
    print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed or problems else 0)


if __name__ == "__main__":
    main()
