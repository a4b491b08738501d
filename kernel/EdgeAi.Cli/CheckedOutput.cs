namespace EdgeAi.Cli;

/// <summary>Standard output that turns a failed write into <see cref="OutputFailedException"/>, so that Program tells it
/// apart from the IOExceptions of the command's own files, and reports it in one line. For standard error,
/// <paramref name="quiet"/>: a failed write there is dropped, since there is nowhere left to say so, and the exit
/// code still tells.</summary>
sealed class CheckedOutput(TextWriter inner, bool quiet = false) : TextWriter
{
    public override System.Text.Encoding Encoding => inner.Encoding;
    public override void Write(char value) => Checked(() => inner.Write(value));
    public override void Write(string? value) => Checked(() => inner.Write(value));
    public override void WriteLine(string? value) => Checked(() => inner.WriteLine(value));
    public override void Flush() => Checked(inner.Flush);

    void Checked(Action write)
    {
        try
        {
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)   // a closed stdout reads as "access denied"
        {
            if (!quiet)
                throw new OutputFailedException(e);
        }
    }
}

sealed class OutputFailedException(Exception inner) : Exception(inner.Message, inner);
