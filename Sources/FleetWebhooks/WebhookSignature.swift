import Crypto
import Foundation

/// How a delivery is signed, as Stripe and GitHub sign theirs: `AFM-Webhook-Timestamp` holds the Unix time of the
/// attempt, `AFM-Webhook-Signature` holds `sha256=` and the hex HMAC-SHA256, under the webhook's secret, of the
/// timestamp, a `.` and the body. A receiver recomputes it, compares in constant time, and refuses old timestamps,
/// so that a captured request cannot be replayed later.
public enum WebhookSignature {
    public static let timestampHeader = "AFM-Webhook-Timestamp"
    public static let signatureHeader = "AFM-Webhook-Signature"
    public static let deliveryHeader = "AFM-Webhook-Id"
    public static let eventHeader = "AFM-Webhook-Event"

    public static func sign(body: some DataProtocol, timestamp: Int64, secret: String) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(contentsOf: body)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `signature` is the one `sign` gives, compared in constant time.
    public static func verify(signature: String, body: some DataProtocol, timestamp: Int64, secret: String) -> Bool {
        guard signature.hasPrefix("sha256="), let given = Data(hexadecimal: String(signature.dropFirst(7))) else { return false }
        var message = Data("\(timestamp).".utf8)
        message.append(contentsOf: body)
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: message, using: SymmetricKey(data: Data(secret.utf8)))
    }
}

extension Data {
    fileprivate init?(hexadecimal text: String) {
        guard text.utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
