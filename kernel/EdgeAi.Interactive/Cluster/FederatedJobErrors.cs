using System.Net;
using System.Text.RegularExpressions;
using EdgeAi.Core;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace EdgeAi.Interactive.Cluster;

/// <summary>
/// What the API server's refusals of a federated Job mean, and what to do about them, in one sentence each:
/// KubernetesClient's own message is "Operation returned an invalid status code 'Forbidden'" and the reason is in a
/// JSON Status body, which a notebook user should not have to read.
/// </summary>
static partial class FederatedJobErrors
{
    const int MaxReason = 400;

    public static async Task Call(Func<Task> create, FederatedOptions options, string job, string ns)
    {
        try
        {
            await create();
        }
        catch (Exception e) when (e is not ReplyTooLargeException && Inner<ReplyTooLargeException>(e) is { } tooLarge)
        {
            throw tooLarge;   // KubernetesClient may wrap what BoundedReplies threw
        }
        catch (HttpOperationException e)
        {
            throw Explain(e, options, job, ns);
        }
        catch (HttpRequestException e)
        {
            throw new EdgeAiException($"Could not reach the API server to create Job {job} ({e.Message}); is the pod's network policy letting it through?", e);
        }
    }

    static EdgeAiException Explain(HttpOperationException e, FederatedOptions options, string job, string ns)
    {
        var reason = Reason(e);
        return e.Response?.StatusCode switch
        {
            HttpStatusCode.Forbidden => new EdgeAiException(
                $"Kubernetes refused to create Job {job} in namespace {ns} (403 Forbidden{reason}). The lab's service account may create " +
                "only the federated Jobs, and only with k8s/components/federated-rbac applied: kubectl -n " + ns +
                " apply -k k8s/overlays/federated (as a cluster administrator: it adds an admission policy).", e),
            HttpStatusCode.Conflict => new EdgeAiException(
                $"Job {job} already exists in namespace {ns}: a run named '{options.Name}' was started before. Choose another name, or delete " +
                $"that run's Jobs first: kubectl -n {ns} delete job {options.WorkersJob} {options.AggregatorJob}", e),
            HttpStatusCode.NotFound => new EdgeAiException(
                $"Kubernetes has no namespace {ns} to create Job {job} in (404 Not Found{reason}); name the namespace the lab runs in.", e),
            var code => new EdgeAiException(
                $"Kubernetes refused to create Job {job} in namespace {ns} ({(int?)code} {code}{reason}).", e),
        };
    }

    /// <summary>After the aggregator was refused: the workers already created are deleted, and the message says so.</summary>
    public static async Task<EdgeAiException> AfterDeletingAsync(Exception refused, Func<Task> deleteWorkers, string workers)
    {
        try
        {
            await deleteWorkers();
            return new EdgeAiException($"{refused.Message} Job {workers} was created and has been deleted again.", refused);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or ReplyTooLargeException)
        {
            var why = e is HttpOperationException http ? $"{(int?)http.Response?.StatusCode}{Reason(http)}" : e.Message;
            return new EdgeAiException($"{refused.Message} Job {workers} was created and could not be deleted ({why}): delete it yourself.", refused);
        }
    }

    /// <summary>The Status message the API server sent (the admission policy's or RBAC's sentence), on one line,
    /// shortened; nothing when there is none.</summary>
    static string Reason(HttpOperationException e)
    {
        string? message = null;
        try
        {
            if (e.Response?.Content is { Length: > 0 } body)
                message = KubernetesJson.Deserialize<V1Status>(body)?.Message;
        }
        catch (System.Text.Json.JsonException) { }
        if (string.IsNullOrWhiteSpace(message))
            return "";
        message = Controls().Replace(message, " ").Trim();
        return ": " + (message.Length > MaxReason ? message[..MaxReason] + "…" : message);
    }

    static T? Inner<T>(Exception e) where T : Exception
    {
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
            if (inner is T found)
                return found;
        return null;
    }

    [GeneratedRegex(@"[\p{C}\s]+")]
    private static partial Regex Controls();
}
