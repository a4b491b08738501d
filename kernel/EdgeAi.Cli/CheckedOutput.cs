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
                throw new OutputFailedException(Describe(e), e);
        }
    }

    /// <summary>What went wrong, in the user's words: .NET reports a write to a descriptor that is closed or open only
    /// for reading (EBADF) as "Access to the path is denied", which names neither the stream nor what is wrong with it.
    /// The two cannot be told apart from here: a descriptor 1 closed at start (`>&-`) is soon reused by the runtime
    /// for a pipe of its own.</summary>
    static string Describe(Exception e) =>
        e is UnauthorizedAccessException ? "standard output is closed or not open for writing" : e.Message;
}

sealed class OutputFailedException(string message, Exception inner) : Exception(message, inner);
