using System.Net;
using EdgeAi.Core;

namespace EdgeAi.Interactive.Cluster;

/// <summary>
/// Caps what is read of each reply from the API server. KubernetesClient reads a whole reply into memory before it
/// parses it, and the kernel keeps what it once grew to: one 400 MB pod listing took the kernel from 0.4 to 2.2 GB
/// for good, above a small pod's limit. Nothing #!cluster asks for comes near the cap (a pod is a few KB of JSON; a
/// Deployment's pods at 8 MiB would be over a thousand); a larger reply is refused by name, and the rest of it is
/// never read.
/// </summary>
public sealed class BoundedReplies(long maxBytes = BoundedReplies.DefaultMaxBytes) : DelegatingHandler
{
    public const long DefaultMaxBytes = 8 << 20;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancel)
    {
        var response = await base.SendAsync(request, cancel);
        var what = $"{request.Method} {request.RequestUri?.AbsolutePath}";
        if (response.Content.Headers.ContentLength is { } length && length > maxBytes)
        {
            response.Dispose();
            throw new ReplyTooLargeException(what, maxBytes, $"announces {length:N0} bytes");
        }
        response.Content = new BoundedContent(response.Content, maxBytes, what);
        return response;
    }

    sealed class BoundedContent : HttpContent
    {
        readonly HttpContent inner;
        readonly long maxBytes;
        readonly string what;

        public BoundedContent(HttpContent inner, long maxBytes, string what)
        {
            (this.inner, this.maxBytes, this.what) = (inner, maxBytes, what);
            foreach (var header in inner.Headers)
                Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancel) =>
            new BoundedStream(await inner.ReadAsStreamAsync(cancel), maxBytes, what);

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancel)
        {
            await using var source = await CreateContentReadStreamAsync(cancel);
            await source.CopyToAsync(stream, cancel);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>Reads on until the cap, then throws: the reply's end is never waited for.</summary>
    sealed class BoundedStream(Stream inner, long maxBytes, string what) : Stream
    {
        long read;

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancel = default) =>
            Count(await inner.ReadAsync(buffer, cancel));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancel) =>
            ReadAsync(buffer.AsMemory(offset, count), cancel).AsTask();

        int Count(int n)
        {
            read += n;
            if (read > maxBytes)
                throw new ReplyTooLargeException(what, maxBytes, "went on past it");
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}

/// <summary>A reply from the API server over <see cref="BoundedReplies"/>' cap; it was not read further.</summary>
public sealed class ReplyTooLargeException(string what, long maxBytes, string how)
    : EdgeAiException($"The API server's reply to {what} {how}, more than the {maxBytes / (1 << 20)} MiB #!cluster reads; " +
                      "it was refused and not read further (is the API server address right? a proxy in the way?).");
