#!/usr/bin/env bash
# Which pages of a running process are resident, and whose they are. Run by hand, as root
# (or as the process's owner: only the present bit of /proc/PID/pagemap is read):
#
#   Benchmarks/resident-pages.sh PID [TOP]
#
# Prints, from /proc/PID/smaps, every mapping's Rss, Pss and private KB grouped by file
# (anonymous mappings as [heap], [stack] and [anon]: thread stacks and malloc's arenas),
# then, for every ELF file mapped (the meshbed binary, libcrypto, libssl, libc...), which of
# its pages are present in the process's page table (pagemap bit 63), attributed to ELF
# sections (.text, .rodata, .eh_frame, swift5_* metadata...) and to symbols (`nm`, or `nm -D`
# for a stripped library) by address: a resident page's bytes are split among the symbols
# it overlaps. Symbols are grouped by module: Swift symbols by the modules their demangled
# names mention (the first that is not the standard library: `Swift.Array<Foundation.X>`'s
# specialisation counts for Foundation), C++ ones by their namespace (icu_NN is ICU), C ones
# by prefix (swift_ the runtime, u_/ucol_/... ICU, CF CoreFoundation). Then the TOP (default
# 25) symbols with the most resident KB (10 for every file but the biggest). Needs python3, binutils and `swift demangle`.
set -euo pipefail
pid=${1:-}
top=${2:-25}
case $pid in ""|*[!0-9]*) echo "usage: Benchmarks/resident-pages.sh PID [TOP]" >&2; exit 2;; esac
case $top in ""|*[!0-9]*) echo "usage: Benchmarks/resident-pages.sh PID [TOP]" >&2; exit 2;; esac
[ -r "/proc/$pid/pagemap" ] || { echo "cannot read /proc/$pid/pagemap (no such process, or not root)" >&2; exit 2; }
for tool in python3 nm readelf; do command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 2; }; done

exec python3 - "$pid" "$top" <<'PY'
import bisect, collections, os, re, struct, subprocess, sys

pid, top = sys.argv[1], int(sys.argv[2])
PAGE = os.sysconf("SC_PAGE_SIZE")

# 1. smaps: every mapping's counters, grouped by what is mapped.
mappings, cur = [], None
for line in open(f"/proc/{pid}/smaps"):
    m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ (\d+)\s*(.*)$", line)
    if m:
        cur = dict(start=int(m[1], 16), end=int(m[2], 16), perms=m[3], offset=int(m[4], 16),
                   inode=int(m[5]), path=m[6].strip(), kb={})
        mappings.append(cur)
    elif cur is not None:
        k = re.match(r"^(\w+):\s+(\d+) kB", line)
        if k:
            cur["kb"][k[1]] = int(k[2])
def label(m):
    if m["path"].startswith("/"):
        return m["path"]
    return m["path"] or "[anon]"
by_file = collections.OrderedDict()
for m in mappings:
    t = by_file.setdefault(label(m), collections.Counter())
    t["Rss"] += m["kb"].get("Rss", 0)
    t["Pss"] += m["kb"].get("Pss", 0)
    t["Private"] += m["kb"].get("Private_Clean", 0) + m["kb"].get("Private_Dirty", 0)
    t["Dirty"] += m["kb"].get("Private_Dirty", 0) + m["kb"].get("Shared_Dirty", 0)
    t["maps"] += 1
status = {l.split(":")[0]: l.split(":")[1].strip() for l in open(f"/proc/{pid}/status") if ":" in l}
print(f"pid {pid}: VmRSS {status.get('VmRSS')} (RssAnon {status.get('RssAnon')}, RssFile {status.get('RssFile')}), "
      f"threads {status.get('Threads')}")
print(f"{'mapped':60} {'maps':>4} {'Rss KB':>8} {'Pss KB':>8} {'private':>8} {'dirty':>8}")
for name, t in sorted(by_file.items(), key=lambda kv: -kv[1]["Rss"]):
    if t["Rss"]:
        print(f"{name[-60:]:60} {t['maps']:4d} {t['Rss']:8d} {t['Pss']:8d} {t['Private']:8d} {t['Dirty']:8d}")
anon = [m for m in mappings if not m["path"].startswith("/") and m["kb"].get("Rss", 0)]
print("anonymous mappings with resident pages (size KB, Rss KB):",
      ", ".join(f"{(m['end'] - m['start']) // 1024}/{m['kb']['Rss']}{' ' + m['path'] if m['path'] else ''}" for m in anon))

