using EdgeAi.Interactive.Magics;
using EdgeAi.Interactive.Rendering;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;

namespace EdgeAi.Interactive;

/// <summary>Loaded by <c>#r "nuget: EdgeAi.Interactive"</c>: adds the magics and says how to start.</summary>
public sealed class EdgeAiExtension : IKernelExtension
{
    public Task OnLoadAsync(Kernel kernel)
    {
        var target = kernel is CompositeKernel composite ? composite : kernel.RootKernel as CompositeKernel ?? (Kernel)kernel;
        TrainMagic.Register(target);
        LoadMagic.Register(target);
        EvalMagic.Register(target);
        PredictMagic.Register(target);
        WeightsMagic.Register(target);
        ClusterMagic.Register(target);
        Formatter.Register<PlotHtml>((plot, writer) => writer.Write(plot.Html), "text/html");
        Formatter.SetPreferredMimeTypesFor(typeof(PlotHtml), "text/html");

        // plotly.js for every chart of this page (pods have no internet for a CDN); hidden, once per load.
        KernelInvocationContext.Current?.ShowHtml(HtmlViews.Trusted(Charts.PlotlyLoader()));
        KernelInvocationContext.Current?.ShowHtml(HtmlViews.Loaded(Mnist.Store.Root, Mnist.DataDescription));
        return Task.CompletedTask;
    }
}
