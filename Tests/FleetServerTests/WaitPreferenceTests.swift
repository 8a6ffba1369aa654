@testable import FleetServer
import HTTPTypes
import Testing

/// Reading `Prefer: wait=N` (RFC 7240): among other preferences, with parameters, quoted, repeated, or unreadable.
@Suite("wait preference")
struct WaitPreferenceTests {
    static func seconds(_ values: String...) -> Int? {
        var headers = HTTPFields()
        for value in values { headers.append(HTTPField(name: WaitPreference.prefer, value: value)) }
        return WaitPreference.seconds(in: headers)
    }

    @Test("the first wait preference counts, wherever it stands")
    func readable() {
        #expect(Self.seconds("wait=30") == 30)
        #expect(Self.seconds("respond-async, wait=10") == 10)
        #expect(Self.seconds("WAIT = 12 ") == 12)
        #expect(Self.seconds("wait=\"5\"") == 5)
        #expect(Self.seconds("wait=7; foo=bar") == 7)
        #expect(Self.seconds("foo=\"a,wait=1\", wait=3") == 3)
        #expect(Self.seconds("handling=lenient", "wait=4, wait=9") == 4)
        #expect(Self.seconds("wait=99999999999999999999999") == Int.max)
    }

    @Test("no wait, or one that is not a number of seconds, asks for none")
    func unreadable() {
        #expect(Self.seconds() == nil)
        #expect(Self.seconds("respond-async") == nil)
        #expect(Self.seconds("wait") == nil)
        #expect(Self.seconds("wait=") == nil)
        #expect(Self.seconds("wait=-1") == nil)
        #expect(Self.seconds("wait=1.5") == nil)
        #expect(Self.seconds("wait=abc, wait=5") == nil)
        #expect(Self.seconds("waiting=5") == nil)
    }
}
