import FleetAgent
import FleetTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// The uploader against a fake AFM (the AFM is not what these test): order, a refused result dropped, a
/// temporary failure keeping the rest for later, and delivery after the AFM comes back.
@Suite("Result uploader")
struct ResultUploaderTests {
    /// Answers each posted result as `answer` says, and records what was posted.
    final class FakeAFM: AFMConnection {
        let posted = Mutex<[String]>([])
        let answer: @Sendable (String) -> AFMClient.Failure?

        init(answer: @escaping @Sendable (String) -> AFMClient.Failure? = { _ in nil }) {
            self.answer = answer
        }

        func poll(_ body: [UInt8], wait: Int?) async throws(AFMClient.Failure) -> AFMClient.PollAnswer {
            AFMClient.PollAnswer(tasks: [], returnTime: nil)
        }

        func postResult(_ result: PendingResult) async throws(AFMClient.Failure) {
            posted.withLock { $0.append(result.taskID) }
            if let failure = answer(result.taskID) { throw failure }
        }
    }

    static func outbox(_ ids: [String]) throws -> ResultOutbox {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("uploader-\(UUID().uuidString)").path
        let outbox = try ResultOutbox(stateDirectory: state)
        let written = Date()
        for (index, id) in ids.enumerated() {
            try outbox.store(.result(taskID: id, data: ["n": 1]))
            // Modification times a second apart, so that "oldest first" is decided by time and not by name, however
            // coarse the file system's clock.
            try FileManager.default.setAttributes(
                [.modificationDate: written.addingTimeInterval(Double(index - ids.count))], ofItemAtPath: "\(outbox.directory)/\(id).json")
        }
        return outbox
    }

    static let logger = Logger(label: "uploader-tests")

    @Test("results go out oldest first and each leaves the outbox once answered")
    func order() async throws {
        let outbox = try Self.outbox(["c", "a", "b"])
        let afm = FakeAFM()
        let uploader = ResultUploader(outbox: outbox, client: afm, grace: GracePeriod(.seconds(5)), logger: Self.logger)
        guard case .empty = await uploader.uploadPending() else { Issue.record("the pass did not empty the outbox"); return }
        #expect(afm.posted.withLock { $0 } == ["c", "a", "b"])
        #expect(try outbox.pending().isEmpty)
    }

    @Test("a result the AFM refuses (4xx) is dropped; the others are delivered")
    func refusedDropped() async throws {
        let outbox = try Self.outbox(["a", "b"])
        let afm = FakeAFM { $0 == "a" ? .refused(status: 400, message: "task a does not exist") : nil }
        let uploader = ResultUploader(outbox: outbox, client: afm, grace: GracePeriod(.seconds(5)), logger: Self.logger)
        guard case .empty = await uploader.uploadPending() else { Issue.record("a refusal blocked the outbox"); return }
        #expect(afm.posted.withLock { $0 } == ["a", "b"])
        #expect(try outbox.pending().isEmpty)
    }

    @Test("a temporary failure stops the pass and keeps that result and the later ones")
    func temporaryKeeps() async throws {
        let outbox = try Self.outbox(["a", "b", "c"])
        let afm = FakeAFM { $0 == "b" ? .temporary("connection refused") : nil }
        let uploader = ResultUploader(outbox: outbox, client: afm, grace: GracePeriod(.seconds(5)), logger: Self.logger)
        guard case .blocked = await uploader.uploadPending() else { Issue.record("a temporary failure did not block"); return }
        #expect(afm.posted.withLock { $0 } == ["a", "b"])
        #expect(try outbox.pending().map(\.taskID) == ["b", "c"])
    }

    @Test("while the AFM is down the uploader retries, and delivers everything once it answers; a new result is taken from memory")
    func retriesUntilDelivered() async throws {
        let outbox = try Self.outbox(["a", "b"])
        let down = Mutex(true)
        let afm = FakeAFM { _ in down.withLock { $0 } ? .temporary("503") : nil }
        let uploader = ResultUploader(outbox: outbox, client: afm, grace: GracePeriod(.seconds(5)), logger: Self.logger)
        let running = Task { await uploader.run() }
        // Up again only after an attempt was refused, so that what follows is a retry however slow the machine (after
        // a fixed pause, a late first attempt could have found the AFM up already).
        try await waitUntil(timeout: .seconds(60)) { afm.posted.withLock { !$0.isEmpty } }
        #expect(try outbox.pending().count == 2)
        #expect(await !uploader.isDelivered)
        down.withLock { $0 = false }
        // The first retry comes after ResultUploader.firstRetryDelay (1 s).
        try await waitUntil(timeout: .seconds(60)) { await uploader.isDelivered }
        #expect(afm.posted.withLock { $0 }.suffix(2) == ["a", "b"])
        // Submitted after start, it is delivered from memory: this one is not in the outbox folder, so a pass that
        // read the folder again would never send it.
        await uploader.submit(.result(taskID: "c", data: [:]))
        try await waitUntil(timeout: .seconds(60)) { await uploader.isDelivered }
        #expect(afm.posted.withLock { $0 }.last == "c")
        #expect(try outbox.pending().isEmpty)
        running.cancel()
        await running.value
    }
}
