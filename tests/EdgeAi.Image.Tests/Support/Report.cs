namespace EdgeAi.Image.Tests.Support;

/// <summary>Measurements the image tests print (size, start times): to stderr as they happen, and appended to
/// .lab/image-report.txt, which ./lab test prints after the run.</summary>
public static class Report
{
    static readonly Lock Gate = new();

    public static void Line(string text)
    {
        lock (Gate)
        {
            Console.Error.WriteLine($"image: {text}");
            var file = Path.Combine(RealData.RepositoryRoot, ".lab", "image-report.txt");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.AppendAllText(file, text + Environment.NewLine);
        }
    }
}
