#!/usr/bin/env bash
# Builds the Lambda package: one zip that every function of the service runs (read, reserve, admin, jobs, queue,
# authorizer), each with its own role and environment.
#
#   deploy/package.sh [arm64|x86_64] [framework|self-contained|aot]      (defaults: arm64 framework)
#
# framework:      for the managed dotnet10 runtime. Handler run.sh, layer = Lambda Web Adapter,
#                 AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap. ReadyToRun app and dependencies; AWS patches the runtime.
# self-contained: for provided.al2023. The zip's bootstrap starts the app; the runtime ships inside (ReadyToRun).
# aot:            Native AOT, for provided.al2023 (or dotnet10 with run.sh): one native executable, no JIT.
#                 Needs clang (Debian's clang-14 is used when plain clang is missing); arm64 needs a cross linker.
#
# Output: artifacts/lambda/inventory-<arch>-<mode>.zip, and the unpacked folder beside it.
set -euo pipefail
cd "$(dirname "$0")/.."

arch="${1:-arm64}"
mode="${2:-framework}"
case "$arch" in
  arm64) rid=linux-arm64 ;;
  x86_64) rid=linux-x64 ;;
  *) echo "error: architecture must be arm64 or x86_64 (got '$arch')" >&2; exit 2 ;;
esac
case "$mode" in
  framework) self_contained=false; publish=(-p:PublishReadyToRun=true -p:TieredPGO=true) ;;
  self-contained) self_contained=true; publish=(-p:PublishReadyToRun=true -p:TieredPGO=true) ;;
  aot)
    self_contained=true
    compiler=$(command -v clang || command -v clang-14 || true)
    [ -n "$compiler" ] || { echo "error: Native AOT needs clang (apt-get install clang)" >&2; exit 1; }
    publish=(-p:PublishAot=true "-p:CppCompilerAndLinker=$(basename "$compiler")" -p:StripSymbols=true) ;;
  *) echo "error: mode must be framework, self-contained or aot (got '$mode')" >&2; exit 2 ;;
esac

name="inventory-$arch-$mode"
out="artifacts/lambda/$name"
rm -rf "$out" "$out.zip"
mkdir -p "$out"

dotnet publish src/Inventory.Api -c Release -r "$rid" --self-contained "$self_contained" "${publish[@]}" \
  -p:DebugType=none -p:GenerateDocumentationFile=false \
  -o "$out" -nologo -v quiet

# Development settings (DynamoDB Local, demo keys) never ship.
rm -f "$out/appsettings.Development.json"

# The Lambda Web Adapter's exec wrapper runs $LAMBDA_TASK_ROOT/$_HANDLER; provided.al2023 runs ./bootstrap.
# Both start Kestrel on the port the adapter forwards to; the environment decides which function this is.
rm -f "$out"/*.dbg
if [ "$self_contained" = true ]; then
  start='exec "$LAMBDA_TASK_ROOT/Inventory.Api" --urls "http://127.0.0.1:${AWS_LWA_PORT:-8080}"'
else
  start='exec dotnet "$LAMBDA_TASK_ROOT/Inventory.Api.dll" --urls "http://127.0.0.1:${AWS_LWA_PORT:-8080}"'
fi
for script in run.sh bootstrap; do
  printf '#!/bin/sh\n# Started by Lambda (through the Web Adapter exec wrapper, or as the bootstrap of provided.al2023).\nLAMBDA_TASK_ROOT="${LAMBDA_TASK_ROOT:-$(dirname "$0")}"\ncd "$LAMBDA_TASK_ROOT"\n%s\n' "$start" > "$out/$script"
  chmod 755 "$out/$script"
done

# Fixed timestamps and order, so the same sources give the same zip (Terraform compares its hash).
find "$out" -exec touch -h -d '2020-01-01 00:00:00' {} +
# zip keeps the scripts' execute bits; where it is missing, Python's zipfile does too.
if command -v zip >/dev/null; then
  (cd "$out" && find . -type f | LC_ALL=C sort | zip -q -X -D "../$name.zip" -@)
else
  (cd "$out" && python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for f in sorted(l.strip() for l in sys.stdin): z.write(f)' "../$name.zip" < <(find . -type f))
fi
echo "$out.zip ($(du -h "$out.zip" | cut -f1), unpacked $(du -sh "$out" | cut -f1))"
