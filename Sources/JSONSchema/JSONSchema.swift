import JSON
/// A compiled JSON Schema: compile once with `init`, then validate any number of instances, from any thread.
///
/// Draft 2020-12 is the default dialect; `$schema` selects draft 2020-12, 2019-09 or draft-07 (draft-06 and
/// draft-04 run under draft-07's rules). A schema without `$schema` also accepts the draft-04 forms that 2020-12
/// dropped (`items` as an array with `additionalItems`, boolean `exclusiveMaximum`, `dependencies`).
/// `$ref`s to other documents are resolved from `Options.registry`; nothing is fetched from the network.
public struct JSONSchema: Sendable {
    public struct Options: Sendable {
        /// The dialect of a schema that has no `$schema`.
        public var defaultDialect: Dialect
        /// Make `format` an assertion (by default it is an annotation, as the specification says).
        public var assertsFormats: Bool
        /// Documents that `$ref` may name by URI, besides the standard meta-schemas.
        public var registry: SchemaRegistry

        public init(defaultDialect: Dialect = .draft2020_12, assertsFormats: Bool = false, registry: SchemaRegistry = SchemaRegistry()) {
            self.defaultDialect = defaultDialect
            self.assertsFormats = assertsFormats
            self.registry = registry
        }
    }

    public enum ErrorMode: Sendable {
        /// Every violation; for a failing `anyOf`/`oneOf`, the errors of the branch that came closest.
        case allErrors
        /// Stop at the first failing keyword.
        case firstError
    }

    private let program: SchemaProgram

    /// The number of compiled subschemas, for diagnostics.
    public var nodeCount: Int { program.nodes.count }

    public init(_ document: JSONValue, options: Options = Options()) throws(SchemaError) {
        var compiler = SchemaCompiler(registry: options.registry, assertsFormats: options.assertsFormats)
        program = try compiler.compile(document, dialect: options.defaultDialect)
    }

    /// Compiles a schema given as JSON text.
    public init(json text: String, options: Options = Options()) throws {
        try self.init(try JSONParser.parse(text), options: options)
    }

    /// The ways `instance` violates the schema; empty when it is valid.
    public func validate(_ instance: JSONValue, mode: ErrorMode = .allErrors) -> [ValidationError] {
        var validator = Validator(program: program, mode: mode == .allErrors ? .allErrors : .firstError)
        _ = validator.validate(instance)
        return validator.errors
    }

    /// Whether `instance` is valid, without building any error message.
    public func isValid(_ instance: JSONValue) -> Bool {
        var validator = Validator(program: program, mode: .verdict)
        return validator.validate(instance)
    }
}
