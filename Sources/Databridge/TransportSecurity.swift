import NIOSSL

/// How a data-bridge connection is protected.
public enum TransportSecurity: Sendable, Equatable {
    /// Plain TCP.
    case plain
    /// TLS, checking the receiver's certificate against the CA certificates in this PEM file.
    case verified(caFile: String)
    /// TLS without checking the receiver's certificate, as the original agent connects.
    case unverified

    func clientContext() throws -> NIOSSLContext? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch self {
        case .plain:
            return nil
        case .verified(let caFile):
            configuration.trustRoots = .file(caFile)
            // Receivers are addressed by IP in thrift.receiver.urls; the chain is checked, not the name.
            configuration.certificateVerification = .noHostnameVerification
        case .unverified:
            configuration.certificateVerification = .none
        }
        return try NIOSSLContext(configuration: configuration)
    }
}
