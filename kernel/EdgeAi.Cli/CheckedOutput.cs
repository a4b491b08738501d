namespace EdgeAi.Cli;

/// <summary>Standard output that turns a failed write into <see cref="OutputFailedException"/>, so that Program tells it
/// apart from the IOExceptions of the command's own files, and reports it in one line.</summary>
sealed class CheckedOutput(TextWriter inner) : TextWriter
{
    public override System.Text.Encoding Encoding => inner.Encoding;
    public override void Write(char value) => Checked(() => inner.Write(value));
    public override void Write(string? value) => Checked(() => inner.Write(value));
    public override void WriteLine(string? value) => Checked(() => inner.WriteLine(value));
    public override void Flush() => Checked(inner.Flush);

    static void Checked(Action write)
    {
        try
        {
            write();
        }
        catch (IOException e)
        {
            throw new OutputFailedException(e);
        }
    }
}

sealed class OutputFailedException(IOException inner) : Exception(inner.Message, inner);
