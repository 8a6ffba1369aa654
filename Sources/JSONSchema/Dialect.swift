/// The JSON Schema drafts whose rules this library applies.
public enum Dialect: String, Sendable, CaseIterable {
    case draft2020_12 = "2020-12"
    case draft2019_09 = "2019-09"
    case draft7 = "draft7"

    /// The dialect a `$schema` value names, when it is one of the standard meta-schemas.
    init?(metaschemaURI: String) {
        var uri = metaschemaURI
        if uri.hasSuffix("#") { uri.removeLast() }
        switch uri {
        case "https://json-schema.org/draft/2020-12/schema": self = .draft2020_12
        case "https://json-schema.org/draft/2019-09/schema": self = .draft2019_09
        // Draft-06 and draft-04 schemas follow draft-07's structural rules closely enough to run under them.
        case "http://json-schema.org/draft-07/schema", "http://json-schema.org/draft-06/schema",
            "http://json-schema.org/draft-04/schema":
            self = .draft7
        default: return nil
        }
    }

    /// `$ref` replaces its sibling keywords (draft-07 and earlier).
    var refOverridesSiblings: Bool { self == .draft7 }
    /// `items` may be an array of schemas, followed by `additionalItems`.
    var hasTupleItems: Bool { self != .draft2020_12 }
    var hasPrefixItems: Bool { self == .draft2020_12 }
    var hasAnchorKeyword: Bool { self != .draft7 }
    var hasDynamicRef: Bool { self == .draft2020_12 }
    /// `$recursiveRef` and `$recursiveAnchor` (2019-09 only; 2020-12 replaced them with the dynamic pair).
    var hasRecursiveRef: Bool { self == .draft2019_09 }
    /// The name under which a resource's `$recursiveAnchor: true` joins the dynamic anchors `$dynamicRef` searches:
    /// not a valid anchor name, so no `$dynamicAnchor` can take it.
    static let recursiveAnchorName = "#recursive"
    var hasUnevaluated: Bool { self != .draft7 }
    var hasDependentKeywords: Bool { self != .draft7 }
    var hasContainsBounds: Bool { self != .draft7 }
    /// `$id: "#name"` declares a plain-name anchor (draft-07).
    var hasFragmentIDs: Bool { self == .draft7 }
    /// Where definitions live; both are only locations, but the indexer must walk into them.
    static let definitionKeywords = ["$defs", "definitions"]
}

/// The vocabularies of draft 2020-12 (and 2019-09) that a meta-schema can turn on or off with `$vocabulary`.
struct Vocabularies: OptionSet, Hashable, Sendable {
    let rawValue: UInt8
    static let core = Vocabularies(rawValue: 1 << 0)
    static let applicator = Vocabularies(rawValue: 1 << 1)
    static let unevaluated = Vocabularies(rawValue: 1 << 2)
    static let validation = Vocabularies(rawValue: 1 << 3)
    static let metaData = Vocabularies(rawValue: 1 << 4)
    static let formatAnnotation = Vocabularies(rawValue: 1 << 5)
    static let formatAssertion = Vocabularies(rawValue: 1 << 6)
    static let content = Vocabularies(rawValue: 1 << 7)

    static let all: Vocabularies = [.core, .applicator, .unevaluated, .validation, .metaData, .formatAnnotation, .content]

    /// The vocabulary a `$vocabulary` URI names, or nil when it is not one we know.
    init?(uri: String) {
        let names: [String: Vocabularies] = [
            "core": .core, "applicator": .applicator, "unevaluated": .unevaluated, "validation": .validation,
            "meta-data": .metaData, "format-annotation": .formatAnnotation, "format-assertion": .formatAssertion,
            "content": .content,
            // 2019-09 names its format vocabulary "format" and has no separate unevaluated vocabulary.
            "format": .formatAnnotation,
        ]
        for prefix in ["https://json-schema.org/draft/2020-12/vocab/", "https://json-schema.org/draft/2019-09/vocab/"]
        where uri.hasPrefix(prefix) {
            guard let vocabulary = names[String(uri.dropFirst(prefix.count))] else { return nil }
            self = uri.hasPrefix("https://json-schema.org/draft/2019-09/") && vocabulary == .applicator
                ? [.applicator, .unevaluated] : vocabulary
            return
        }
        return nil
    }

    init(rawValue: UInt8) {
        self.rawValue = rawValue
    }
}

/// The rules one schema resource is compiled under.
struct SchemaRules: Hashable, Sendable {
    var dialect: Dialect
    var vocabularies: Vocabularies
    /// No `$schema` anywhere up to the root: draft-04-style forms (`items` arrays with `additionalItems`, boolean
    /// `exclusiveMaximum`) are accepted alongside the 2020-12 keywords, so older schemas keep working.
    var acceptsLegacyForms: Bool
    /// The resource identifier is `id`, not `$id` (draft-04).
    var identifiesWithPlainID = false

    /// The keyword that gives a schema resource its URI.
    var idKeyword: String { identifiesWithPlainID ? "id" : "$id" }

    func has(_ vocabulary: Vocabularies) -> Bool { vocabularies.contains(vocabulary) }
}

extension SchemaRules {
    static func standard(_ dialect: Dialect, legacy: Bool = false) -> SchemaRules {
        SchemaRules(dialect: dialect, vocabularies: .all, acceptsLegacyForms: legacy)
    }
}
