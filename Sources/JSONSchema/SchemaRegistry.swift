import JSON
/// Schema documents that `$ref` and `$schema` may name, by URI. Nothing is ever fetched from the network: a
/// reference to a URI that is not here is a compile error.
///
/// The draft 2020-12, draft-07, draft-06 and draft-04 meta-schemas are always present.
public struct SchemaRegistry: Sendable {
    private(set) var documents: [String: JSONValue] = [:]

    public init() {
        documents = Self.metaschemas
    }

    /// Parsed once per process; every registry starts from a copy.
    private static let metaschemas: [String: JSONValue] = {
        var documents: [String: JSONValue] = [:]
        for (uri, json) in Draft2020Metaschemas.documents {
            documents[uri] = builtIn(json)
        }
        documents[Draft7Metaschema.uri] = builtIn(Draft7Metaschema.schema)
        documents[Draft6Metaschema.uri] = builtIn(Draft6Metaschema.schema)
        documents[Draft4Metaschema.uri] = builtIn(Draft4Metaschema.schema)
        return documents
    }()

    private static func builtIn(_ json: String) -> JSONValue {
        do {
            return try JSONParser.parse(json)
        } catch {
            preconditionFailure("built-in meta-schema is not JSON: \(error)")
        }
    }

    /// Adds (or replaces) the document retrievable at `uri`. Its own `$id`, if any, is honoured when it is compiled.
    public mutating func add(_ document: JSONValue, uri: String) {
        documents[Self.key(uri)] = document
    }

    public func document(at uri: String) -> JSONValue? {
        documents[Self.key(uri)]
    }

    /// URIs are compared without an empty fragment (`…/schema#` and `…/schema` are the same document).
    static func key(_ uri: String) -> String {
        uri.hasSuffix("#") ? String(uri.dropLast()) : uri
    }
}
