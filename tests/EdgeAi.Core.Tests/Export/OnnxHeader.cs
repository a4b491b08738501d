using Google.Protobuf;

namespace EdgeAi.Core.Tests.Export;

/// <summary>ir_version (field 1) and the default domain's opset (field 8) of an ONNX file, read with Google.Protobuf's
/// reader: ONNX Runtime's API does not tell them.</summary>
static class OnnxHeader
{
    public static (long IrVersion, long Opset) Read(string path)
    {
        using var input = new CodedInputStream(File.OpenRead(path));
        long ir = -1, opset = -1;
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1:
                    ir = input.ReadInt64();
                    break;
                case 8:
                    var (domain, version) = OperatorSet(input.ReadBytes());
                    if (domain is "" or "ai.onnx")
                        opset = version;
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }
        return (ir, opset);
    }

    static (string Domain, long Version) OperatorSet(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        var (domain, version) = ("", -1L);
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1)
                domain = input.ReadString();
            else if (WireFormat.GetTagFieldNumber(tag) == 2)
                version = input.ReadInt64();
            else
                input.SkipLastField();
        }
        return (domain, version);
    }
}
