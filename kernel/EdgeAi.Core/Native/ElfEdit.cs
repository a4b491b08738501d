using System.Buffers.Binary;
using System.Text;

namespace EdgeAi.Core.Native;

/// <summary>
/// Reads the version requirements and SONAME of a little-endian ELF64 shared library and makes one
/// requirement weak (VER_FLG_WEAK, LSB "Symbol Versioning"), for <see cref="TorchNative"/>. Written by
/// hand: no .NET library edits ELF, and the edit changes two bytes without moving anything.
/// </summary>
public static class ElfEdit
{
    const uint ShtDynamic = 6;
    const long DtSoname = 14;

    /// <summary>The library's DT_SONAME, or null.</summary>
    public static string? ReadSoname(byte[] elf)
    {
        string? soname = null;
        WalkDynamic(elf, (tag, _, stringOffset) => { if (tag == DtSoname) soname = ReadString(elf, stringOffset); });
        return soname;
    }

    static void WalkDynamic(byte[] elf, Action<long, int, int> visit)
    {
        foreach (var (offset, size, strings) in Sections(elf, ShtDynamic))
            for (var entry = offset; entry + 16 <= offset + size; entry += 16)
            {
                var tag = BinaryPrimitives.ReadInt64LittleEndian(elf.AsSpan(entry));
                if (tag == 0)
                    break;
                visit(tag, entry, strings + (int)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(entry + 8)));
            }
    }

    /// <summary>(file offset, size, file offset of the linked string table) of each section of a type.</summary>
    static IEnumerable<(int Offset, int Size, int Strings)> Sections(byte[] elf, uint type)
    {
        CheckHeader(elf);
        var table = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(0x28)));
        var entrySize = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3A));
        var count = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3C));
        for (var i = 0; i < count; i++)
        {
            var header = elf.AsSpan(table + i * entrySize, entrySize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != type)
                continue;
            var link = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[0x28..]);
            var strings = elf.AsSpan(table + link * entrySize, entrySize);
            yield return (checked((int)BinaryPrimitives.ReadUInt64LittleEndian(header[0x18..])),
                          checked((int)BinaryPrimitives.ReadUInt64LittleEndian(header[0x20..])),
                          checked((int)BinaryPrimitives.ReadUInt64LittleEndian(strings[0x18..])));
        }
    }

    static void CheckHeader(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("only little-endian ELF64 is supported");
    }

    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlagWeak = 0x2;

    /// <summary>Every (file, version) pair the library requires, e.g. ("libstdc++.so.6", "GLIBCXX_3.4.32").</summary>
    public static IReadOnlyList<(string File, string Version, bool Weak)> ReadVersionNeeds(byte[] elf)
    {
        var needs = new List<(string, string, bool)>();
        Walk(elf, (file, version, flagsOffset) =>
            needs.Add((file, version, (BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(flagsOffset)) & VerFlagWeak) != 0)));
        return needs;
    }

    /// <summary>Marks the requirement of <paramref name="version"/> weak, so the dynamic loader no longer
    /// refuses the library when the providing file lacks that version. Returns how many entries changed.</summary>
    public static int MarkVersionNeedWeak(byte[] elf, string version)
    {
        var offsets = new List<int>();
        Walk(elf, (_, v, flagsOffset) => { if (v == version) offsets.Add(flagsOffset); });
        foreach (var offset in offsets)
        {
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(offset));
            BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(offset), (ushort)(flags | VerFlagWeak));
        }
        return offsets.Count;
    }

    delegate void NeedVisitor(string file, string version, int flagsOffset);

    static void Walk(byte[] elf, NeedVisitor visit)
    {
        foreach (var (offset, _, strings) in Sections(elf, ShtGnuVerneed))
        {
            var need = offset;
            while (true)
            {
                var auxCount = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(need + 2));
                var file = ReadString(elf, strings + (int)BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(need + 4)));
                var aux = need + (int)BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(need + 8));
                for (var a = 0; a < auxCount; a++)
                {
                    var version = ReadString(elf, strings + (int)BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(aux + 8)));
                    visit(file, version, aux + 4);
                    aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(aux + 12));
                }
                var next = BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(need + 12));
                if (next == 0)
                    break;
                need += (int)next;
            }
        }
    }

    static string ReadString(byte[] elf, int offset)
    {
        var end = Array.IndexOf(elf, (byte)0, offset);
        return Encoding.ASCII.GetString(elf, offset, end - offset);
    }
}
