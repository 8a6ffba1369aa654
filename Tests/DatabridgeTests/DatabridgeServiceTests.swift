@testable import Databridge
import Logging
import Testing

@Suite("Data-bridge service mapping")
struct DatabridgeServiceTests {
    static let healthDefinition = #"{"name":"cartridge_agent_health_stats","version":"1.0.0","nickName":"agent health stats","description":"agent health stats","payloadData":[{"name":"cluster_id", "type": "STRING"},{"name":"cluster_instance_id", "type": "STRING"},{"name":"network_partition_id", "type": "STRING"},{"name":"member_id", "type": "STRING"},{"name":"partition_id", "type": "STRING"},{"name":"health_description", "type": "STRING"},{"name":"value", "type": "DOUBLE"}]}"#

    static let calls: [DatabridgeCall] = [
        .connect(userName: "admin", password: "secret"),
        .disconnect(sessionID: "s"),
        .defineStream(sessionID: "s", definition: "{}"),
        .findStreamID(sessionID: "s", name: "n", version: "1"),
        .publish(EventBundle(sessionID: "s", eventCount: 1, ints: [1], longs: [2], doubles: [3], bools: [true], strings: ["x"], arbitraryData: [0: ["a": "b"]])),
        .deleteStreamByID(sessionID: "s", streamID: "n:1"),
        .deleteStreamByNameVersion(sessionID: "s", name: "n", version: "1"),
    ]

    @Test("every call survives encoding and decoding", arguments: calls)
    func callRoundTrip(call: DatabridgeCall) throws {
        var reader = ThriftBinaryReader(call.message.encoded)
        let message = try reader.readMessage()
        #expect(try DatabridgeCall(methodName: message.name, arguments: message.body) == call)
    }

    @Test("every declared exception reaches the caller as itself", arguments: calls)
    func faultsRoundTrip(call: DatabridgeCall) throws {
        for fault in call.declaredFaults.values {
            let reply = call.reply(.failure(fault.with(message: "why")), sequenceID: 3)
            #expect(reply.kind == .reply)
            #expect(throws: DatabridgeError.self) { try call.decodeReply(reply) }
            do {
                _ = try call.decodeReply(reply)
            } catch .fault(let received) {
                #expect(received == fault.with(message: "why"))
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test("an exception the method does not declare becomes an application error")
    func undeclaredFault() {
        let reply = DatabridgeCall.disconnect(sessionID: "s").reply(.failure(.sessionExpired("gone")), sequenceID: 0)
        #expect(reply.kind == .exception)
        #expect(ThriftApplicationError(reply.body).code == .internalError)
    }

    @Test("an unknown method is refused as Thrift servers refuse it")
    func unknownMethod() {
        #expect(throws: ThriftApplicationError("Invalid method name: 'shutdown'", code: .unknownMethod)) {
            try DatabridgeCall(methodName: "shutdown", arguments: ThriftStruct())
        }
    }

    @Test("a bundle's events are split by their stream definition, FLOAT from the double list")
    func decodeEvents() throws {
        let definition = try StreamDefinition(json: #"""
            {"name":"all","version":"2.0","metaData":[{"name":"host","type":"STRING"}],
             "correlationData":[{"name":"trace","type":"LONG"}],
             "payloadData":[{"name":"i","type":"INT"},{"name":"f","type":"FLOAT"},{"name":"d","type":"DOUBLE"},{"name":"b","type":"BOOL"},{"name":"s","type":"STRING"}]}
            """#)
        #expect(definition.id == "all:2.0")
        let bundle = EventBundle(
            sessionID: "s", eventCount: 2, ints: [1, 2], longs: [1000, 77, 2000, 88], doubles: [0.5, 1.5, 2.5, 3.5], bools: [true, false],
            strings: ["all:2.0", "h1", "one", "all:2.0", "h2", "two"], arbitraryData: [1: ["k": "v"]])
        let events = try bundle.decodeEvents { $0 == definition.id ? definition : nil }
        #expect(events.count == 2)
        #expect(events[1].timestamp == 2000)
        #expect(events[1].metaData.map(\.1) == ["h2"])
        #expect(events[1].correlationData.map(\.1) == [88])
        #expect(events[1].payloadData.map(\.0) == ["i", "f", "d", "b", "s"])
        #expect(events[1].payloadData.map(\.1) == [2, 2.5, 3.5, false, "two"])
        #expect(events[1].arbitraryData == ["k": "v"])
        #expect(events[0].arbitraryData == [:])
        // One string short: refused, naming what ran out.
        var short = bundle
        short.strings?.removeLast()
        #expect(throws: DatabridgeFault.undefinedEventType("the string list ran out at the attribute s")) {
            try short.decodeEvents { $0 == definition.id ? definition : nil }
        }
        #expect(throws: DatabridgeFault.undefinedEventType("no stream definition for all:2.0")) {
            try bundle.decodeEvents { _ in nil }
        }
    }

    @Test("the health stream definition parses; malformed ones are refused with the reason")
    func streamDefinitions() throws {
        let health = try StreamDefinition(json: Self.healthDefinition)
        #expect(health.id == "cartridge_agent_health_stats:1.0.0")
        #expect(health.payloadData.map(\.type) == [.string, .string, .string, .string, .string, .string, .double])
        for (text, reason) in [
            ("[]", "the stream definition is not a JSON object"),
            ("{", nil),
            (#"{"version":"1"}"#, "the stream definition has no name"),
            (#"{"name":"x","payloadData":{}}"#, "payloadData is not an array"),
            (#"{"name":"x","payloadData":[{"name":"v","type":"DECIMAL"}]}"#, "payloadData.v has the unknown type 'DECIMAL'"),
        ] {
            do {
                _ = try StreamDefinition(json: text)
                Issue.record("\(text) was accepted")
            } catch .malformedStreamDefinition(let message) {
                if let reason { #expect(message == reason) }
            } catch {
                Issue.record("\(text): \(error)")
            }
        }
    }
}

extension DatabridgeCall: CustomTestStringConvertible {
    public var testDescription: String { methodName }
}
