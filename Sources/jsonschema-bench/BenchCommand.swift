import ArgumentParser
import FleetWire
import JSON
import JSONSchema

/// Validations per second on one thread: the protocol-1 poll request and a 2 KB task payload.
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jsonschema-bench",
        abstract: "Measure JSON Schema validations per second on one core.",
        discussion: "Build with -c release for meaningful figures. Prints a table, then the same figures as one JSON line.")

    @Option(help: "Seconds to measure each case.")
    var seconds: Double = 2

    mutating func run() throws {
        let taskSchema = try JSONSchema(Samples.taskSchema)
        let taskBytes = JSONWriter.string(from: Samples.task).utf8.count
        var invalidTask = Samples.task.objectValue!
        invalidTask["method"] = "FETCH"
        invalidTask["timeout_seconds"] = 0
        let cases: [(name: String, run: () -> Bool)] = [
            ("poll request, isValid", { ProtocolOneSchemas.poll.isValid(Samples.poll) }),
            ("poll request, validate (all errors)", { ProtocolOneSchemas.poll.validate(Samples.poll).isEmpty }),
            ("task payload \(taskBytes) B, isValid", { taskSchema.isValid(Samples.task) }),
            ("task payload \(taskBytes) B, validate (all errors)", { taskSchema.validate(Samples.task).isEmpty }),
            ("invalid task payload, validate (all errors)", { taskSchema.validate(.object(invalidTask)).count == 2 }),
        ]
        var figures: [(String, Double)] = []
        print("case".padding(50) + "validations/s   µs each")
        for (name, body) in cases {
            guard body() else { throw ValidationError("sample for '\(name)' does not give the expected verdict") }
            let rate = measure(body)
            figures.append((name, rate))
            print(name.padding(50) + String(Int(rate)).padding(16) + String(format2(1_000_000 / rate)))
        }
        let json = JSONValue.object(Dictionary(uniqueKeysWithValues: figures.map { ($0.0, JSONValue.number(.integer(Int64($0.1)))) }))
        print(JSONWriter.string(from: json))
    }

    private func measure(_ body: () -> Bool) -> Double {
        let clock = ContinuousClock()
        // Warm up, then run in batches until the time is up.
        for _ in 0..<1_000 { _ = body() }
        var count = 0
        let start = clock.now
        let end = start.advanced(by: .milliseconds(Int(seconds * 1000)))
        while clock.now < end {
            for _ in 0..<500 { _ = body() }
            count += 500
        }
        let elapsed = start.duration(to: clock.now)
        return Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    private func format2(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100).\(String(hundredths % 100).leftPadded(2))"
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }

    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
