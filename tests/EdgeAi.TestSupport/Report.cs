namespace EdgeAi.TestSupport;

/// <summary>Measurements and counts tests print (image size, start times, fuzzing counts): to stderr as they happen,
/// and appended to .lab/test-report.txt, which ./lab test prints after the run (the test runner shows a passed
/// test's own output to nobody).</summary>
public static class Report
{
    static readonly Lock Gate = new();

    public static void Line(string group, string text)
    {
        lock (Gate)
        {
            Console.Error.WriteLine($"{group}: {text}");
            var file = Path.Combine(RealData.RepositoryRoot, ".lab", "test-report.txt");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.AppendAllText(file, $"{group}: {text}{Environment.NewLine}");
        }
    }
}
