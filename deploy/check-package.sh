#!/usr/bin/env bash
# Checks that an unpacked Lambda package can start on provided.al2023 for its architecture, without running it (an
# arm64 Native AOT binary cannot run on an x86_64 machine, not even under qemu-user):
#
#   deploy/check-package.sh DIR arm64|x86_64
#
# - every ELF file is built for the architecture (aarch64 or x86-64);
# - no ELF file needs a glibc symbol version newer than 2.34, the glibc of Amazon Linux 2023;
# - every shared library they need is one Amazon Linux 2023 ships in the base image (glibc's, libgcc_s, libstdc++,
#   zlib and OpenSSL 3);
# - bootstrap and run.sh are there and executable.
# package.sh runs it on every package it builds.
set -euo pipefail

dir="${1:?usage: check-package.sh DIR arm64|x86_64}"
arch="${2:?usage: check-package.sh DIR arm64|x86_64}"
case "$arch" in
  arm64) machine='AArch64' ;;
  x86_64) machine='Advanced Micro Devices X86-64' ;;
  *) echo "error: architecture must be arm64 or x86_64 (got '$arch')" >&2; exit 2 ;;
esac
command -v readelf >/dev/null || { echo "error: readelf (binutils) is needed to check the package" >&2; exit 1; }

max_glibc="2.34"
allowed_libraries='^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libgcc_s\.so\.1|libstdc\+\+\.so\.6|libz\.so\.1|libssl\.so\.3|libcrypto\.so\.3|ld-linux-aarch64\.so\.1|ld-linux-x86-64\.so\.2)$'

faults=()
for script in bootstrap run.sh; do
  [ -x "$dir/$script" ] || faults+=("$script is missing or not executable")
done

elves=0
while IFS= read -r -d '' file; do
  [ "$(head -c 4 "$file" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] || continue
  elves=$((elves + 1))
  name="${file#"$dir"/}"
  found_machine=$(readelf -h "$file" | sed -n 's/^ *Machine: *//p')
  [ "$found_machine" = "$machine" ] || faults+=("$name is built for '$found_machine', not $arch")
  while read -r version; do
    [ "$(printf '%s\n%s\n' "$version" "$max_glibc" | sort -V | tail -1)" = "$max_glibc" ] \
      || faults+=("$name needs GLIBC_$version; Amazon Linux 2023 has $max_glibc")
  done < <(readelf -V --wide "$file" | grep -o 'Name: GLIBC_[0-9.]*' | sed 's/Name: GLIBC_//' | sort -uV)
  while read -r library; do
    [[ "$library" =~ $allowed_libraries ]] || faults+=("$name needs $library, which Amazon Linux 2023 does not ship")
  done < <(readelf -d --wide "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done < <(find "$dir" -type f -print0)
[ "$elves" -gt 0 ] || faults+=("no ELF file in $dir")

if [ "${#faults[@]}" -gt 0 ]; then
  printf 'error: %s\n' "${faults[@]}" >&2
  exit 1
fi
echo "$dir: $elves ELF file(s) for $arch, glibc <= $max_glibc, libraries Amazon Linux 2023 has"
