import Synchronization
import Testing

import FleetStore
@testable import FleetStorePostgres

/// The batching of requests that arrive together. The executor here is a closure that records the batches it is
/// given: what is under test is the coalescer's own bookkeeping (the stores' batches are tested on real databases).
@Suite("Statement coalescer")
struct StatementCoalescerTests {
    struct Refused: Error, Equatable {
        let value: Int
    }

    @Test("a lone request runs at once as a batch of one")
    func lone() async throws {
        let batches = Mutex<[[Int]]>([])
        let coalescer = StatementCoalescer<Int, Int>(concurrentBatches: 1, maximumBatch: 10) { requests in
            batches.withLock { $0.append(requests) }
            return requests.map { .success($0 * 2) }
        }
        #expect(try await coalescer.run(21) == 42)
        #expect(try await coalescer.run(5) == 10)
        #expect(batches.withLock { $0 } == [[21], [5]])
    }

    @Test("requests arriving while a batch runs go together, each gets its own answer, and batches stay in bounds")
    func together() async throws {
        let batches = Mutex<[[Int]]>([])
        let running = Mutex((now: 0, most: 0))
        let coalescer = StatementCoalescer<Int, Int>(concurrentBatches: 2, maximumBatch: 16) { requests in
            running.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
            batches.withLock { $0.append(requests) }
            try await Task.sleep(for: .milliseconds(5))
            running.withLock { $0.now -= 1 }
            return requests.map { $0 % 7 == 0 ? .failure(Refused(value: $0)) : .success($0 * 2) }
        }
        try await withThrowingTaskGroup(of: (Int, Result<Int, Refused>).self) { group in
            for value in 1...200 {
                group.addTask {
                    do {
                        return (value, .success(try await coalescer.run(value)))
                    } catch let error as Refused {
                        return (value, .failure(error))
                    }
                }
            }
            for try await (value, answer) in group {
                #expect(answer == (value % 7 == 0 ? .failure(Refused(value: value)) : .success(value * 2)))
            }
        }
        let seen = batches.withLock { $0 }
        #expect(seen.flatMap { $0 }.sorted() == Array(1...200))
        #expect(seen.allSatisfy { $0.count <= 16 })
        #expect(seen.count < 200, "some requests shared a batch")
        #expect(running.withLock { $0.most } <= 2)
    }

    @Test("a batch that fails as a whole fails every request in it, and later batches run")
    func failure() async throws {
        let batches = Mutex<[[Int]]>([])
        let coalescer = StatementCoalescer<Int, Int>(concurrentBatches: 1, maximumBatch: 100) { requests in
            batches.withLock { $0.append(requests) }
            try await Task.sleep(for: .milliseconds(10))
            if requests.contains(1) { throw Refused(value: -1) }
            return requests.map { .success($0) }
        }
        let answers = await withTaskGroup(of: (Int, Bool).self) { group in
            for value in 1...20 {
                group.addTask { (value, (try? await coalescer.run(value)) == value) }
            }
            return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        let failedBatch = Set(try #require(batches.withLock { $0 }.first { $0.contains(1) }))
        for value in 1...20 {
            #expect(answers[value] == !failedBatch.contains(value), "request \(value)")
        }
    }
}
