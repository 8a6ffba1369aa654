import Foundation
import NIOPosix
import SwiftASN1
import Synchronization
import X509

/// The certificates a check trusts: the system's bundle (Debian's ca-certificates, or `SSL_CERT_FILE`), or a CA
/// file the check names. Each file is read once and kept, as most checks name the same few. Reading and parsing a
/// bundle of some 150 certificates is work of many milliseconds: it is done on NIO's thread pool, never on the
/// threads that run the agent's tasks, so that a first HTTPS check does not hold up polls and deliveries.
enum TrustRoots {
    static let systemBundles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"]
    private static let loaded = Mutex<[String: [Certificate]]>([:])
    /// Beyond this many CA files the memory starts again: it only saves reading.
    private static let maximumFiles = 64

    static func store(caFile: String?) async throws(CheckFailure) -> CertificateStore {
        let path = caFile ?? ProcessInfo.processInfo.environment["SSL_CERT_FILE"] ?? systemBundles.first {
            FileManager.default.fileExists(atPath: $0)
        }
        guard let path else { return CertificateStore() }
        if let known = loaded.withLock({ $0[path] }) { return CertificateStore(known) }
        let read: Result<[Certificate], CheckFailure>
        do {
            read = try await NIOThreadPool.singleton.runIfActive { () -> Result<[Certificate], CheckFailure> in
                do throws(CheckFailure) { return .success(try Self.read(path)) } catch { return .failure(error) }
            }
        } catch {
            throw CheckFailure("cannot read the CA file \(path): \(error)")
        }
        let certificates = try read.get()
        loaded.withLock { files in
            if files.count >= maximumFiles { files.removeAll() }
            files[path] = certificates
        }
        return CertificateStore(certificates)
    }

    private static func read(_ path: String) throws(CheckFailure) -> [Certificate] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CheckFailure("cannot read the CA file \(path): \(error.localizedDescription)")
        }
        do {
            return try PEMDocument.parseMultiple(pemString: text).filter { $0.discriminator == "CERTIFICATE" }.map {
                try Certificate(derEncoded: $0.derBytes)
            }
        } catch {
            throw CheckFailure("the CA file \(path) holds no readable PEM certificates: \(error)")
        }
    }
}
