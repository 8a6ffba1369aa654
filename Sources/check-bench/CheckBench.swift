import ArgumentParser
import FleetChecks
import Foundation
import JSON
import NIOCore
import NIOHTTP1
import NIOPosix

/// How many `http@1` checks a second one process sustains, and the memory each concurrent check costs: `serve`
/// answers every request with 200 and a small body; `run` keeps `--concurrency` checks of `--url` going for
/// `--seconds` and prints the figures.
@main
struct CheckBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-bench", abstract: "Throughput and memory of http@1 checks (run it release-built).",
        subcommands: [Serve.self, Run.self])

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Answer every HTTP request on 127.0.0.1 with 200.")
        @Option(help: "Port to listen on.") var port: Int

        func run() async throws {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(OKResponder())
                    }
                }
                .bind(host: "127.0.0.1", port: port).get()
            print("serving on 127.0.0.1:\(port)")
            try await channel.closeFuture.get()
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run http@1 checks of a URL and print the figures.")
        @Option(help: "The URL each check fetches.") var url: String
        @Option(help: "Checks in flight at once.") var concurrency = 50
        @Option(help: "Seconds to run.") var seconds = 10.0

        func run() async throws {
            let data: JSONValue = ["url": .string(url), "assert": ["status": 200, "body_matches": "ok"]]
            let baseline = Memory.residentKilobytes()
            let deadline = ContinuousClock.now.advanced(by: .nanoseconds(Int64(seconds * 1e9)))
            let peak = PeakMemory()
            let sampler = Task {
                while !Task.isCancelled {
                    await peak.record(Memory.residentKilobytes())
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            let start = ContinuousClock.now
            let results = try await withThrowingTaskGroup(of: (Int, Int, [Double]).self) { group in
                for _ in 0..<concurrency {
                    group.addTask {
                        var passed = 0, failed = 0
                        var durations: [Double] = []
                        while ContinuousClock.now < deadline {
                            let outcome = await (try HTTPCheck(data)).run()
                            if outcome.success { passed += 1 } else { failed += 1 }
                            durations.append(outcome.durationSeconds)
                        }
                        return (passed, failed, durations)
                    }
                }
                var total = (0, 0, [Double]())
                for try await (passed, failed, durations) in group {
                    total.0 += passed
                    total.1 += failed
                    total.2 += durations
                }
                return total
            }
            let elapsed = start.duration(to: .now)
            sampler.cancel()
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let durations = results.2.sorted()
            func percentile(_ p: Double) -> Double {
                durations.isEmpty ? 0 : durations[min(durations.count - 1, Int(Double(durations.count) * p))] * 1000
            }
            let peakKB = await peak.value
            print(String(format: "checks: %d passed, %d failed in %.1f s: %.0f checks/s at concurrency %d",
                         results.0, results.1, seconds, Double(results.0 + results.1) / seconds, concurrency))
            print(String(format: "check duration p50 %.2f ms, p99 %.2f ms, max %.2f ms", percentile(0.5), percentile(0.99), (durations.last ?? 0) * 1000))
            print(String(format: "resident memory: %.1f MB before, %.1f MB at the peak: %.1f KB per concurrent check",
                         Double(baseline) / 1024, Double(peakKB) / 1024, Double(peakKB - baseline) / Double(concurrency)))
        }
    }
}

actor PeakMemory {
    private(set) var value = 0
    func record(_ kilobytes: Int) { value = max(value, kilobytes) }
}

enum Memory {
    /// VmRSS of this process, in KB.
    static func residentKilobytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        return line.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) } ?? 0
    }
}

/// 200 with a two-byte body to every request; the connection is closed when the client asks.
final class OKResponder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        var head = HTTPResponseHead(version: .http1_1, status: .ok)
        head.headers.add(name: "Content-Length", value: "2")
        head.headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "ok")))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
