import ArgumentParser
import JSON

/// A load benchmark for any AFM on loopback: BPMS clients create tasks, simulated agents poll, claim and post
/// results, and the BPMS reads each result back. Counts task lifecycles per second, latencies, double claims and
/// lost tasks, and prints the AFM's own metrics beside them.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "afm-bench",
        abstract: "Measure task lifecycles per second through an AFM (create → claim → result → read).",
        discussion: "Talks to loopback only. Prints a table, then the same figures as one JSON line.")

    @Option(help: "The AFM's URL (loopback only); repeat it for several AFM processes on one database.")
    var url: [String] = ["http://127.0.0.1:8080"]

    @Option(help: "Tasks to run through; 0 for an idle fleet: agents only poll, until --duration-cap.")
    var tasks: Int = 5000

    @Option(help: "Simulated agents, each with its own polling loop and its own connection.")
    var agents: Int = 200

    @Option(help: "BPMS clients creating tasks and reading results.")
    var bpms: Int = 8

    @Option(help: "max_tasks per poll.")
    var maxTasks: Int = 10

    @Option(help: "Milliseconds an agent waits after a poll that brought nothing (agents start spread over this time).")
    var idleWait: Int = 50

    @Option(help: "Give up after this many seconds.")
    var durationCap: Int = 300

    @Flag(help: "Agents open a new connection for every request (as an agent without a kept-alive session does) instead of keeping their own.")
    var agentsReconnect = false

    @Option(help: "Agents ask the AFM to hold an empty poll this many seconds (Prefer: wait) and poll again at once when it did; post-to-claim then measures how fast a new task reaches a waiting agent.")
    var hold: Int?

    @Option(help: "Milliseconds each BPMS client pauses after each create, so that tasks arrive one at a time (a latency run).")
    var createInterval: Int?

    @Flag(help: "With several --url: BPMS clients create through the first AFM only, agents poll the others (tasks cross from one process to another).")
    var splitRoles = false

    @Option(help: "Bearer token for BPMS routes, if the AFM requires one.")
    var bpmsToken: String?

    @Option(help: "Bearer token for agent routes, if the AFM requires one.")
    var agentToken: String?

    func validate() throws {
        for url in url where BenchTarget(url: url) == nil {
            throw ValidationError("--url must be a loopback address, as http://127.0.0.1:PORT: the benchmark never loads another machine")
        }
        guard tasks >= 0, agents > 0, agents <= 10_000, bpms > 0, maxTasks > 0 else {
            throw ValidationError("--bpms and --max-tasks must be positive, --tasks at least 0, --agents from 1 to 10,000")
        }
        guard (hold ?? 1) > 0, (createInterval ?? 1) > 0 else { throw ValidationError("--hold and --create-interval must be positive") }
    }

    func run() async throws {
        let run = BenchRun(
            targets: url.compactMap(BenchTarget.init(url:)), bpmsToken: bpmsToken, agentToken: agentToken, agentsReconnect: agentsReconnect,
            hold: hold, createInterval: createInterval.map { .milliseconds($0) }, splitRoles: splitRoles)
        let outcome = try await run.execute(tasks: tasks, agents: agents, bpms: bpms, maxTasks: maxTasks, idleWait: .milliseconds(idleWait), cap: .seconds(durationCap))
        print(outcome.table)
        print(outcome.serverView)
        print(JSONWriter.string(from: outcome.json))
    }
}
