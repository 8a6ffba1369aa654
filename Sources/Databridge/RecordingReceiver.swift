import Foundation
import Logging
import Synchronization

/// A data-bridge receiver that checks credentials, keeps stream definitions and sessions, and records every
/// event it is sent (the newest `capacity`), for the cep-stub and for tests.
public final class RecordingReceiver: DatabridgeService {
    /// An event as received: where it came from and what it said.
    public struct Record: Sendable {
        public var sequence: Int
        public var receivedAt: Date
        public var transport: String
        public var event: DecodedEvent
    }

    private struct State {
        var sessions: Set<String> = []
        var streams: [String: StreamDefinition] = [:]
        var records: [Record] = []
        var nextSequence = 1
    }

    private let userName: String
    private let password: String
    private let capacity: Int
    private let logger: Logger
    private let state = Mutex(State())

    public init(userName: String, password: String, capacity: Int = 100_000, logger: Logger) {
        self.userName = userName
        self.password = password
        self.capacity = capacity
        self.logger = logger
    }

    public func handle(_ call: DatabridgeCall, transport: String) -> Result<DatabridgeReturn, DatabridgeFault> {
        switch call {
        case .connect(let user, let secret):
            // Compare both whole strings whatever the first difference, so timing tells nothing.
            let userMatches = constantTimeEqual(user, userName)
            let passwordMatches = constantTimeEqual(secret, password)
            guard userMatches && passwordMatches else {
                logger.warning("refused a \(transport) login for user '\(user)'")
                return .failure(.authentication("invalid user name or password"))
            }
            let session = UUID().uuidString
            state.withLock { _ = $0.sessions.insert(session) }
            logger.info("\(transport) session opened for '\(user)'")
            return .success(.string(session))
        case .disconnect(let session):
            state.withLock { _ = $0.sessions.remove(session) }
            return .success(.void)
        case .defineStream(let session, let text):
            return withSession(session) { state in
                let definition: StreamDefinition
                do throws(DatabridgeFault) {
                    definition = try StreamDefinition(json: text)
                } catch {
                    return .failure(error)
                }
                if let known = state.streams[definition.id], known != definition {
                    return .failure(.differentStreamDefinitionAlreadyDefined("\(definition.id) is already defined differently"))
                }
                if state.streams[definition.id] == nil { logger.info("stream \(definition.id) defined") }
                state.streams[definition.id] = definition
                return .success(.string(definition.id))
            }
        case .findStreamID(let session, let name, let version):
            return withSession(session) { state in
                let id = "\(name):\(version)"
                return state.streams[id] == nil ? .failure(.noStreamDefinitionExist("no stream \(id)")) : .success(.string(id))
            }
        case .publish(let bundle):
            return withSession(bundle.sessionID ?? "") { state in
                let events: [DecodedEvent]
                do throws(DatabridgeFault) {
                    events = try bundle.decodeEvents { state.streams[$0] }
                } catch {
                    logger.warning("refused a bundle: \(error)")
                    return .failure(error)
                }
                for event in events {
                    let record = Record(sequence: state.nextSequence, receivedAt: Date(), transport: transport, event: event)
                    state.nextSequence += 1
                    state.records.append(record)
                    let payload = event.payloadData.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
                    logger.info("event \(record.sequence) on \(event.streamID) via \(transport): \(payload)")
                }
                if state.records.count > capacity { state.records.removeFirst(state.records.count - capacity) }
                return .success(.void)
            }
        case .deleteStreamByID(let session, let id):
            return withSession(session) { .success(.bool($0.streams.removeValue(forKey: id) != nil)) }
        case .deleteStreamByNameVersion(let session, let name, let version):
            return withSession(session) { .success(.bool($0.streams.removeValue(forKey: "\(name):\(version)") != nil)) }
        }
    }

    private func withSession(
        _ session: String, _ body: (inout State) -> Result<DatabridgeReturn, DatabridgeFault>
    ) -> Result<DatabridgeReturn, DatabridgeFault> {
        state.withLock { state in
            guard state.sessions.contains(session) else { return .failure(.sessionExpired("session \(session) is not open")) }
            return body(&state)
        }
    }

    /// Recorded events after `sequence`, oldest first.
    public func records(after sequence: Int = 0) -> [Record] {
        state.withLock { $0.records.filter { $0.sequence > sequence } }
    }

    /// How many events are kept (the newest `capacity`).
    public var recordCount: Int { state.withLock { $0.records.count } }
    public var streamIDs: [String] { state.withLock { $0.streams.keys.sorted() } }
    public var sessionCount: Int { state.withLock { $0.sessions.count } }

    /// Ends every session, as a restarted or timed-out receiver would; the next publish gets session-expired.
    public func expireSessions() {
        state.withLock { $0.sessions.removeAll() }
        logger.notice("every session expired")
    }
}

private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let left = Array(a.utf8), right = Array(b.utf8)
    var difference = UInt8(left.count == right.count ? 0 : 1)
    for index in 0..<max(left.count, right.count) {
        difference |= (index < left.count ? left[index] : 0) ^ (index < right.count ? right[index] : 0)
    }
    return difference == 0
}
