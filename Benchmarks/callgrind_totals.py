"""Reads the callgrind reports the benchmark scripts leave ($work/inclusive-LABEL.txt, from
`callgrind_annotate --inclusive=yes | swift demangle --simplified`, and $work/requests-LABEL):
each function's inclusive instructions, and the caller sidecar's instructions per request
(its event loop, less the control path: heartbeats, polls, probes). Used by faults.sh and
observability.sh (imported with PYTHONPATH=Benchmarks)."""
import re


def load(work, label):
    """({function: inclusive instructions}, requests) of LABEL's run."""
    totals = {}
    for line in open(f"{work}/inclusive-{label}.txt"):
        m = re.match(r"\s*([\d,]+) \([\s\d.]+%\)\s+(.*)$", line)
        if m:
            name = re.sub(r" \[[^]]*\]$", "", re.sub(r" \([\d,]+x\)$", "", m.group(2)))
            name = name.split(":", 1)[1] if ":" in name else name
            totals[name] = max(totals.get(name, 0), int(m.group(1).replace(",", "")))
    return totals, int(open(f"{work}/requests-{label}").read())


def per_request(totals, requests):
    """The event loop's instructions per request, without the control path's."""
    control = max((v for k, v in totals.items() if "ControlClient" in k or "OneShotRequest" in k), default=0)
    return (totals.get("EventLoop.run()", 0) - control) / requests
