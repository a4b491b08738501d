using System.CommandLine;
using EdgeAi.Core;
using EdgeAi.Core.Store;
using EdgeAi.Serving;

namespace EdgeAi.Cli;

/// <summary><c>edgeai serve --model NAME[@VERSION]</c>: the Open Inference Protocol (v2) for a stored model, following its latest.</summary>
static class ServeCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = $"NAME to follow its latest, or NAME@VERSION to pin one (default: {ModelRef.DefaultName})" };
        var host = new Option<string>("--host") { Description = "Address to listen on: 127.0.0.1 (default), 0.0.0.0 for every interface, or ::", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port (1-65535)", DefaultValueFactory = _ => ServeSettings.DefaultPort };
        var store = new Option<string?>("--store") { Description = $"Weight store directory (default: ${WeightStore.EnvironmentVariable}, {WeightStore.ReportStoreRoot} when {WeightStore.ReportMountPath} is mounted, or ~/.local/share/edgeai/books)" };
        var runtime = new Option<string>("--runtime") { Description = "torch (libtorch, as trained) or onnx (ONNX Runtime, the exported graph)", DefaultValueFactory = _ => "torch" };
        var tokenFile = new Option<string?>("--token-file") { Description = $"File holding the bearer token (a mounted Secret); else ${ServeSettings.TokenVariable}; else one is generated and printed" };
        var noAuth = new Option<bool>("--no-auth") { Description = "Serve without a token: loopback addresses only" };
        var poll = new Option<double>("--poll") { Description = $"Seconds between looks at the store's latest ({ServeSettings.MinPollSeconds}-{ServeSettings.MaxPollSeconds})", DefaultValueFactory = _ => ServeSettings.DefaultPollSeconds };
        var maxBatch = new Option<int>("--max-batch") { Description = $"Most images a request may hold (1-{ServeSettings.MaxBatchLimit})", DefaultValueFactory = _ => ServeSettings.DefaultMaxBatch };
        var maxBody = new Option<long>("--max-body") { Description = $"Largest request body in bytes (1024-{ServeSettings.MaxBodyBytesLimit}); a larger one gets 413", DefaultValueFactory = _ => ServeSettings.DefaultMaxBodyBytes };
        var command = new Command("serve", "Serve a stored model over HTTP (Open Inference Protocol v2), swapping to each new verified version of its latest")
        {
            model, host, port, store, runtime, tokenFile, noAuth, poll, maxBatch, maxBody,
        };
        command.SetAction(async (parse, cancel) =>
        {
            var auth = !parse.GetValue(noAuth);
            var token = ServeSettings.ReadToken(parse.GetValue(tokenFile), Environment.GetEnvironmentVariable(ServeSettings.TokenVariable));
            if (!auth && token is not null)
                throw new EdgeAiException("--no-auth was given with a token (--token-file or " + ServeSettings.TokenVariable + "): choose one.");
            var generated = auth && token is null;
            var settings = new ServeSettings
            {
                Model = ModelRef.Parse(parse.GetValue(model)),
                Store = WeightStore.Open(parse.GetValue(store)),
                Host = parse.GetValue(host)!.Trim(),
                Port = parse.GetValue(port),
                Runtime = ServeSettings.ParseRuntime(parse.GetValue(runtime)),
                Token = generated ? ServeSettings.NewToken() : token,
                NoAuth = !auth,
                PollSeconds = parse.GetValue(poll),
                MaxBatch = parse.GetValue(maxBatch),
                MaxBodyBytes = parse.GetValue(maxBody),
            };
            settings.Validate();
            if (generated)
                Console.WriteLine($"token (generated, as none was given by --token-file or {ServeSettings.TokenVariable}): {settings.Token}");
            await using var server = new InferenceServer(settings, line => Console.WriteLine(Printable.Of(line)));
            await server.StartAsync();
            try
            {
                await server.WaitForShutdownAsync(cancel);
            }
            catch (OperationCanceledException) { }
            Console.WriteLine("stopped");
            return 0;
        });
        return command;
    }

}
