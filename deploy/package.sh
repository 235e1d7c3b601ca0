#!/usr/bin/env bash
# Builds the Lambda package: one zip that every function of the service runs (read, reserve, admin, jobs, queue,
# authorizer), each with its own role and environment.
#
#   deploy/package.sh [arm64|x86_64] [aot|framework|self-contained]      (defaults: arm64 aot)
#
# aot:            Native AOT for provided.al2023 (what the Terraform deploys): one native executable, no JIT;
#                 the zip's bootstrap starts it and the Lambda Web Adapter layer forwards to it. Needs clang, and
#                 for arm64 on an x86_64 machine the aarch64 cross toolchain (`make package` installs both).
#                 Links against glibc 2.34 at most, which Amazon Linux 2023 has (check-package.sh checks it).
# framework:      for the managed dotnet10 runtime: handler run.sh, AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap,
#                 ReadyToRun. Slower to start (docs/benchmarks.md), but AWS patches the runtime.
# self-contained: for provided.al2023 with the runtime inside, ReadyToRun.
#
# Output: artifacts/lambda/inventory-<arch>-<mode>.zip, and the unpacked folder beside it.
set -euo pipefail
cd "$(dirname "$0")/.."

arch="${1:-arm64}"
mode="${2:-aot}"
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
    if [ "$arch" = arm64 ] && [ "$(uname -m)" != aarch64 ] && ! command -v aarch64-linux-gnu-gcc >/dev/null; then
      echo "error: an arm64 Native AOT build on $(uname -m) needs the aarch64 cross toolchain (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)" >&2
      exit 1
    fi
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
# The start line is written into the scripts as it is: the variables expand when Lambda runs them, not here.
# shellcheck disable=SC2016
if [ "$self_contained" = true ]; then
  start='exec "$LAMBDA_TASK_ROOT/Inventory.Api" --urls "http://127.0.0.1:${AWS_LWA_PORT:-8080}"'
else
  start='exec dotnet "$LAMBDA_TASK_ROOT/Inventory.Api.dll" --urls "http://127.0.0.1:${AWS_LWA_PORT:-8080}"'
fi
for script in run.sh bootstrap; do
  # shellcheck disable=SC2016
  printf '#!/bin/sh\n# Started by Lambda (through the Web Adapter exec wrapper, or as the bootstrap of provided.al2023).\nLAMBDA_TASK_ROOT="${LAMBDA_TASK_ROOT:-$(dirname "$0")}"\ncd "$LAMBDA_TASK_ROOT"\n%s\n' "$start" > "$out/$script"
  chmod 755 "$out/$script"
done

# The architecture, the glibc versions and the shared libraries it needs: what Lambda will refuse, caught here.
deploy/check-package.sh "$out" "$arch"

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
