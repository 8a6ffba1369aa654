import Foundation
import JSON
import NIOCore
import NIOSSL
import Synchronization
import X509

/// Verifies a server's certificate chain itself (swift-certificates' RFC 5280 and server-identity policies against
/// the trust roots), so that a check can say why a chain is not trusted, and keeps what it saw: the chain as
/// presented, its earliest expiry, and the verdict.
///
/// Used as NIOSSL's custom verification callback: the handshake goes on when the chain verifies, or always when
/// `acceptUntrusted` (TLS checks report an untrusted chain instead of failing to connect; `skip_verify`).
final class CertificateChecker: Sendable {
    struct Seen: Sendable {
        var presented: [Certificate] = []
        /// Nil when verified; otherwise why not.
        var untrusted: String?
        var verified: Bool { untrusted == nil && !presented.isEmpty }
    }

    private let roots: CertificateStore
    private let serverName: String
    private let serverIP: String?
    private let acceptUntrusted: Bool
    private let seen = Mutex(Seen())

    init(roots: CertificateStore, serverName: String, serverIP: String?, acceptUntrusted: Bool) {
        self.roots = roots
        self.serverName = serverName
        self.serverIP = serverIP
        self.acceptUntrusted = acceptUntrusted
    }

    var result: Seen { seen.withLock { $0 } }

    func verify(_ certificates: [NIOSSLCertificate], _ promise: EventLoopPromise<NIOSSLVerificationResult>) {
        let presented: [Certificate]
        do {
            presented = try certificates.map { try Certificate(derEncoded: try $0.toDERBytes()) }
        } catch {
            seen.withLock { $0.untrusted = "the server's certificate cannot be read: \(error)" }
            promise.succeed(acceptUntrusted ? .certificateVerified : .failed)
            return
        }
        seen.withLock { $0.presented = presented }
        guard let leaf = presented.first else {
            seen.withLock { $0.untrusted = "the server presented no certificate" }
            promise.succeed(acceptUntrusted ? .certificateVerified : .failed)
            return
        }
        let roots = roots
        let serverName = serverName
        let serverIP = serverIP
        let acceptUntrusted = acceptUntrusted
        Task {
            var verifier = Verifier(rootCertificates: roots) {
                RFC5280Policy()
                ServerIdentityPolicy(serverHostname: serverIP == nil ? serverName : nil, serverIP: serverIP)
            }
            let verdict = await verifier.validate(leaf: leaf, intermediates: CertificateStore(presented.dropFirst()))
            switch verdict {
            case .validCertificate:
                promise.succeed(.certificateVerified)
            case .couldNotValidate(let failures):
                let reason = failures.first.map { "\($0.policyFailureReason)" } ?? "no chain to a trusted root"
                seen.withLock { $0.untrusted = "certificate not trusted for \(serverIP ?? serverName): \(reason)" }
                promise.succeed(acceptUntrusted ? .certificateVerified : .failed)
            }
        }
    }

    /// The facts a result shows of the chain: its earliest expiry, the days left until it, and the leaf's issuer
    /// and subject.
    static func facts(of seen: Seen, version: String?, now: Date = Date()) -> [String: JSONValue] {
        var members: [String: JSONValue] = ["verified": .bool(seen.verified)]
        members["version"] = version.map { .string($0) }
        if let earliest = seen.presented.map(\.notValidAfter).min() {
            members["not_after"] = .string(Timestamp(microsecondsSinceEpoch: Int64(earliest.timeIntervalSince1970 * 1_000_000)).iso8601Text)
            members["days_left"] = .number(.double((earliest.timeIntervalSince(now) / 86_400 * 100).rounded(.down) / 100))
        }
        if let leaf = seen.presented.first {
            members["issuer"] = .string(leaf.issuer.description)
            members["subject"] = .string(leaf.subject.description)
        }
        members["verify_error"] = seen.untrusted.map { .string($0) }
        return members
    }

    static func versionName(_ version: TLSVersion?) -> String? {
        switch version {
        case .tlsv1: "TLS 1.0"
        case .tlsv11: "TLS 1.1"
        case .tlsv12: "TLS 1.2"
        case .tlsv13: "TLS 1.3"
        case nil: nil
        }
    }
}
