import CMosquitto
import Foundation
import Logging
import Synchronization

/// An MQTT 3.1.1 client over libmosquitto with ordered failover across brokers.
///
/// One thread of its own runs the network loop: it connects to the brokers in order, stays with the first that
/// accepts, re-subscribes after every (re)connect, and when the connection drops starts again from the first
/// broker. When every broker fails it waits 2, 2, 5, 5, … 60 s between rounds. Incoming messages and connection
/// changes reach Swift concurrency through `AsyncStream`s; `publish` is async and waits for the broker's PUBACK.
public final class MQTTClient: Sendable {
    public struct Configuration: Sendable {
        public var brokers: [BrokerAddress]
        public var username: String?
        public var password: String?
        public var keepAlive: Int32 = 60
        public var clientID: String?
        /// Seconds between rounds when every broker failed; the reference's sequence by default.
        public var backoff: [Int] = FailoverBackoff.sequence

        public init(brokers: [BrokerAddress], username: String? = nil, password: String? = nil) {
            self.brokers = brokers
            self.username = username
            self.password = password
        }
    }

    public struct Message: Sendable, Equatable {
        public let topic: String
        public let payload: [UInt8]

        public init(topic: String, payload: [UInt8]) {
            self.topic = topic
            self.payload = payload
        }
    }

    public enum Event: Sendable, Equatable {
        case connected(BrokerAddress)
        case connectionFailed(BrokerAddress, String)
        /// The broker refused the CONNECT (bad credentials, …).
        case refused(BrokerAddress, String)
        case disconnected(BrokerAddress)
        /// Every broker failed; the next round starts after this many seconds.
        case allBrokersFailed(retryInSeconds: Int)
    }

    public struct PublishFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// A libmosquitto client handle as the shared state holds it.
    ///
    /// Safety of `@unchecked Sendable`: the handle is created and destroyed on the network thread; other threads
    /// reach it only through `State`, under the mutex, and only while it is stored there (it is removed before it is
    /// destroyed). libmosquitto allows calls from several threads once `mosquitto_threaded_set(handle, true)` is on,
    /// which `runConnection` does before storing it.
    struct Handle: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    private struct State {
        var handle: Handle?
        var broker: BrokerAddress?
        var connected = false
        var refusedReason: String?
        var subscriptions: [String] = []
        var pendingAcknowledgements: [Int32: CheckedContinuation<Bool, Never>] = [:]
        var stopped = false
    }

