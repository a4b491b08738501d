
[assembly: AssemblyFixture(typeof(EdgeAi.Notebook.Tests.Support.ExecutedNotebooks))]

namespace EdgeAi.Notebook.Tests.Support;

/// <summary>
/// The four notebooks executed once by `./lab exec` against Fashion-MNIST and one fresh store: training in
/// one kernel, then prediction, cluster and federated each in a kernel of their own, as on other replicas.
/// </summary>
public sealed class ExecutedNotebooks : IDisposable
{
    readonly TempDirectory temp = new();
    readonly Lazy<(int ExitCode, string Output)> run;

    public ExecutedNotebooks()
    {
        Books = temp.Combine("books");
        Store = Lab.Store(Books);
        Output = temp.Combine("executed");
        run = new(() => Lab.Run(Books, "exec", "notebooks/mnist_training.ipynb", "notebooks/mnist_prediction.ipynb",
                                "notebooks/cluster.ipynb", "notebooks/federated.ipynb", "--out", Output));
    }

    public string Books { get; }
    public string Store { get; }
    public string Output { get; }
    public (int ExitCode, string Output) Run => run.Value;

    public ExecutedNotebook Open(string name)
    {
        Assert.True(Run.ExitCode == 0, Run.Output);
        return new ExecutedNotebook(Path.Combine(Output, name));
    }

    public string TempPath(string name) => temp.Combine(name);

    public void Dispose() => temp.Dispose();
}
