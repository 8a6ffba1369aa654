/// A compiled JSON Schema: parse once with `init`, then validate any number of instances, from any thread.
///
/// This version covers the keywords that protocol-1 payloads and simple task schemas use: `type`, `enum`, `const`,
/// numeric and length bounds, `pattern`, `items`, `required`, `properties`, `patternProperties`,
/// `additionalProperties`, `allOf`, `anyOf`, `oneOf`, `not` and boolean schemas. Other keywords are ignored as
/// annotations.
public struct JSONSchema: Sendable {
    public enum ErrorMode: Sendable {
        case allErrors
        case firstError
    }

    private let root: SchemaNode

    public init(_ document: JSONValue) throws(SchemaError) {
        var compiler = SchemaCompiler()
        root = try compiler.compile(document)
    }

    /// Compiles a schema given as JSON text.
    public init(json text: String) throws {
        try self.init(try JSONParser.parse(text))
    }

    /// The ways `instance` violates the schema; empty when it is valid.
    public func validate(_ instance: JSONValue, mode: ErrorMode = .allErrors) -> [ValidationError] {
        var validator = Validator(stopAtFirstError: mode == .firstError)
        validator.validate(root, instance)
        return validator.errors
    }

    public func isValid(_ instance: JSONValue) -> Bool {
        validate(instance, mode: .firstError).isEmpty
    }
}