# 2. pagemap: the present pages of each ELF file's mappings.
pagemap = open(f"/proc/{pid}/pagemap", "rb")
def present(start, end):
    pagemap.seek(start // PAGE * 8)
    data = pagemap.read((end - start) // PAGE * 8)
    return [start + i * PAGE for i, (e,) in enumerate(struct.iter_unpack("<Q", data)) if e >> 63 & 1]

def elf_layout(path):
    """PT_LOAD (offset, vaddr, filesz) and sections (vaddr, size, name) with SHF_ALLOC."""
    out = subprocess.run(["readelf", "-lSW", path], capture_output=True, text=True).stdout
    loads = [(int(m[1], 16), int(m[2], 16), int(m[3], 16))
             for m in re.finditer(r"^\s*LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)", out, re.M)]
    sections = []
    for m in re.finditer(r"^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]{8,})\s+[0-9a-f]+\s+([0-9a-f]+)\s+\S+\s+(\S*)", out, re.M):
        if "A" in m[4] and int(m[2], 16):
            sections.append((int(m[2], 16), int(m[3], 16), m[1]))
    return loads, sorted(sections)

def elf_symbols(path):
    for flags in (["-n", "--defined-only", "-S"], ["-D", "-n", "--defined-only", "-S"]):
        out = subprocess.run(["nm", *flags, path], capture_output=True, text=True).stdout
        syms = []
        for line in out.splitlines():
            p = line.split()
            if len(p) >= 3 and p[-2] in "TtRrDdBbVvWwGgSsu" and len(p[-2]) == 1:
                syms.append((int(p[0], 16), p[-1]))
        if len(syms) > 100:
            return sorted(set(syms))
    return []

MODULES = None
def demangle(names):
    swift = [n for n in names if n.startswith(("$s", "_$s"))]
    if not swift:
        return {}
    try:
        out = subprocess.run(["swift", "demangle"], input="\n".join(swift), capture_output=True,
                             text=True).stdout.splitlines()
    except FileNotFoundError:
        return {}
    return dict(zip(swift, out)) if len(out) == len(swift) else {}

STDLIB = {"Swift", "_Concurrency", "__C", "_StringProcessing", "Synchronization", "SwiftShims", "_SwiftConcurrencyShims"}
ICU_C = re.compile(r"^_?(u_|ucol|ures|uprv|udata|ucnv|uloc|ubrk|unum|udat|ucal|utrans|uset|uscript|ustr|utext|uregex|"
                   r"ucurr|ulist|uplrules|ureldatefmt|usearch|ufmt|uiter|unorm|utf8_|icu|ucase|uchar|ubidi|ucptrie|"
                   r"umutablecptrie|utrie|uhash|ulocimp|uenum|ulistfmt|uspoof|udtitvfmt|ucfpos|unumf|unumrf|ubiditransform|"
                   r"ustrcase|utmscale|usprep|uidna|ucsdet|ucol_|ucasemap|ucurr|usimplenumber)")
def group(name, demangled):
    if demangled is not None:
        ext = re.search(r"\(extension in (\w+)\)", demangled)
        mods = [m for m in re.findall(r"(?<![\w.])([A-Za-z_]\w*)\.(?=[A-Za-z_(])", demangled) if m in MODULES]
        for m in ([ext[1]] if ext else []) + mods:
            if m not in STDLIB:
                return m
        return mods[0] if mods else "Swift (other)"
    if name.startswith("("):
        return "(no symbol)"
    if name.startswith("_ZN"):
        m = re.match(r"_ZN(?:K|VK|V)?(\d+)", name)
        if m:
            ns = name[m.end():m.end() + int(m[1])]
            return "ICU (C++)" if ns.startswith("icu_") else f"C++ {ns}"
        return "C++"
    if name.startswith("_Z"):
        return "C++"
    if name.startswith(("swift_", "_swift", "swift::", "__swift")) or "swift" in name.lower()[:12]:
        return "Swift runtime (C)"
    if name.startswith("icudt") or ICU_C.match(name) or re.search(r"_7\d$", name):
        return "ICU (C)"
    if name.startswith(("CF", "_CF", "__CF", "_kCF", "kCF")):
        return "CoreFoundation"
    if name.startswith(("dispatch_", "_dispatch")):
        return "Dispatch"
    return "C (other)"

# Which files: ELF files mapped with resident pages, the biggest first.
files = collections.OrderedDict()
for m in mappings:
    if m["path"].startswith("/") and m["kb"].get("Rss", 0) and not m["path"].endswith(")"):
        files.setdefault(m["path"], []).append(m)
for rank, (path, maps) in enumerate(sorted(files.items(), key=lambda kv: -sum(m["kb"]["Rss"] for m in kv[1]))):
    try:
        with open(path, "rb") as f:
            if f.read(4) != b"\x7fELF":
                continue
    except OSError:
        continue
    loads, sections = elf_layout(path)
    syms = elf_symbols(path)
    # Module names: the first identifier of every Swift symbol that names a module (type
    # descriptors "nominal type descriptor for M.T" and "(extension in M)").
    names = [n for _, n in syms]
    dem = demangle(names)
    MODULES = set(STDLIB)
    for d in dem.values():
        MODULES.update(re.findall(r"\(extension in (\w+)\)", d))
        m = re.match(r"^(?:nominal type descriptor|type metadata accessor|module descriptor|protocol descriptor) for (\w+)\.", d)
        if m:
            MODULES.add(m[1])
    addrs = [a for a, _ in syms]
    sec_starts = [s[0] for s in sections]
    def section_end(address):
        i = bisect.bisect_right(sec_starts, address) - 1
        return sections[i][0] + sections[i][1] if i >= 0 and address < sections[i][0] + sections[i][1] else address + PAGE
    def section_name(address):
        i = bisect.bisect_right(sec_starts, address) - 1
        return sections[i][2] if i >= 0 and address < sections[i][0] + sections[i][1] else "outside sections"
    by_section, by_group, by_symbol = collections.Counter(), collections.Counter(), collections.Counter()
    total = 0
    for m in maps:
        # File offset of the mapping -> ELF virtual address through the PT_LOAD that holds it.
        for vaddr_page in present(m["start"], m["end"]):
            off = vaddr_page - m["start"] + m["offset"]
            load = next((l for l in loads if l[0] <= off < l[0] + max(l[2], 1)), None)
            total += PAGE
            if load is None:
                by_section["(outside PT_LOAD: headers)"] += PAGE
                continue
            lo = off - load[0] + load[1]
            hi = lo + PAGE
            # Sections overlapping the page.
            i = max(bisect.bisect_right(sec_starts, lo) - 1, 0)
            covered = 0
            while i < len(sections) and sections[i][0] < hi:
                s, size, name = sections[i]
                o = min(hi, s + size) - max(lo, s)
                if o > 0:
                    by_section[name] += o
                    covered += o
                i += 1
            if covered < PAGE:
                by_section["(between sections)"] += PAGE - covered
            # Symbols overlapping the page: each runs to the next symbol's address or the
            # end of its section, whichever comes first; the rest counts as its section's.
            j = max(bisect.bisect_right(addrs, lo) - 1, 0)
            on_symbols = 0
            while j < len(syms) and syms[j][0] < hi:
                a = syms[j][0]
                b = min(syms[j + 1][0] if j + 1 < len(syms) else hi, section_end(a))
                o = min(hi, b) - max(lo, a)
                if o > 0:
                    by_symbol[syms[j][1]] += o
                    on_symbols += o
                j += 1
            if syms and on_symbols < PAGE:
                by_symbol[f"({section_name(lo)}: no symbol)"] += PAGE - on_symbols
    for name, size in by_symbol.items():
        by_group[group(name, dem.get(name))] += size
    attributed = sum(by_symbol.values())
    print(f"\n== {path}: {total // 1024} KB resident in this process's page table "
          f"({len(syms)} symbols{'' if syms else ': none, so no groups'})")
    print("  by section (KB):", ", ".join(f"{n} {v / 1024:.0f}" for n, v in by_section.most_common() if v >= 512))
    if syms:
        print(f"  by module/group (KB; {attributed / 1024:.0f} KB fall on symbols):")
        for n, v in by_group.most_common():
            if v >= 1024:
                print(f"    {v / 1024:8.0f}  {n}")
        shown = top if rank == 0 else min(top, 10)
        print(f"  top {shown} symbols (KB resident, of the bytes up to the next symbol):")
        for n, v in by_symbol.most_common(shown):
            d = dem.get(n, n)
            print(f"    {v / 1024:8.0f}  {group(n, dem.get(n)):28.28} {d[:110]}")
PY
