import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// The TLS identity the stub presents: the operator's PEM files, or a self-signed P-256 certificate made at start
/// for `localhost`, `127.0.0.1` and the host name (agents that do not verify, as the original, accept it).
enum SelfSignedIdentity {
    static func serverContext(certificateFile: String?, privateKeyFile: String?) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        if let certificateFile, let privateKeyFile {
            chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
            key = try NIOSSLPrivateKey(file: privateKeyFile, format: .pem)
        } else {
            let (certificatePEM, keyPEM) = try make()
            chain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8))
            key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        return try NIOSSLContext(configuration: configuration)
    }

    /// A certificate valid from an hour ago for ten years, and its key, both PEM.
    static func make() throws -> (certificate: String, privateKey: String) {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("cep-stub") }
        let now = Date()
        var names: [GeneralName] = [.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))]
        let host = ProcessInfo.processInfo.hostName
        if !host.isEmpty && host != "localhost" { names.append(.dnsName(host)) }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
    }
}
