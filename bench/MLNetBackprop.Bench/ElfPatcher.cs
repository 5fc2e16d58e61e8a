using System.Buffers.Binary;
using System.Text;

namespace MLNetBackprop.Bench;

/// <summary>
/// Makes TorchSharp load on Debian 12: its libLibTorchSharp.so declares a need for GLIBCXX_3.4.32
/// (only for the unused marker symbol std::ios_base_library_init), which Debian 12's libstdc++
/// (GLIBCXX_3.4.30) lacks. Setting VER_FLG_WEAK (0x2) in the vna_flags of that entry of
/// .gnu.version_r turns the missing version into a warning-free soft requirement. Patches the
/// built copy in the output directory, in place, idempotently, before the first torch call.
/// </summary>
public static class ElfPatcher
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>Patches every libLibTorchSharp.so under the app's folder; returns a one-line report.</summary>
    public static string PatchTorchSharp(string version = "GLIBCXX_3.4.32")
    {
        var baseDir = AppContext.BaseDirectory;
        var files = Directory.GetFiles(baseDir, "libLibTorchSharp.so", SearchOption.AllDirectories);
        if (files.Length == 0) return $"ELF patch: no libLibTorchSharp.so under {baseDir}";
        var sb = new StringBuilder();
        foreach (var f in files)
        {
            var r = MarkVersionWeak(f, version);
            sb.Append($"ELF patch {Path.GetRelativePath(baseDir, f)}: {r}; ");
        }
        return sb.ToString().TrimEnd(' ', ';');
    }

    /// <summary>Sets VER_FLG_WEAK on the version-need entry named <paramref name="version"/>.</summary>
    /// <returns>"patched", "already weak" or "no such version need".</returns>
    public static string MarkVersionWeak(string path, string version)
    {
        byte[] elf = File.ReadAllBytes(path);
        var s = elf.AsSpan();
        if (s.Length < 64 || s[0] != 0x7f || s[1] != (byte)'E' || s[2] != (byte)'L' || s[3] != (byte)'F')
            throw new InvalidDataException($"{path} is not an ELF file.");
        if (s[4] != 2 || s[5] != 1) throw new InvalidDataException($"{path}: only ELF64 little-endian is handled.");

        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(s[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(s[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(s[0x3C..]);

        for (int i = 0; i < shnum; i++)
        {
            var sh = s[(int)(shoff + (ulong)(i * shentsize))..];
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]);
            if (type != ShtGnuVerneed) continue;
            long off = (long)BinaryPrimitives.ReadUInt64LittleEndian(sh[0x18..]);
            uint link = BinaryPrimitives.ReadUInt32LittleEndian(sh[0x28..]);
            uint count = BinaryPrimitives.ReadUInt32LittleEndian(sh[0x2C..]); // sh_info = number of Verneed entries
            var strSh = s[(int)(shoff + (ulong)(link * shentsize))..];
            long strOff = (long)BinaryPrimitives.ReadUInt64LittleEndian(strSh[0x18..]);

            long vn = off;
            for (uint e = 0; e < count; e++)
            {
                int cnt = BinaryPrimitives.ReadUInt16LittleEndian(s[(int)(vn + 2)..]);
                uint aux = BinaryPrimitives.ReadUInt32LittleEndian(s[(int)(vn + 8)..]);
                uint next = BinaryPrimitives.ReadUInt32LittleEndian(s[(int)(vn + 12)..]);
                long va = vn + aux;
                for (int a = 0; a < cnt; a++)
                {
                    ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(s[(int)(va + 4)..]);
                    uint name = BinaryPrimitives.ReadUInt32LittleEndian(s[(int)(va + 8)..]);
                    uint vnext = BinaryPrimitives.ReadUInt32LittleEndian(s[(int)(va + 12)..]);
                    if (ReadCString(s, strOff + name) == version)
                    {
                        if ((flags & VerFlgWeak) != 0) return "already weak";
                        BinaryPrimitives.WriteUInt16LittleEndian(s[(int)(va + 4)..], (ushort)(flags | VerFlgWeak));
                        var tmp = path + ".patching";
                        File.WriteAllBytes(tmp, elf);
                        File.Move(tmp, path, overwrite: true);
                        return "patched";
                    }
                    if (vnext == 0) break;
                    va += vnext;
                }
                if (next == 0) break;
                vn += next;
            }
        }
        return "no such version need";
    }

    private static string ReadCString(ReadOnlySpan<byte> s, long at)
    {
        int start = (int)at, end = start;
        while (s[end] != 0) end++;
        return Encoding.ASCII.GetString(s[start..end]);
    }
}
