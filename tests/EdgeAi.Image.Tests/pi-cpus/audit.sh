#!/usr/bin/env bash
# pi-cpus/audit.sh [--debian] [FILE|DIR]...: what the arm64 native libraries we ship or install would execute beyond
# a Raspberry Pi 4B's CPU (Cortex-A72, ARMv8.0-A, and the BCM2711 has no cryptography extension). For each aarch64
# ELF library it disassembles the code (binutils' aarch64-linux-gnu-objdump -d) and counts the instructions of each
# extension past ARMv8.0-A, and says how the library could choose them at run time (getauxval, /proc/cpuinfo,
# pytorch's cpuinfo library), because a count is not a crash: a library that checks HWCAP first never executes the
# guarded path on a Pi. qemu's cortex-a72 shows the difference only for what it lacks too (LSE, dot product, SVE,
# FP16, ...); it has AES/SHA/PMULL, the Pi does not, so those counts matter most here.
# Without arguments: ONNX Runtime's linux-arm64 natives and .NET's linux-arm64 runtime pack from the NuGet cache.
# --debian: also Debian 13's arm64 libtorch2.6 and the libraries under it that choose kernels (oneDNN, XNNPACK,
# SLEEF, cpuinfo), the reference BLAS/LAPACK (what apt resolves libtorch2.6's libblas.so.3 to) and OpenBLAS, fetched
# with apt-get download through a private apt state under .lab/pi-cpus/apt (an arm64 package index of its own: the
# host's dpkg architectures are not touched). About 80 MB, once.
# Disassembling libtorch_cpu (200 MB) takes minutes of one core; the rest, seconds.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
STATE=$ROOT/.lab/pi-cpus
NUGET=${NUGET_PACKAGES:-$HOME/.nuget/packages}
command -v aarch64-linux-gnu-objdump > /dev/null || { echo "audit: no aarch64-linux-gnu-objdump (apt-get install binutils-aarch64-linux-gnu)" >&2; exit 1; }

