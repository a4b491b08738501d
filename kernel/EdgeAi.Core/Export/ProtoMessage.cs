using Google.Protobuf;

namespace EdgeAi.Core.Export;

/// <summary>
/// One protobuf message, written field by field with Google.Protobuf's <see cref="CodedOutputStream"/>. NuGet has no
/// maintained library that builds ONNX models for .NET (ONNX Runtime only reads them; the ML.NET converter exports
/// ML.NET pipelines), and the exporter needs only a handful of ONNX's messages, so their fields are written here by
/// number, as onnx.proto numbers them, instead of generating code from a vendored onnx.proto.
/// </summary>
sealed class ProtoMessage
{
    readonly MemoryStream buffer = new();
    readonly CodedOutputStream output;

    public ProtoMessage() => output = new CodedOutputStream(buffer, leaveOpen: true);

    public ProtoMessage Int64(int field, long value)
    {
        output.WriteTag(field, WireFormat.WireType.Varint);
        output.WriteInt64(value);
        return this;
    }

    public ProtoMessage Int32(int field, int value)
    {
        output.WriteTag(field, WireFormat.WireType.Varint);
        output.WriteInt32(value);
        return this;
    }

    public ProtoMessage String(int field, string value)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteString(value);
        return this;
    }

    public ProtoMessage Bytes(int field, ReadOnlySpan<byte> value)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(value));
        return this;
    }

    public ProtoMessage Message(int field, ProtoMessage value) => Bytes(field, value.ToArray());

    public byte[] ToArray()
    {
        output.Flush();
        return buffer.ToArray();
    }
}