    let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())
    private let incoming = AsyncStream<Message>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
    private let changes = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(1_000))
    private let started = Mutex(false)

    /// Messages on the subscribed topics, in arrival order.
    public var messages: AsyncStream<Message> { incoming.stream }
    /// Connection changes, for logs and tests.
    public var events: AsyncStream<Event> { changes.stream }

    public init(configuration: Configuration, logger: Logger) {
        precondition(!configuration.brokers.isEmpty, "an MQTT client needs at least one broker")
        self.configuration = configuration
        self.logger = logger
        MosquittoLibrary.initialize()
    }

    public var isConnected: Bool { state.withLock { $0.connected } }
    public var currentBroker: BrokerAddress? { state.withLock { $0.connected ? $0.broker : nil } }

    /// Starts the network thread (once).
    public func start() {
        guard started.withLock({ started in
            defer { started = true }
            return !started
        }) else { return }
        let thread = Thread { [self] in runLoop() }
        thread.name = "mqtt-\(configuration.brokers[0])"
        thread.start()
    }

    /// Stops the network thread, disconnecting; pending publishes fail.
    public func stop() {
        let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.stopped = true
            let waiters = Array(state.pendingAcknowledgements.values)
            state.pendingAcknowledgements = [:]
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: false) }
        incoming.continuation.finish()
        changes.continuation.finish()
    }

    /// Subscribes (QoS 0) now if connected, and after every reconnect.
    public func subscribe(_ filter: String) {
        state.withLock { state in
            guard !state.subscriptions.contains(filter) else { return }
            state.subscriptions.append(filter)
            if state.connected, let handle = state.handle {
                _ = mosquitto_subscribe(handle.pointer, nil, filter, 0)
            }
        }
    }

    /// Publishes with QoS 1 and waits for the broker's acknowledgement, retrying on whichever broker is connected
    /// until `timeout` has passed. Answers whether it was acknowledged.
    public func publish(topic: String, payload: [UInt8], timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var lastProblem = "no broker connected"
        while ContinuousClock.now < deadline && !Task.isCancelled {
            if state.withLock({ $0.stopped }) { return false }
            let acknowledged = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let problem = state.withLock { state -> String? in
                    guard state.connected, let handle = state.handle else { return "no broker connected" }
                    var messageID: Int32 = 0
                    let rc = payload.withUnsafeBytes { bytes in
                        mosquitto_publish(handle.pointer, &messageID, topic, Int32(bytes.count), bytes.baseAddress, 1, false)
                    }
                    guard rc == MOSQ_ERR_SUCCESS.rawValue else { return String(cString: mosquitto_strerror(rc)) }
                    state.pendingAcknowledgements[messageID] = continuation
                    return nil
                }
                if let problem {
                    lastProblem = problem
                    continuation.resume(returning: false)
                }
            }
            if acknowledged { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        logger.warning("could not publish to \(topic) within \(timeout) (\(lastProblem)); the event is dropped")
        return false
    }

    // MARK: Network thread

    private func runLoop() {
        var failedRounds = 0
        while !state.withLock({ $0.stopped }) {
            var connectedThisRound = false
            for broker in configuration.brokers {
                if state.withLock({ $0.stopped }) { break }
                if runConnection(to: broker) == .lost {
                    // A connection that was up and dropped: start again from the first broker, without waiting.
                    connectedThisRound = true
                    break
                }
            }
            if state.withLock({ $0.stopped }) { break }
            if connectedThisRound {
                failedRounds = 0
                continue
            }
            let seconds = FailoverBackoff.delay(afterFailedRounds: failedRounds, sequence: configuration.backoff)
            failedRounds += 1
            logger.warning("could not connect to any of the message brokers \(configuration.brokers.map(\.description).joined(separator: ", ")); retrying in \(seconds) s")
            changes.continuation.yield(.allBrokersFailed(retryInSeconds: seconds))
            let until = Date().addingTimeInterval(TimeInterval(seconds))
            while Date() < until && !state.withLock({ $0.stopped }) {
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }

    private enum ConnectionEnd {
        case neverConnected
        case lost
    }

    private func runConnection(to broker: BrokerAddress) -> ConnectionEnd {
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard let handle = mosquitto_new(configuration.clientID, true, context) else {
            changes.continuation.yield(.connectionFailed(broker, "cannot create a client"))
            return .neverConnected
        }
        defer { mosquitto_destroy(handle) }
        _ = mosquitto_threaded_set(handle, true)
        if let username = configuration.username {
            _ = mosquitto_username_pw_set(handle, username, configuration.password)
        }
        mosquitto_connect_callback_set(handle, onConnect)
        mosquitto_disconnect_callback_set(handle, onDisconnect)
        mosquitto_publish_callback_set(handle, onPublish)
        mosquitto_message_callback_set(handle, onMessage)
        let shared = Handle(pointer: handle)
        state.withLock { state in
            state.handle = shared
            state.broker = broker
            state.refusedReason = nil
        }
        let rc = mosquitto_connect(handle, broker.host, Int32(broker.port), configuration.keepAlive)
        guard rc == MOSQ_ERR_SUCCESS.rawValue else {
            let reason = rc == MOSQ_ERR_ERRNO.rawValue ? String(cString: strerror(errno)) : String(cString: mosquitto_strerror(rc))
            state.withLock { $0.handle = nil }
            logger.debug("could not connect to message broker \(broker): \(reason)")
            changes.continuation.yield(.connectionFailed(broker, reason))
            return .neverConnected
        }
        var everConnected = false
        while true {
            let (stopped, connected, refused) = state.withLock { ($0.stopped, $0.connected, $0.refusedReason) }
            if connected { everConnected = true }
            if stopped || refused != nil { break }
            let loop = mosquitto_loop(handle, 100, 1)
            if loop != MOSQ_ERR_SUCCESS.rawValue { break }
        }
        if state.withLock({ $0.stopped }) { _ = mosquitto_disconnect(handle) }
        let (waiters, refused) = state.withLock { state -> ([CheckedContinuation<Bool, Never>], String?) in
            let waiters = Array(state.pendingAcknowledgements.values)
            state.pendingAcknowledgements = [:]
            state.handle = nil
            state.connected = false
            return (waiters, state.refusedReason)
        }
        for waiter in waiters { waiter.resume(returning: false) }
        if let refused {
            logger.error("message broker \(broker) refused the connection: \(refused)")
            changes.continuation.yield(.refused(broker, refused))
            return .neverConnected
        }
        if everConnected {
            logger.warning("lost the connection to message broker \(broker)")
            changes.continuation.yield(.disconnected(broker))
            return .lost
        }
        changes.continuation.yield(.connectionFailed(broker, "the connection closed before the broker answered"))
        return .neverConnected
    }

    // MARK: Callbacks (on the network thread)

    fileprivate func connected(rc: Int32) {
        guard rc == 0 else {
            state.withLock { $0.refusedReason = String(cString: mosquitto_connack_string(rc)) }
            return
        }
        let broker = state.withLock { state -> BrokerAddress? in
            state.connected = true
            if let handle = state.handle {
                for filter in state.subscriptions { _ = mosquitto_subscribe(handle.pointer, nil, filter, 0) }
            }
            return state.broker
        }
        if let broker {
            logger.info("connected to message broker \(broker)")
            changes.continuation.yield(.connected(broker))
        }
    }

    fileprivate func disconnected() {
        state.withLock { $0.connected = false }
    }

    fileprivate func acknowledged(messageID: Int32) {
        let waiter = state.withLock { $0.pendingAcknowledgements.removeValue(forKey: messageID) }
        waiter?.resume(returning: true)
    }

    fileprivate func received(topic: String, payload: [UInt8]) {
        incoming.continuation.yield(Message(topic: topic, payload: payload))
    }
}

// C callbacks: the context pointer is the client, which outlives its network thread's connections.
private func client(_ context: UnsafeMutableRawPointer?) -> MQTTClient {
    Unmanaged<MQTTClient>.fromOpaque(context!).takeUnretainedValue()
}

private let onConnect: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32) -> Void = { _, context, rc in
    client(context).connected(rc: rc)
}

private let onDisconnect: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32) -> Void = { _, context, _ in
    client(context).disconnected()
}

private let onPublish: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32) -> Void = { _, context, messageID in
    client(context).acknowledged(messageID: messageID)
}

private let onMessage: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafePointer<mosquitto_message>?) -> Void = { _, context, message in
    guard let message = message?.pointee, let topic = message.topic else { return }
    let payload = message.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(message.payloadlen))) } ?? []
    client(context).received(topic: String(cString: topic), payload: payload)
}

/// `mosquitto_lib_init` must run once per process before any client is created.
enum MosquittoLibrary {
    private static let initialized: Bool = {
        _ = mosquitto_lib_init()
        return true
    }()

    static func initialize() {
        _ = initialized
    }
}