debian_libraries() {
  local apt=$STATE/apt packages=(libtorch2.6 libdnnl3.6 libxnnpack0.20241108 libsleef3 libblas3 liblapack3 libopenblas0-pthread libcpuinfo0)
  if [[ ! -d $apt/root/usr/lib/aarch64-linux-gnu ]]; then
    mkdir -p "$apt"/{lists/partial,cache/archives/partial,etc/apt.conf.d,etc/preferences.d,etc/sources.list.d,debs,root}
    echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" > "$apt/etc/sources.list"
    cat > "$apt/apt.conf" <<CONF
Dir::Etc::SourceList "$apt/etc/sources.list"; Dir::Etc::SourceParts "$apt/etc/sources.list.d";
Dir::Etc::Parts "$apt/etc/apt.conf.d"; Dir::Etc::PreferencesParts "$apt/etc/preferences.d";
Dir::State::Lists "$apt/lists"; Dir::Cache "$apt/cache"; Dir::State::status "/dev/null";
APT::Architecture "arm64"; APT::Architectures { "arm64"; }; Acquire::Languages "none";
CONF
    APT_CONFIG=$apt/apt.conf apt-get -qq update
    (cd "$apt/debs" && APT_CONFIG=$apt/apt.conf apt-get -qq -o APT::Sandbox::User=root download "${packages[@]}")
    for deb in "$apt"/debs/*.deb; do dpkg-deb -x "$deb" "$apt/root"; done
  fi
  find "$apt/root/usr/lib/aarch64-linux-gnu" -name '*.so*' -type f | sort
}

inputs=()
if [[ ${1:-} == --debian ]]; then debian=1; shift; else debian=0; fi
if (($#)); then
  inputs=("$@")
else
  inputs+=("$NUGET"/microsoft.ml.onnxruntime/*/runtimes/linux-arm64/native)
  inputs+=("$NUGET"/microsoft.netcore.app.runtime.linux-arm64/*/runtimes/linux-arm64/native)
fi
((debian)) && mapfile -t -O "${#inputs[@]}" inputs < <(debian_libraries)

libraries=()
for input in "${inputs[@]}"; do
  [[ -e $input ]] || { echo "audit: $input: not found (restore the package first)" >&2; continue; }
  while IFS= read -r file; do
    # aarch64 ELF only: e_machine 183 (0xb7) at offset 18.
    [[ $(head -c 4 "$file" | od -An -c | tr -d ' ') == '177ELF' && $(od -An -tu2 -j18 -N2 "$file" | tr -d ' ') == 183 ]] && libraries+=("$file")
  done < <(find "$input" -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) | sort)
done
((${#libraries[@]})) || { echo "audit: no aarch64 libraries found" >&2; exit 1; }

# One line per instruction class; the awk reads objdump's "ADDR:<TAB>MNEMONIC<TAB>OPERANDS" lines.
classify='
function bump(class) { count[class]++; if (fn != "") where[class SUBSEP fn]++ }
/^[0-9a-f]+ <.*>:$/ { fn = $2; gsub(/[<>:]/, "", fn); since_guard = 99; next }
/^ +[0-9a-f]+:\t/ {
  m = $2; o = $3; since_guard++
  # libgcc outline atomics (-moutline-atomics, GCC 10+): "ldrb w16, [x16, ...]; cbz w16, fallback; <LSE op>";
  # the byte is __aarch64_have_lse_atomics, set from getauxval(AT_HWCAP) in a constructor.
  if (m == "cbz" && o ~ /^w16,/) since_guard = 0
  if (o ~ /(^|[ ,{])z[0-9]+\.|(^|[ ,{])p[0-9]+(\/[zm]|\.[bhsd]|,|$)|(^|[ ,])za/ || m ~ /^(ptrues?|pfalse|rdvl|addvl|addpl|cnt[bhwd]|inc[bhwd]|dec[bhwd]|whilel[eost]|smstart|smstop)$/) { bump("SVE/SME"); next }
  if (m ~ /^(ld(add|clr|eor|set|smax|smin|umax|umin)|st(add|clr|eor|set|smax|smin|umax|umin)|swp|casp?)(a|l|al)?[bh]?$/) {
    if (since_guard <= 2) bump("LSE atomics (ARMv8.1), in libgcc outline-atomics helpers: HWCAP-guarded"); else bump("LSE atomics (ARMv8.1)"); next }
  if (m ~ /^sqrdml[as]h$/) { bump("RDM (ARMv8.1)"); next }
  if (m ~ /^(smmla|ummla|usmmla|usdot|sudot)$/) { bump("Int8 matrix multiply (ARMv8.6)"); next }
  if (m ~ /^[su]dot$/) { bump("dot product (ARMv8.2+)"); next }
  if (m ~ /^(bfdot|bfmmla|bfmlal[bt]|bfcvtn?2?)$/) { bump("BFloat16 (ARMv8.6)"); next }   # not bfi/bfxil/bfm: ARMv8.0
  if (m ~ /^fml[as]l2?$/) { bump("FP16 arithmetic (ARMv8.2)"); next }
  if (m ~ /^f/ && m !~ /^fcvt[ln]?2?$/ && (o ~ /(^|[ ,])h[0-9]+(,|$)/ || o ~ /v[0-9]+\.[48]h/)) { bump("FP16 arithmetic (ARMv8.2)"); next }
  if (m ~ /^(aes[ed]|aesi?mc|sha1[a-z0-9]*|sha256[a-z0-9]*)$/ || (m ~ /^pmull2?$/ && o ~ /\.1q/)) { bump("AES/SHA1/SHA256/PMULL64 (crypto: not on the BCM2711)"); next }
  if (m ~ /^(sha512[a-z0-9]*|eor3|bcax|rax1|xar|sm3[a-z0-9]*|sm4[a-z0-9]*)$/) { bump("SHA3/SHA512/SM3/SM4 (ARMv8.2)"); next }
  if (m ~ /^(ldapr|ldapur|stlur)/) { bump("RCpc loads/stores (ARMv8.3/8.4)"); next }
  if (m ~ /^(fjcvtzs|fcmla|fcadd)$/) { bump("JSCVT/complex FP (ARMv8.3)"); next }
  if (m ~ /^(pac(i[ab]|d[ab]|ga)|aut(i[ab]|d[ab])|reta[ab]|bra[ab]z?|blra[ab]z?|ldra[ab]|xpac[id])$/) { bump("pointer authentication (ARMv8.3)"); next }
  if (m ~ /^(paci[ab]sp|auti[ab]sp|paci[ab]z|auti[ab]z|paci[ab]1716|auti[ab]1716|xpaclri|bti)$/) { bump("PAC/BTI hints (NOPs on ARMv8.0: harmless)"); next }
  if (m ~ /^crc32/) { bump("CRC32 (the Pi 4B has it)"); next }
  if (m ~ /^(frint(32|64)[xz]|cfinv|rmif|setf(8|16)|axflag|xaflag)$/) { bump("ARMv8.4/8.5 other"); next }
}
END {
  for (class in count) {
    best = ""; top = 0
    for (key in where) { split(key, part, SUBSEP); if (part[1] == class && where[key] > top) { top = where[key]; best = part[2] } }
    printf "%s\t%d\t%s\n", class, count[class], best == "" ? "" : best " (" top ")"
  }
}'

# How FILE could choose its code by the CPU it runs on. The tables are read into variables first: grep -q on a pipe
# would stop objdump early, and pipefail would count that as a miss.
say_guards() {
  local file=$1 guards=() symbols needed
  symbols=$(aarch64-linux-gnu-objdump -T "$file" 2>/dev/null || true)
  needed=$(aarch64-linux-gnu-objdump -p "$file" 2>/dev/null || true)
  [[ $symbols == *getauxval* ]] && guards+=("imports getauxval")
  grep -qa '/proc/cpuinfo' "$file" && guards+=("reads /proc/cpuinfo")
  [[ $symbols == *cpuinfo_initialize* || $needed == *NEEDED*libcpuinfo* ]] && guards+=("uses pytorch's cpuinfo")
  grep -qaE 'asimddp|HWCAP_|aarch64_have_lse' "$file" && guards+=("names HWCAP bits")
  local IFS=,
  printf '%s' "${guards[*]:-no run-time CPU check found}" | sed 's/,/, /g'
}

echo "arm64 libraries against ARMv8.0-A (a Raspberry Pi 4B, Cortex-A72 without crypto): instructions per extension"
for file in "${libraries[@]}"; do
  name=${file#"$NUGET"/}; name=${name#"$STATE"/apt/root}
  counts=$(aarch64-linux-gnu-objdump -d --no-show-raw-insn "$file" 2>/dev/null | awk -F'\t' "$classify" | sort)
  echo "$name ($(( $(stat -c %s "$file") / 1024 )) KiB): $(say_guards "$file")"
  if [[ -z $counts ]]; then echo "  none beyond ARMv8.0-A"; continue; fi
  while IFS=$'\t' read -r class count where; do
    printf '  %-72s %8d%s\n' "$class" "$count" "${where:+   most in $where}"
  done <<< "$counts"
done
