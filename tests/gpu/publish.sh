#!/usr/bin/env bash
# Publishes what the device check needs, self-contained and without libtorch natives (the device machine has no .NET
# and brings its own PyTorch): the arrakis command with its built-in plugins, and Arrakis.GpuCheck, into ONE folder so
# they share one copy of the runtime; then packs it as one .tar.xz under 64 MiB (what may travel with the working tree).
#   tests/gpu/publish.sh [OUT]        default OUT: artifacts/gpu  →  OUT/app/ and OUT/carry/arrakis-gpu.tar.xz
# CI (.ci/run) runs this, so the publish cannot rot between lent GPUs. Exit status non-zero on any failed check.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-artifacts/gpu}
LIMIT=$((64 * 1024 * 1024))
rm -rf "$OUT/app" "$OUT/carry"
mkdir -p "$OUT/app" "$OUT/carry"
common=(-c Release -r linux-x64 --self-contained -p:ArrakisLibtorchNatives=false -nologo -v:q)
dotnet publish src/Arrakis.Cli "${common[@]}" -o "$OUT/app"
dotnet publish tests/gpu/Arrakis.GpuCheck "${common[@]}" -o "$OUT/app"

fail() { echo "publish check FAILED: $*" >&2; exit 1; }
[ -x "$OUT/app/arrakis" ] || fail "no arrakis apphost in $OUT/app"
[ -x "$OUT/app/Arrakis.GpuCheck" ] || fail "no Arrakis.GpuCheck apphost in $OUT/app"
[ -f "$OUT/app/libLibTorchSharp.so" ] || fail "TorchSharp's libLibTorchSharp.so is missing"
[ -f "$OUT/app/libcoreclr.so" ] || fail "not self-contained: no libcoreclr.so"
for lib in libtorch_cpu.so libtorch.so libc10.so; do
  [ ! -e "$OUT/app/$lib" ] || fail "$lib was published (ArrakisLibtorchNatives=false should leave libtorch out)"
done
for plugin in "$OUT"/app/plugins/*/; do
  [ -d "$plugin" ] || fail "no built-in plugin folders under $OUT/app/plugins"
  for runtime in libcoreclr.so System.Private.CoreLib.dll TorchSharp.dll Arrakis.Core.dll; do
    [ ! -e "$plugin$runtime" ] || fail "$plugin holds $runtime: plugin folders must hold only the plugin's own files"
  done
done
echo "plugin folders: $(for p in "$OUT"/app/plugins/*/; do printf '%s (%s files) ' "$(basename "$p")" "$(ls "$p" | wc -l)"; done)"

# (The weak-symbol copy of libLibTorchSharp.so that a local run may have written beside it is not packed.)
tar -C "$OUT" --exclude='*.arrakis-weak.so*' -cf - app | xz -T0 -6 > "$OUT/carry/arrakis-gpu.tar.xz"
size=$(stat -c %s "$OUT/carry/arrakis-gpu.tar.xz")
echo "published $(du -sm "$OUT/app" | cut -f1) MB in $OUT/app; packed $((size / 1024 / 1024)) MiB ($size bytes) in $OUT/carry/arrakis-gpu.tar.xz"
[ "$size" -lt "$LIMIT" ] || fail "the packed publish is $size bytes, over the 64 MiB that may travel to the device"
