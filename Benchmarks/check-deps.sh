#!/usr/bin/env bash
# Checks that Package.swift's target dependencies match what each target imports:
#
#   Benchmarks/check-deps.sh
#
# For every target (Sources/NAME, Tests/NAME) it compares the package's own modules named by
# `import` lines (also `@testable import`, `import struct M.T`, ...) with the target's declared
# dependencies, and lists
#   - used, undeclared: imported but not a direct dependency (it builds only through another
#     target's dependency, and breaks when that one changes);
#   - declared, unused: a dependency that no file of the target imports.
# A dependency on an executable target is exempt (a test depends on it to have the binary
# built, not to import it). Exit 0 when everything matches, 1 with one line per mismatch.
# Needs swift (for `swift package dump-package`) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

manifest=$(swift package dump-package)
python3 - "$manifest" <<'PY'
import json, os, re, sys

package = json.loads(sys.argv[1])
targets = {t["name"]: t for t in package["targets"]}
# `import M`, `@testable import M`, `@_exported import M`, `import struct M.T`, `public import M`.
pattern = re.compile(
    r"^\s*(?:@\w+\s+)*(?:(?:public|internal|package|private|fileprivate)\s+)?import\s+"
    r"(?:(?:struct|class|enum|protocol|typealias|func|let|var)\s+)?([A-Za-z_][A-Za-z0-9_]*)")

def declared(target):
    names = set()
    for dependency in target.get("dependencies", []):
        for kind in ("byName", "target"):
            if kind in dependency:
                names.add(dependency[kind][0])
    return names

def imported(directory):
    modules = set()
    for root, _, files in os.walk(directory):
        for file in files:
            if not file.endswith(".swift"):
                continue
            with open(os.path.join(root, file), encoding="utf-8") as handle:
                in_block_comment = False
                for line in handle:
                    if "/*" in line and "*/" not in line:
                        in_block_comment = True
                    if in_block_comment:
                        in_block_comment = "*/" not in line
                        continue
                    match = pattern.match(line)
                    if match and match.group(1) in targets:
                        modules.add(match.group(1))
    return modules

problems = []
for name, target in sorted(targets.items()):
    if target["type"] in ("system", "binary", "plugin", "macro"):
        continue
    directory = target.get("path") or ("Tests/" if target["type"] == "test" else "Sources/") + name
    if not os.path.isdir(directory):
        problems.append(f"{name}: no directory {directory}")
        continue
    uses, has = imported(directory), declared(target)
    for module in sorted(uses - has - {name}):
        problems.append(f"{name}: imports {module}, which Package.swift does not declare as its dependency")
    for module in sorted(has - uses):
        if targets.get(module, {}).get("type") == "executable":
            continue
        problems.append(f"{name}: declares {module} as a dependency but no file imports it")

for problem in problems:
    print(problem)
if problems:
    print(f"{len(problems)} mismatch(es) between Package.swift and the imports", file=sys.stderr)
    sys.exit(1)
print(f"Package.swift: the dependencies of all {len(targets)} targets match their imports")
PY
