using System.Diagnostics;
using System.Net;
using System.Text;
using EdgeAi.Interactive.Cluster;
using EdgeAi.Interactive.Rendering;
using EdgeAi.Interactive.Tests.Support;
using k8s;
using Microsoft.DotNet.Interactive.Formatting;

namespace EdgeAi.Interactive.Tests.Magics;

public sealed class ClusterMagicTests
{
    [Fact]
    public async Task OutsideAClusterItSaysSoAndNamesHostAndStore()
    {
        await using var session = await KernelSession.StartAsync();
        var cell = await session.RunAsync("#!cluster");
        Assert.True(cell.Succeeded, cell.Error);
        var html = Assert.Single(cell.Html);
        Assert.Contains("Not running in a Kubernetes cluster", html);
        Assert.Contains(Environment.MachineName, html);
        Assert.Contains(session.Store, html);
    }

    [Fact]
    public void What_the_cluster_reports_is_shown_as_text_never_as_markup()
    {
        const string hostile = "<img src=x onerror=alert(1)>";
        var pod = new PodView("edgeai-lab-0", "<b>node</b>", hostile, true, "<script>alert(2)</script>");
        var view = new ClusterView("<i>ns</i>", pod, "edgeai-lab", 2, [pod, pod with { Name = "edgeai-lab-1", Phase = "Running" }],
                                   "books", "nfs<svg>", "<script>ReadWriteMany</script>", "10Gi");
        var html = HtmlViews.Cluster(view, "/books").ToString()!;
        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<svg", html);
        Assert.DoesNotContain("<b>node", html);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html);
        Assert.Contains("&lt;script&gt;ReadWriteMany&lt;/script&gt;", html);
        Assert.Contains("edgeai-lab-0 (this kernel)", html);
    }

    /// <summary>What the front end shows is what the kernel's formatter makes of the view, not its ToString: nested
    /// pieces once came out as a debug table of their types, and absent values as "&lt;null&gt;".</summary>
    [Fact]
    public async Task The_displayed_html_is_the_sentence_and_the_table_with_absent_values_as_dashes()
    {
        await using var session = await KernelSession.StartAsync();   // the kernel's formatters, as a notebook has them
        var running = new PodView("edgeai-lab-0", "pi-1", "Running", true, "10.42.0.7");
        var pending = new PodView("edgeai-lab-1", null, "Pending", false, null);
        var view = new ClusterView("class", running, "edgeai-lab", 2, [running, pending], "books", "nfs-books", "ReadWriteMany", "10Gi");
        var html = HtmlViews.Cluster(view, "/books/models").ToDisplayString(HtmlFormatter.MimeType);
        Assert.True(!html.Contains("System.String"), html);
        Assert.DoesNotContain("<i>index</i>", html);
        Assert.DoesNotContain("null", html);
        Assert.Contains("Pod <b>edgeai-lab-0</b> on node <b>pi-1</b> in namespace <code>class</code>.", html);
        Assert.Contains(" Deployment <b>edgeai-lab</b>: 1/2 replicas ready.", html);
        Assert.Contains("<td>edgeai-lab-1</td><td>—</td><td>Pending</td><td>no</td><td>—</td>", html);
        Assert.Contains("is claim <b>books</b> (volume nfs-books, ReadWriteMany, 10Gi); store <code>/books/models</code>.", html);

        var alone = HtmlViews.Cluster(new ClusterView("class", pending, null, null, [], null, null, null, null), "/books/models")
            .ToDisplayString(HtmlFormatter.MimeType);
        Assert.Contains("on node <b>—</b>", alone);
        Assert.Contains("No claim is mounted at /books; the store is <code>/books/models</code>.", alone);
        Assert.DoesNotContain("System.", alone);
    }

    /// <summary>An API server (or whatever answers at its address) that sends 400 MB for one pod: the reply is refused
    /// after the cap, by name, and the rest is never read.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_reply_over_the_cap_is_refused_and_not_read_further(bool announcesLength)
    {
        using var server = new HugeReplyServer(400L << 20, announcesLength);
        using var client = ClusterReader.Client(new KubernetesClientConfiguration { Host = server.Url });
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<ReplyTooLargeException>(() => ClusterReader.ReadAsync(client, "class", "edgeai-lab-0", CancellationToken.None));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"it took {clock.Elapsed}");
        Assert.Contains("The API server's reply to GET /api/v1/namespaces/class/pods/edgeai-lab-0", e.Message);
        Assert.Contains($"more than the {BoundedReplies.DefaultMaxBytes >> 20} MiB #!cluster reads", e.Message);
        Assert.True(server.BytesSent < 64L << 20, $"{server.BytesSent:N0} bytes were read");
        var grown = GC.GetTotalMemory(forceFullCollection: true) - before;
        Assert.True(grown < 64L << 20, $"the managed heap grew by {grown:N0} bytes");
    }

    [Fact]
    public async Task A_reply_under_the_cap_is_read_as_before()
    {
        using var server = new HugeReplyServer(1 << 20, announcesLength: false);
        using var client = ClusterReader.Client(new KubernetesClientConfiguration { Host = server.Url });
        var view = await ClusterReader.ReadAsync(client, "class", "edgeai-lab-0", CancellationToken.None);
        Assert.Equal("edgeai-lab-0", view.Pod.Name);
        Assert.Equal("pi-1", view.Pod.Node);
    }

    /// <summary>Answers every request with one pod whose annotation is <c>size</c> bytes long, streamed until the
    /// client stops reading; counts what it sent.</summary>
    sealed class HugeReplyServer : IDisposable
    {
        readonly HttpListener listener = new();
        long sent;
        public string Url { get; }
        public long BytesSent => Interlocked.Read(ref sent);

        public HugeReplyServer(long size, bool announcesLength)
        {
            var port = Ports.Free();
            Url = $"http://127.0.0.1:{port}/";
            listener.Prefixes.Add(Url);
            listener.Start();
            _ = Task.Run(async () =>
            {
                while (listener.IsListening)
                {
                    HttpListenerContext context;
                    try
                    { context = await listener.GetContextAsync(); }
                    catch { return; }
                    _ = Task.Run(async () =>
                    {
                        var head = Encoding.ASCII.GetBytes("{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"edgeai-lab-0\",\"annotations\":{\"x\":\"");
                        var tail = Encoding.ASCII.GetBytes("\"}},\"spec\":{\"nodeName\":\"pi-1\",\"containers\":[]},\"status\":{\"phase\":\"Running\"}}");
                        context.Response.ContentType = "application/json";
                        if (announcesLength)
                            context.Response.ContentLength64 = head.Length + size + tail.Length;
                        else
                            context.Response.SendChunked = true;
                        var chunk = Encoding.ASCII.GetBytes(new string('a', 64 << 10));
                        try
                        {
                            var output = context.Response.OutputStream;
                            await output.WriteAsync(head);
                            for (long left = size; left > 0; left -= chunk.Length)
                            {
                                var n = (int)Math.Min(chunk.Length, left);
                                await output.WriteAsync(chunk.AsMemory(0, n));
                                Interlocked.Add(ref sent, n);
                            }
                            await output.WriteAsync(tail);
                            context.Response.Close();
                        }
                        catch (Exception) { context.Response.Abort(); }   // the client hung up, as it should
                    });
                }
            });
        }

        public void Dispose() => listener.Close();
    }
}
