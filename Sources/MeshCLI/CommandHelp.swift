/// What `meshbed COMMAND --help` and `meshbed help COMMAND` print: usage, what the command
/// does, every flag its parser accepts, an example, and the exit statuses. The global help
/// (`meshbed help`) lists the commands that are not internal.
///
/// A test asks each command's parser which flags it accepts (`UsageError.helpFlags`) and
/// checks that its help names every one, so the two cannot drift apart.
struct CommandHelp: Sendable {
    /// One flag: how it is written (`--port P`) and what it does.
    struct Flag: Sendable {
        let syntax: String
        let text: String
        init(_ syntax: String, _ text: String) {
            self.syntax = syntax
            self.text = text
        }
        /// `--port` of `--port P`.
        var name: String { String(syntax.prefix { $0 != " " && $0 != "=" }) }
    }

    let name: String
    /// One line for the global help.
    let summary: String
    /// The usage line(s), without `usage: `.
    let usage: [String]
    /// What it does, a few sentences.
    let details: String
    let flags: [Flag]
    let examples: [String]
    let exits: String
    /// Started by meshbed itself, not by users: not in the global help.
    var isInternal = false

    /// The whole help text.
    var text: String {
        var lines = usage.enumerated().map { ($0.offset == 0 ? "usage: " : "       ") + $0.element }
        lines += ["", summary.prefix(1).uppercased() + summary.dropFirst() + "."]
        if !details.isEmpty { lines += ["", details] }
        if !flags.isEmpty {
            lines += ["", "flags:"]
            let width = min(28, flags.map(\.syntax.count).max() ?? 0)
            for flag in flags {
                let syntax = flag.syntax.count > width ? flag.syntax + "\n" + String(repeating: " ", count: width + 4) : flag.syntax.padding(width)
                lines.append("  \(syntax)  \(flag.text)")
            }
        }
        lines += ["", examples.count == 1 ? "example:" : "examples:"] + examples.map { "  " + $0 }
        lines += ["", "exit: " + exits]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The help of `command`, if there is such a command.
    static func named(_ command: String) -> CommandHelp? {
        all.first { $0.name == command }
    }

    /// `meshbed help`: the commands, aligned, and where to read on.
    static var global: String {
        let shown = all.filter { !$0.isInternal }
        let width = shown.map(\.name.count).max() ?? 0
        var text = "usage: meshbed COMMAND [FLAGS]\n\ncommands:\n"
        for command in shown { text += "  \(command.name.padding(width))  \(command.summary)\n" }
        text += """

            'meshbed help COMMAND' or 'meshbed COMMAND --help' shows a command's flags and examples.
            Reference: docs/cli.md (commands, exit statuses, status JSON), docs/topology.md, docs/scenarios.md.

            """
        return text
    }

    static let stateDir = Flag("--state-dir DIR", "state directory (default ./.meshbed): state file, lock and logs per topology")

    static let all: [CommandHelp] = [
        CommandHelp(
            name: "up", summary: "launch a topology: control plane, apps, sidecars, ingress",
            usage: ["meshbed up FILE [--detach] [--state-dir DIR] [--seed N] [--runtime process|netns] [--no-mesh] [--prometheus] [--otlp-endpoint URL] [--ready-timeout D]"],
            details: """
            In the foreground until Ctrl-C (or SIGTERM, SIGHUP), then everything is torn down; with --detach it
            returns once every instance is ready and a supervisor keeps running in the background. One topology
            runs once per state directory: a second 'up' exits 2 naming the running one.
            """,
            flags: [
                Flag("--detach", "return once ready; stop it later with 'meshbed down NAME'"),
                stateDir,
                Flag("--seed N", "derive every random choice (splits, error rates) from N: a run replays exactly"),
                Flag("--runtime process|netns|container", "where instances run: local processes on loopback (default); each instance in a network namespace of its own with its own address (Linux, root, iproute2); or each instance in a pod of a container engine on a bridge network of its own (root, Podman or Docker; the image is built when missing)"),
                Flag("--engine podman|docker", "with --runtime container: the engine (default: the first of podman and docker that answers)"),
                Flag("--no-mesh", "start only the apps: no control plane, sidecars or ingress"),
                Flag("--prometheus", "also start a Prometheus server (Debian's 'prometheus') scraping every admin port every second"),
                Flag("--otlp-endpoint URL", "the control plane pushes the spans it receives to this OTLP/HTTP collector as JSON (http://HOST:PORT[/PATH], default path /v1/traces)"),
                Flag("--ready-timeout D", "how long each stage may take to become ready (default 10s)"),
                Flag("--supervise", "internal: this process is the supervisor that --detach started"),
            ],
            examples: ["meshbed up topologies/bookinfo.yaml --detach", "meshbed up topologies/bookinfo.yaml --seed 42   # Ctrl-C stops it"],
            exits: "0 ready (in the foreground: stopped on request), 2 bad input or already running, 3 could not start"),
        CommandHelp(
            name: "down", summary: "stop a topology; no process of it survives",
            usage: ["meshbed down [NAME] [--state-dir DIR]"],
            details: """
            NAME may be left out when the state directory holds one topology; a running NAME is found from any
            directory. Only processes that are provably the topology's are signalled (its run id and state
            marker in their environment, their start time); with a damaged state file they are found by marker.
            The sweep happens under the topology's lock: a new 'meshbed up' that started it again meanwhile is
            left running (down says so).
            """,
            flags: [stateDir],
            examples: ["meshbed down bookinfo"],
            exits: "0 stopped (or was not running), 1 a process survived SIGKILL, the lock stayed busy or the state file could not be updated, 2 no such topology"),
        CommandHelp(
            name: "status", summary: "list running topologies, or show one",
            usage: ["meshbed status [--json] [--state-dir DIR]", "meshbed status NAME [--json] [--state-dir DIR]"],
            details: """
            Without NAME: every running topology on the machine (or in --state-dir), with its state and how
            many instances are ready. With NAME: its state (starting, ready, degraded, stopped, failed), every
            problem (a dead process with how it ended, an instance that is not ready), supervisor pid, addresses,
            readiness, identity and certificate expiry of each instance. The JSON shapes are in docs/cli.md.
            """,
            flags: [Flag("--json", "print JSON instead of a table"), stateDir],
            examples: ["meshbed status", "meshbed status bookinfo --json"],
            exits: "0 (also when nothing runs), 2 no such topology"),
        CommandHelp(
            name: "logs", summary: "the sidecars' access lines, merged in time order",
            usage: ["meshbed logs [SERVICE] [--follow] [--json] [--topology NAME] [--state-dir DIR]"],
            details: """
            Every sidecar and the ingress gateway write one JSON line per request to their log (docs/cli.md,
            access logs). logs prints them merged in time order: all of them, or those of SERVICE's instances'
            sidecars (or 'ingress'), readable or, with --json, as written. Also after the topology stopped (its
            logs stay in the state directory when it failed). --follow goes on printing new lines until Ctrl-C
            or until the topology stops.
            """,
            flags: [
                Flag("--follow", "keep printing new lines as they are written"),
                Flag("--json", "print the JSON lines as the sidecars wrote them"),
                Flag("--topology NAME", "which topology (found from any directory while it runs)"),
                stateDir,
            ],
            examples: ["meshbed logs reviews", "meshbed logs --follow --json"],
            exits: "0 printed (with --follow: stopped on request or with the topology), 2 bad input or no such topology or service"),
        CommandHelp(
            name: "trace", summary: "the traces a running topology's control plane keeps: a list, a waterfall, OTLP/JSON",
            usage: ["meshbed trace [--limit N] [--json] [--topology NAME] [--state-dir DIR]",
                    "meshbed trace ID|latest [--json] [--topology NAME] [--state-dir DIR]",
                    "meshbed trace [ID] --otlp FILE [--limit N] [--topology NAME] [--state-dir DIR]"],
            details: """
            The sidecars and the ingress send a span per finished request to the control plane, which keeps
            the most recent traces (2,000 traces, 100,000 spans). Without ID: the most recent traces, newest
            first, one line each (trace id, root service → peer, request, status, spans, duration). With ID
            (or 'latest'): that trace as a waterfall, its spans as a tree by parent with a bar on the trace's
            time axis and each span's events (retries) under it. --otlp writes OTLP/JSON
            (ExportTraceServiceRequest) of the trace, or of every trace kept, for any OpenTelemetry tool.
            """,
            flags: [
                Flag("--limit N", "how many traces the list shows (default 20) or --otlp writes (default all)"),
                Flag("--json", "print the control plane's JSON (the summaries, or the trace's spans)"),
                Flag("--otlp FILE", "write OTLP/JSON to FILE ('-': standard output) instead"),
                Flag("--topology NAME", "which topology (found from any directory while it runs)"),
                stateDir,
            ],
            examples: ["meshbed trace", "meshbed trace latest", "meshbed trace 0af7651916cd43dd8448eb211c80319c --otlp trace.json"],
            exits: "0 printed, 1 the control plane did not answer, 2 bad input (a malformed ID, a flag, a topology without the mesh), 3 no such trace or no such running topology"),
        CommandHelp(
            name: "validate", summary: "check topology and scenario files",
            usage: ["meshbed validate FILE..."],
            details: "Every mistake is reported as FILE:LINE:COLUMN: message; a scenario is checked with its topology.",
            flags: [],
            examples: ["meshbed validate topologies/*.yaml"],
            exits: "0 all valid, 2 some invalid"),
        CommandHelp(
            name: "run", summary: "run scenario files and report",
            usage: ["meshbed run FILE... [--junit F] [--json F] [--state-dir DIR] [--ready-timeout D] [--prometheus] [--runtime process|netns]"],
            details: """
            Each scenario brings its topology up in its own state directory, runs its steps, tears it down and
            reports every expectation with the measured value beside the expected one.
            """,
            flags: [
                Flag("--junit F", "write a JUnit XML report to F (one testcase per step)"),
                Flag("--json F", "write a JSON report to F"),
                Flag("--state-dir DIR", "where the scenarios' topologies keep state and logs (default: a temporary directory)"),
                Flag("--ready-timeout D", "how long each stage of a topology may take to become ready (default 10s)"),
                Flag("--prometheus", "start a real Prometheus with each topology, for promql expectations (needs 'prometheus' on PATH)"),
                Flag("--runtime process|netns|container", "where each topology runs, as 'up --runtime'"),
                Flag("--engine podman|docker", "with --runtime container, as 'up --engine'"),
            ],
            examples: ["meshbed run topologies/bookinfo-kill.yaml --junit report.xml"],
            exits: "0 all expectations met, 1 some failed, 2 bad input, 3 infrastructure, 130/143/129 stopped by SIGINT/SIGTERM/SIGHUP"),
        CommandHelp(
            name: "test", summary: "run every scenario file under a directory",
            usage: ["meshbed test DIR [--junit F] [--json F] [--state-dir DIR] [--ready-timeout D] [--prometheus] [--runtime process|netns]"],
            details: "Runs every .yaml/.yml file whose kind is Scenario under DIR (recursively, in path order), as 'run' does.",
            flags: [
                Flag("--junit F", "write a JUnit XML report to F"),
                Flag("--json F", "write a JSON report to F"),
                Flag("--state-dir DIR", "where the scenarios' topologies keep state and logs (default: a temporary directory)"),
                Flag("--ready-timeout D", "how long each stage of a topology may take to become ready (default 10s)"),
                Flag("--prometheus", "as 'run'"),
                Flag("--runtime process|netns|container", "as 'run'"),
                Flag("--engine podman|docker", "as 'run'"),
            ],
            examples: ["meshbed test topologies --junit report.xml"],
            exits: "as 'run'"),
        CommandHelp(
            name: "load", summary: "generate load and report statuses, versions and latency",
            usage: ["meshbed load (--url URL | --to SERVICE [--from SERVICE] [--topology NAME]) [--requests N | --duration D]",
                    "             [--rate R] [--concurrency C] [--header NAME:VALUE]... [--explain] [--json]"],
            details: """
            Closed loop by default (each connection sends its next request when the last is answered); with
            --rate, open loop (latency counted from when each request was due). --to goes through the running
            topology's ingress, or with --from through that service's sidecar.
            """,
            flags: [
                Flag("--url URL", "an http:// URL to send to"),
                Flag("--to SERVICE", "a service of the running topology, through its ingress"),
                Flag("--from SERVICE", "with --to: send through this service's sidecar (the caller is real)"),
                Flag("--topology NAME", "with --to: which running topology (found from any directory)"),
                stateDir,
                Flag("--requests N", "send N requests (default 1000 unless --duration)"),
                Flag("--duration D", "send for D, e.g. 10s; a hard stop: unsent requests are reported, those in flight cancelled after 1s"),
                Flag("--rate R", "open loop at R requests per second"),
                Flag("--concurrency C", "connections (default 8)"),
                Flag("--threads N", "event-loop threads (default: one per core, at most the connections)"),
                Flag("--timeout D", "per-request timeout (default 30s)"),
                Flag("--method M", "request method (default GET)"),
                Flag("--header NAME:VALUE", "add a request header; repeatable"),
                Flag("--body TEXT", "request body"),
                Flag("--explain", "ask every sidecar for its decision record and report attempts, retry reasons, flags, endpoints"),
                Flag("--json", "print one JSON object instead of text"),
            ],
            examples: ["meshbed load --to reviews --requests 300", "meshbed load --to reviews --requests 200 --explain", "meshbed load --url http://127.0.0.1:8080/ --duration 10s --rate 2000 --json"],
            exits: "0, 1 no request succeeded, 2 bad input, 3 no such target (no running topology or service)"),
        CommandHelp(
            name: "route", summary: "replace a service's routes on a running topology, live",
            usage: ["meshbed route set SERVICE --split VERSION=WEIGHT,... [--header NAME:VALUE]... [--path-prefix P]",
                    "                  [--topology NAME] [--state-dir DIR] [--timeout D]",
                    "meshbed route set SERVICE --clear"],
            details: """
            Replaces every route of SERVICE with one route (--split, for the requests --header and --path-prefix
            match; the others then go to every instance of every version), or with none (--clear), through the
            control plane, and waits until every live sidecar applied the new version. Requests already sent
            finish where they went. Weights are integers 0-100 that sum to 100; versions must exist.
            """,
            flags: [
                Flag("--split V=W,...", "the new split, e.g. v1=50,v2=50"),
                Flag("--clear", "remove every route: requests go to every instance of every version"),
                Flag("--header NAME:VALUE", "with --split: only requests with this header (NAME=VALUE works too); repeatable"),
                Flag("--path-prefix P", "with --split: only requests whose path starts with P"),
                Flag("--topology NAME", "which running topology (found from any directory)"),
                stateDir,
                Flag("--timeout D", "how long to wait for every sidecar to apply the change (default 5s)"),
            ],
            examples: ["meshbed route set reviews --split v1=50,v2=50", "meshbed route set reviews --header end-user:jason --split v2=100"],
            exits: "0 applied by every sidecar, 1 not applied by every sidecar in time (named) or the control plane did not answer, 2 bad input (a flag, no such topology, service or version)"),
        CommandHelp(
            name: "mtls", summary: "move a running topology between strict and permissive mTLS, live",
            usage: ["meshbed mtls set strict|permissive [--topology NAME] [--state-dir DIR] [--timeout D]"],
            details: """
            Changes the inbound mode of every sidecar through the control plane (as an Istio PeerAuthentication
            change) and waits until every live sidecar applied it. Strict refuses plaintext callers, including
            connections a permissive mesh let in before, at their next request. A topology that runs with
            mtls: disabled cannot turn mTLS on while it runs.
            """,
            flags: [
                Flag("--topology NAME", "which running topology (found from any directory)"),
                stateDir,
                Flag("--timeout D", "how long to wait for every sidecar to apply the change (default 5s)"),
            ],
            examples: ["meshbed mtls set permissive", "meshbed mtls set strict --topology mtls-migration"],
            exits: "0 applied by every sidecar, 1 not applied by every sidecar in time (named) or the control plane did not answer, 2 bad input (a mode, no such topology, mTLS disabled)"),
        CommandHelp(
            name: "image", summary: "build the container image (FROM scratch: this binary and its shared libraries)",
            usage: ["meshbed image build [--engine podman|docker] [--tag NAME]"],
            details: """
            Builds the image the container runtime runs, without a registry: FROM scratch with this meshbed binary at
            /usr/bin/meshbed and the shared libraries ldd lists for it at their paths (the C library and its loader,
            libstdc++, libgcc_s, libm, OpenSSL). No shell and no package manager: meshbed is the entry point. The
            engine is Podman or Docker, whichever is installed and answers (Podman first), or --engine.
            """,
            flags: [
                Flag("--engine podman|docker", "the container engine (default: the first of them that answers)"),
                Flag("--tag NAME", "the image's name (default localhost/meshbed:latest)"),
            ],
            examples: ["meshbed image build", "meshbed image build --engine docker --tag localhost/meshbed:dev"],
            exits: "0 built, 1 no engine answers or the build failed (what it said), 2 bad input"),
        CommandHelp(
            name: "telemetry", summary: "show or change a running topology's access log and tracing, live",
            usage: ["meshbed telemetry [show] [--topology NAME] [--state-dir DIR]",
                    "meshbed telemetry set [--access-log on|off] [--sampling PCT] [--max-traces-per-second N]",
                    "                      [--topology NAME] [--state-dir DIR] [--timeout D]"],
            details: """
            show prints the settings in force. set changes what it is given of them through the control plane (as an
            Istio Telemetry resource change; the rest stays as it is) and waits until every live sidecar applied it:
            the topology's mesh.accessLog and mesh.tracing, without restarting anything. The topology file is not changed.
            """,
            flags: [
                Flag("--access-log on|off", "one JSON line per request in every sidecar's log, or none"),
                Flag("--sampling PCT", "the percent of new traces whose spans the sidecars record (0 to 100)"),
                Flag("--max-traces-per-second N", "the most new traces each sidecar loop records a second"),
                Flag("--topology NAME", "which running topology (found from any directory)"),
                stateDir,
                Flag("--timeout D", "how long to wait for every sidecar to apply the change (default 5s)"),
            ],
            examples: ["meshbed telemetry", "meshbed telemetry set --access-log off --sampling 10"],
            exits: "0 shown or applied by every sidecar, 1 not applied by every sidecar in time (named) or the control plane did not answer, 2 bad input (a flag, no such topology)"),
        CommandHelp(
            name: "fault", summary: "add, list and clear faults on a running topology, live",
            usage: ["meshbed fault add KIND --to SERVICE [--from S] [--version V] [--side client|server] [--header NAME:VALUE]...",
                    "                       [--delay D] [--status C] [--body TEXT] [--response-header NAME:VALUE]...",
                    "                       [--percent N | --requests A-B | --first N] [--duration D]",
                    "meshbed fault add --spec '{kind: delay, to: S, delay: {distribution: normal, mean: 100ms, stddev: 20ms}}'",
                    "meshbed fault add kill|pause|resume|restart SERVICE[/VERSION[/INDEX]]",
                    "meshbed fault list [--json]",
                    "meshbed fault clear ID | --all",
                    "           (each with [--topology NAME] [--state-dir DIR] [--timeout D])"],
            details: """
            add: a request fault (delay, abort), a link fault (latency, bandwidth, reset, blackhole, slowClose,
            slicer, limitData), a partition or a loss (--runtime netns only) goes to the control plane, which checks it against the topology, gives it an id and sends it to every sidecar;
            the command waits until every live sidecar applied it. The flags are the keys of the topology's
            faults: (docs/topology.md); --spec takes one fault in that form. A process fault acts at once on the
            instances' app and sidecar processes (kill: SIGKILL, pause: SIGSTOP, resume: SIGCONT, restart: by the
            supervisor); without VERSION, INDEX counts over all of the service's instances.
            list: the faults in force with how many requests each matched and hit, summed over every sidecar.
            clear: one fault by id, or --all, which also resumes every paused instance (a scenario's heal: all).
            """,
            flags: [
                Flag("--to S", "the destination service"),
                Flag("--from S", "only requests from this service (ingress: through the ingress gateway)"),
                Flag("--version V", "only requests routed to this version of the destination"),
                Flag("--side client|server", "which sidecar applies it: the caller's (default) or the destination's, before its retries"),
                Flag("--header NAME:VALUE", "only requests with this header value; repeatable"),
                Flag("--delay D", "delay: hold each request this long"),
                Flag("--status C", "abort: answer with this status"),
                Flag("--body TEXT", "abort: answer with this body"),
                Flag("--response-header NAME:VALUE", "abort: add this header to the answer; repeatable"),
                Flag("--percent N", "only this share of the requests in scope (0-100)"),
                Flag("--requests A-B", "only the requests in scope numbered A to B (from 1)"),
                Flag("--first N", "only the first N requests in scope"),
                Flag("--duration D", "the fault clears itself after this long"),
                Flag("--latency D", "latency: the delay of the link's bytes"),
                Flag("--jitter D", "latency: plus or minus up to this much"),
                Flag("--rate R", "bandwidth: the link's rate, e.g. 64KB/s"),
                Flag("--after N", "reset: after this many bytes"),
                Flag("--direction D", "link faults: downstream (default: the answers), upstream (the requests) or both"),
                Flag("--toxicity P", "link faults: the chance (0-1) that a connection is affected (default 1)"),
                Flag("--between A,B", "partition: both ways between two services (or ingress)"),
                Flag("--spec FAULT", "the whole fault as a YAML or JSON mapping, in the topology's form"),
                Flag("--json", "list: print one JSON object"),
                Flag("--all", "clear: every fault, and resume every paused instance"),
                Flag("--topology NAME", "which running topology (found from any directory)"),
                stateDir,
                Flag("--timeout D", "how long to wait for every sidecar to apply a change (default 5s)"),
            ],
            examples: ["meshbed fault add abort --to ratings --status 503 --percent 50",
                       "meshbed fault add delay --to reviews --version v2 --delay 2s --duration 30s",
                       "meshbed fault add abort --to ratings --status 503 --side server --requests 3-5",
                       "meshbed fault add pause ratings/v1/0", "meshbed fault list", "meshbed fault clear --all"],
            exits: "0 done (applied by every sidecar), 1 not applied by every sidecar in time or the control plane did not answer, 2 bad input (a flag, a fault the topology refuses, no such topology or instance)"),
        CommandHelp(
            name: "echo", summary: "run an echo app",
            usage: ["meshbed echo [--port P] [--service S] [--version V] [--error-rate PCT] [--latency D] [--call SERVICE,... --outbound ADDRESS]"],
            details: """
            Answers every request with JSON describing it and x-meshbed-service/-version/-instance headers;
            ?delay=100ms, ?status=503 and ?size=65536 shape one response. Runs until SIGINT or SIGTERM.
            """,
            flags: [
                Flag("--port P", "port to listen on (default 8080; 0: any free port)"),
                Flag("--bind ADDRESS", "numeric address to listen on (default 127.0.0.1)"),
                Flag("--service S", "service name it reports (default echo)"),
                Flag("--version V", "version it reports (default v1)"),
                Flag("--instance ID", "instance id it reports (default SERVICE-VERSION-0)"),
                Flag("--error-rate PCT", "answer this percentage of requests with 500"),
                Flag("--latency D", "delay every response by D"),
                Flag("--call SERVICE,...", "call these services per request, through --outbound"),
                Flag("--outbound ADDRESS", "the sidecar's outbound address for --call"),
                Flag("--seed N", "seed for the error draws"),
                Flag("--threads N", "event-loop threads (default: one per core)"),
                Flag("--header-timeout D", "close a connection whose request head takes longer (default 10s)"),
                Flag("--idle-timeout D", "close an idle keep-alive connection after D (default 60s)"),
                Flag("--max-connections N", "connections kept open at once; more are closed at once (default: half the descriptor limit)"),
            ],
            examples: ["meshbed echo --port 8080 --service reviews --version v2 --error-rate 10"],
            exits: "0 stopped, 2 bad input or port in use"),
        CommandHelp(
            name: "proxy", summary: "run a sidecar or the ingress gateway (as 'up' starts them)",
            usage: ["meshbed proxy --instance ID --service S [--version V] --control ADDRESS --app PORT [--inbound P] [--outbound P] [--admin P]",
                    "meshbed proxy --gateway --port P --control ADDRESS [--admin P]"],
            details: """
            Follows the control plane's snapshots; its admin port answers /ready, /config, /stats and /certs. \
            With mTLS it gets its certificate from the control plane's CA with the bootstrap token in \
            MESHBED_BOOTSTRAP_TOKEN ('up' sets it) and renews it at about half its lifetime. Runs until SIGINT or SIGTERM.
            """,
            flags: [
                Flag("--instance ID", "instance id (a sidecar needs it)"),
                Flag("--service S", "service of its app (a sidecar needs it)"),
                Flag("--version V", "version of its app (default v1)"),
                Flag("--control ADDRESS", "the control plane, e.g. 127.0.0.1:15000 (required)"),
                Flag("--app PORT", "its app's port on loopback (a sidecar needs it)"),
                Flag("--app-ready PATH", "its app's readiness path (default /)"),
                Flag("--inbound P", "inbound port, from peers (default 0: any)"),
                Flag("--outbound P", "outbound port, from its app (default 0: any)"),
                Flag("--admin P", "admin port (default 0: any)"),
                Flag("--bind ADDRESS", "the address every port listens on and the app is reached at (default 127.0.0.1)"),
                Flag("--gateway", "be the ingress gateway instead of a sidecar"),
                Flag("--port P", "with --gateway: the ingress port"),
                Flag("--threads N", "event-loop threads (default 1)"),
                Flag("--seed N", "seed for split and fault draws"),
                Flag("--upstream-timeout D", "the route timeout of destinations whose policy sets none: answer 504 when an upstream has not answered within D of the request's end (default 15s, 0: no limit)"),
                Flag("--body-timeout D", "answer 408 when a request body makes no progress for D (default 15s, 0: no limit)"),
                Flag("--max-connections N", "connections each proxying listener keeps open at once; more are closed at once (default: they share half the descriptor limit)"),
            ],
            examples: ["meshbed proxy --instance web-v1-0 --service web --control 127.0.0.1:15000 --app 8080"],
            exits: "0 stopped, 2 bad input or port in use"),
        CommandHelp(
            name: "control", summary: "run the control plane for a topology file (as 'up' starts it)",
            usage: ["meshbed control --topology FILE [--port P] [--bind ADDRESS] [--hold D] [--ca-dir DIR] [--otlp-endpoint URL] [--netns FILE]"],
            details: """
            Keeps the registry of instances and serves versioned snapshots to sidecars. With mTLS it is the \
            mesh's certificate authority: it signs with the root the topology's mesh.ca names, else the one \
            kept in --ca-dir (made there when absent), else one made for this run, and checks sidecars' \
            bootstrap tokens with the secret in MESHBED_CA_SECRET ('up' sets both). Runs until SIGINT or SIGTERM.
            """,
            flags: [
                Flag("--topology FILE", "the topology file to serve (required)"),
                Flag("--port P", "port to listen on (default 0: any free port)"),
                Flag("--bind ADDRESS", "numeric address to listen on (default 127.0.0.1)"),
                Flag("--hold D", "how long a snapshot long-poll is held open (default 20s)"),
                Flag("--ca-dir DIR", "where the mesh's root certificate and key are kept (made when absent; mTLS only)"),
                Flag("--otlp-endpoint URL", "push the spans received to this OTLP/HTTP collector as JSON (http://HOST:PORT[/PATH]; batched every second or 512 spans)"),
                Flag("--netns FILE", "the network plan of 'up --runtime netns': partitions and loss become packet filters in the instances' namespaces"),
            ],
            examples: ["meshbed control --topology topologies/bookinfo.yaml --port 15000"],
            exits: "0 stopped, 2 bad input or port in use"),
        CommandHelp(
            name: "demo", summary: "a guided tour: the bookinfo mesh, then the echo app and the load generator",
            usage: ["meshbed demo [--topology FILE]"],
            details: "Starts everything it shows and stops it again. Run it from the repository's top folder.",
            flags: [Flag("--topology FILE", "the mesh to tour (default topologies/bookinfo.yaml)")],
            examples: ["meshbed demo"],
            exits: "0, 3 the mesh could not start"),
        CommandHelp(
            name: "help", summary: "show the commands, or one command's flags and examples",
            usage: ["meshbed help [COMMAND]"],
            details: "",
            flags: [],
            examples: ["meshbed help up"],
            exits: "0, 2 no such command"),
        CommandHelp(
            name: "exec-app", summary: "start a user's app from its topology's directory (as 'up' starts it)",
            usage: ["meshbed exec-app [--dir DIR] -- COMMAND ARGS..."],
            details: "Changes to DIR and replaces itself with COMMAND, keeping its environment and parent-death signal.",
            flags: [Flag("--dir DIR", "the directory to run COMMAND in")],
            examples: ["meshbed exec-app --dir topologies -- python3 app.py 8080"],
            exits: "COMMAND's; 126 cannot run it, 127 not found",
            isInternal: true),
        CommandHelp(
            name: "infra", summary: "hold a container runtime pod's network namespace (as 'up --runtime container' starts it)",
            usage: ["meshbed infra --supervisor PID:START"],
            details: "Does nothing until SIGTERM or SIGINT; dies with the supervisor named by its pid and start time.",
            flags: [Flag("--supervisor PID:START", "the supervisor to die with")],
            examples: ["meshbed infra --supervisor 4242:1234567"],
            exits: "0 stopped, 1 the supervisor does not run, 2 bad input",
            isInternal: true),
    ]
}

extension String {
    /// Padded with spaces on the right to at least `width` characters.
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
