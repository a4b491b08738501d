namespace EdgeAi.TestSupport;

/// <summary>Measurements and counts tests print (image size, start times, fuzzing counts): to stderr as they happen,
/// and appended to .lab/test-report.txt, which ./lab test prints after the run (the test runner shows a passed
/// test's own output to nobody). EDGEAI_TEST_REPORT names another file where the repository is read-only (the
/// arm64 group runs the tests in a container with the repository mounted read-only).</summary>
public static class Report
{
    static readonly Lock Gate = new();

    public static void Line(string group, string text)
    {
        lock (Gate)
        {
            Console.Error.WriteLine($"{group}: {text}");
            var file = Environment.GetEnvironmentVariable("EDGEAI_TEST_REPORT") is { Length: > 0 } named ? named
                : Path.Combine(RealData.RepositoryRoot, ".lab", "test-report.txt");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.AppendAllText(file, $"{group}: {text}{Environment.NewLine}");
        }
    }
}
