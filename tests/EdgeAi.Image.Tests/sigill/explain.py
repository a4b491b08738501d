#!/usr/bin/env python3
"""explain.py FILE...: each "edgeai-sigill:" line that report.c wrote into FILE... (a log, a container's stderr) as

  SIGILL in libfoo.so+0x1234 (foo_add+0x8): ldadd w1, w0, [x0] (LSE atomics, ARMv8.1-A) - not available on cortex-a72

The instruction word is disassembled with binutils' aarch64 objdump (binutils-aarch64-linux-gnu); the extension
comes from the mnemonic (the table below: the extensions past ARMv8.0-A that compilers emit). Prints nothing and
exits 0 when no line is there; exits 1 after explaining one or more."""
import os
import re
import subprocess
import sys
import tempfile

LINE = re.compile(r"edgeai-sigill: pid (\d+) pc (0x[0-9a-f]+) in (.*?)\+(0x[0-9a-f]+)( \(.*?\))? word (0x[0-9a-f]{8}) cpu (\S+)")

# (mnemonic pattern, extension): the first that matches names what the instruction needs beyond ARMv8.0-A.
EXTENSIONS = [
    (r"^(ldadd|ldclr|ldeor|ldset|ldsmax|ldsmin|ldumax|ldumin|swp|cas|casp|stadd|stclr|steor|stset|stsmax|stsmin|stumax|stumin)",
     "LSE atomics, ARMv8.1-A"),
    (r"^(sqrdmlah|sqrdmlsh)", "RDM, ARMv8.1-A"),
    (r"^(sdot|udot|usdot|sudot)", "dot product, ARMv8.2-A (optional; ARMv8.4-A)"),
    (r"^(smmla|ummla|usmmla)", "Int8 matrix multiply, ARMv8.6-A"),
    (r"^(bfdot|bfmmla|bfmlal|bfcvt)", "BFloat16, ARMv8.6-A"),
    (r"^(fmlal|fmlsl)", "FP16 FML, ARMv8.2-A"),
    (r"^(ldapr|ldapur|stlur)", "RCpc, ARMv8.3-A/8.4-A"),
    (r"^fjcvtzs", "JSCVT, ARMv8.3-A"),
    (r"^(fcmla|fcadd)", "complex numbers, ARMv8.3-A"),
    (r"^(pac|aut|retaa|retab|braa|brab|blraa|blrab|eretaa)", "pointer authentication, ARMv8.3-A"),
    (r"^(ptrue|pfalse|whilel|whilel[eo]|ld1[bhwd]|st1[bhwd]|incw|incd|cntw|cntd|rdvl|addvl|fmla\s+z|.*\bz\d+\.)", "SVE"),
    (r"^(aes[edim]|aesmc|aesimc|sha1|sha256|sha512|pmull|eor3|bcax|rax1|xar|sm3|sm4)", "cryptography extension"),
    (r"^(crc32)", "CRC32, ARMv8.1-A (optional in ARMv8.0-A)"),
    (r"^(mrs|msr)", "a system register the CPU (or qemu's model) lacks"),
]


def disassemble(word):
    with tempfile.NamedTemporaryFile(suffix=".bin", delete=False) as f:
        f.write(int(word, 16).to_bytes(4, "little"))
    try:
        out = subprocess.run(["aarch64-linux-gnu-objdump", "-D", "-b", "binary", "-m", "aarch64", f.name],
                             capture_output=True, text=True, check=False).stdout
    except FileNotFoundError:
        return None
    finally:
        os.unlink(f.name)
    for line in out.splitlines():
        match = re.match(r"\s*0:\s+[0-9a-f]{8}\s+(.*)", line)
        if match:
            return re.sub(r"\s+", " ", match.group(1).split("//")[0]).strip()
    return None


def extension(instruction):
    if instruction.startswith(".inst") or instruction.startswith("udf"):
        return "not an instruction objdump knows"
    if re.search(r"\bz\d+\.|\bp\d+/[zm]", instruction):
        return "SVE"
    for pattern, name in EXTENSIONS:
        if re.match(pattern, instruction):
            return name
    return "beyond what the emulated CPU implements"


def main(paths):
    found = 0
    for path in paths:
        try:
            text = open(path, errors="replace").read()
        except OSError as error:
            print(f"explain.py: {error}", file=sys.stderr)
            continue
        for match in LINE.finditer(text):
            found += 1
            _, _, binary, offset, symbol, word, cpu = match.groups()
            instruction = disassemble(word)
            if instruction is None:
                what = f"word {word} (install binutils-aarch64-linux-gnu to name the instruction)"
            else:
                what = f"{instruction} ({extension(instruction)})"
            print(f"SIGILL in {os.path.basename(binary)}+{offset}{symbol or ''}: {what} - not available on {cpu}"
                  f" [{binary}]")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
