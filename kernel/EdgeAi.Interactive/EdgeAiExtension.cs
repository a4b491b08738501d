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
        MnistTrainMagic.Register(target);
        MnistLoadMagic.Register(target);
        MnistEvalMagic.Register(target);
        MnistPredictMagic.Register(target);
        MnistWeightsMagic.Register(target);
        MnistExportMagic.Register(target);
        FedTrainMagic.Register(target);
        ClusterMagic.Register(target);
        Formatter.Register<ChartOutput>((chart, writer) => writer.Write(chart.Html), "text/html");
        Formatter.Register<ChartOutput>((chart, writer) => writer.Write(chart.PlotlyJson), ChartOutput.PlotlyMimeType);
        Formatter.Register<ChartOutput>((chart, writer) => writer.Write(chart.Svg), "image/svg+xml");
        Formatter.SetPreferredMimeTypesFor(typeof(ChartOutput), ChartOutput.MimeTypes);

        // plotly.js where the server serves it to this page's charts (pods have no internet for a CDN).
        var chartsNote = PlotlyAsset.Publish();
        KernelInvocationContext.Current?.ShowHtml(HtmlViews.Loaded(Mnist.StoreDescription, Mnist.DataDescription, chartsNote));
        return Task.CompletedTask;
    }
}
