// deploy/check-package.sh, which package.sh runs on every build, against small binaries built here: it must refuse
// the wrong architecture, a glibc newer than Amazon Linux 2023's 2.34 and a library that image lacks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const script = join(dirname(fileURLToPath(import.meta.url)), "..", "check-package.sh");
const has = (command) => spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;
// A C compiler for this machine: gcc, or the clang that make test installs for Native AOT.
const cc = ["gcc", "cc", "clang"].find(has);

/** A package folder with bootstrap, run.sh and the program built from C source by the compiler. */
function packageWith(compiler, source) {
  const dir = mkdtempSync(join(tmpdir(), "package-check-"));
  writeFileSync(join(dir, "main.c"), source);
  execFileSync(compiler, ["-O1", "-o", join(dir, "Inventory.Api"), join(dir, "main.c")]);
  rmSync(join(dir, "main.c"));
  for (const name of ["bootstrap", "run.sh"]) {
    writeFileSync(join(dir, name), "#!/bin/sh\nexec ./Inventory.Api\n");
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

const check = (dir, arch) => spawnSync("bash", [script, dir, arch], { encoding: "utf8" });
const hello = "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n";

test("a program of the right architecture with glibc's own libraries passes; the wrong architecture fails", { skip: !cc }, () => {
  const dir = packageWith(cc, hello);
  const native = execFileSync("uname", ["-m"], { encoding: "utf8" }).trim() === "aarch64" ? "arm64" : "x86_64";
  assert.equal(check(dir, native).status, 0, check(dir, native).stderr);
  const other = check(dir, native === "arm64" ? "x86_64" : "arm64");
  assert.equal(other.status, 1);
  assert.match(other.stderr, /is built for/);
  rmSync(dir, { recursive: true });
});

test("an aarch64 build passes the arm64 check", { skip: !has("aarch64-linux-gnu-gcc") }, () => {
  const dir = packageWith("aarch64-linux-gnu-gcc", hello);
  const result = check(dir, "arm64");
  assert.equal(result.status, 0, result.stderr);
  rmSync(dir, { recursive: true });
});

test("a symbol from glibc 2.36 is refused", { skip: !cc }, () => {
  // arc4random arrived in glibc 2.36; Debian 12 has it, Amazon Linux 2023 (2.34) does not.
  const dir = packageWith(cc, "#include <stdlib.h>\nint main(void) { return (int)(arc4random() & 1); }\n");
  const native = execFileSync("uname", ["-m"], { encoding: "utf8" }).trim() === "aarch64" ? "arm64" : "x86_64";
  const result = check(dir, native);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /needs GLIBC_2\.36/);
  rmSync(dir, { recursive: true });
});

test("a library Amazon Linux 2023 does not ship is refused, and so is a package without its start scripts", { skip: !cc }, () => {
  const dir = packageWith(cc, hello);
  const native = execFileSync("uname", ["-m"], { encoding: "utf8" }).trim() === "aarch64" ? "arm64" : "x86_64";
  copyFileSync("/bin/ls", join(dir, "ls")); // Debian's ls needs libselinux
  rmSync(join(dir, "bootstrap"));
  const result = check(dir, native);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /ls needs libselinux\.so\.1/);
  assert.match(result.stderr, /bootstrap is missing/);
  rmSync(dir, { recursive: true });
});
