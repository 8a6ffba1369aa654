import FleetWire
import Foundation
import JSON

/// A task's outcome as the AFM receives it: the exact `POST /tasks/response` body.
public struct PendingResult: Sendable, Equatable {
    public let taskID: String
    public let body: [UInt8]

    public static func result(taskID: String, data: JSONValue) -> PendingResult {
        PendingResult(taskID: taskID, body: TaskResponseBody(taskID: taskID, outcome: .result(json: JSONWriter.string(from: data))).encoded())
    }

    public static func error(taskID: String, message: String) -> PendingResult {
        PendingResult(taskID: taskID, body: TaskResponseBody(taskID: taskID, outcome: .error(message)).encoded())
    }
}

/// Results not yet accepted by the AFM, one file per task in `<state>/outbox/`.
///
/// A result is written durably before its upload starts and removed only once the AFM has answered it, so a crash,
/// a kill or an AFM outage loses nothing; on start the agent uploads what is left.
public struct ResultOutbox: Sendable {
    public let directory: String

    public init(stateDirectory: String) throws {
        directory = stateDirectory + "/outbox"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw AgentConfigurationError("cannot create the outbox \(directory): \(error.localizedDescription)")
        }
    }

    private func path(for taskID: String) -> String {
        directory + "/" + taskID + ".json"
    }

    public func store(_ result: PendingResult) throws {
        try DurableFile.write(result.body, to: path(for: result.taskID))
    }

    public func remove(taskID: String) throws {
        try DurableFile.remove(path(for: taskID))
    }

    /// The results waiting, oldest first.
    public func pending() throws -> [PendingResult] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }
        var entries: [(modified: Date, result: PendingResult)] = []
        for name in names {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let modified = attributes?[.modificationDate] as? Date ?? .distantPast
            entries.append((modified, PendingResult(taskID: String(name.dropLast(5)), body: Array(data))))
        }
        return entries.sorted { ($0.modified, $0.result.taskID) < ($1.modified, $1.result.taskID) }.map(\.result)
    }
}
