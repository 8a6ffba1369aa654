/// Walks an instance against compiled nodes, collecting errors with their locations.
///
/// Locations are kept as component stacks and rendered to JSON Pointers only when an error is recorded, so a valid
/// instance costs no string building.
struct Validator {
    let stopAtFirstError: Bool
    private(set) var errors: [ValidationError] = []
    private var instancePath: [String] = []
    private var keywordPath: [String] = []

    init(stopAtFirstError: Bool) {
        self.stopAtFirstError = stopAtFirstError
    }

    private var shouldStop: Bool { stopAtFirstError && !errors.isEmpty }

    private mutating func report(_ keyword: String, _ message: String) {
        errors.append(
            ValidationError(
                instanceLocation: JSONPointer.render(instancePath),
                keywordLocation: JSONPointer.render(keywordPath + [keyword]),
                keyword: keyword,
                message: message))
    }

    /// Validates a subschema in isolation (for `anyOf`, `oneOf`, `not`): its errors are returned, not recorded.
    private func trial(_ node: SchemaNode, _ value: JSONValue, keyword: [String], firstErrorOnly: Bool) -> [ValidationError] {
        var nested = Validator(stopAtFirstError: firstErrorOnly)
        nested.instancePath = instancePath
        nested.keywordPath = keywordPath + keyword
        nested.validate(node, value)
        return nested.errors
    }

    mutating func validate(_ node: SchemaNode, _ value: JSONValue) {
        switch node {
        case .always(true): return
        case .always(false):
            report("false", "no value is allowed here")
        case .keywords(let keywords):
            for keyword in keywords {
                apply(keyword, to: value)
                if shouldStop { return }
            }
        }
    }

    private mutating func descend(_ node: SchemaNode, _ value: JSONValue, instance: String?, keyword: [String]) {
        if let instance { instancePath.append(instance) }
        keywordPath.append(contentsOf: keyword)
        validate(node, value)
        keywordPath.removeLast(keyword.count)
        if instance != nil { instancePath.removeLast() }
    }

    private mutating func apply(_ keyword: Keyword, to value: JSONValue) {
        switch keyword {
        case .type(let types):
            if !types.admits(value) {
                let expected = types.names.joined(separator: " or ")
                report("type", "expected \(expected), got \(value.typeName)")
            }
        case .enumeration(let options):
            if !options.contains(value) { report("enum", "must be one of \(JSONValue.array(options))") }
        case .constant(let constant):
            if value != constant { report("const", "must be \(constant)") }
        case .minimum(let bound):
            if let number = value.numberValue, number < bound { report("minimum", "must be at least \(bound)") }
        case .maximum(let bound):
            if let number = value.numberValue, number > bound { report("maximum", "must be at most \(bound)") }
        case .exclusiveMinimum(let bound):
            if let number = value.numberValue, number <= bound { report("exclusiveMinimum", "must be greater than \(bound)") }
        case .exclusiveMaximum(let bound):
            if let number = value.numberValue, number >= bound { report("exclusiveMaximum", "must be less than \(bound)") }
        case .minLength(let bound):
            if let string = value.stringValue, string.unicodeScalars.count < bound {
                report("minLength", "must be at least \(bound) characters long")
            }
        case .maxLength(let bound):
            if let string = value.stringValue, string.unicodeScalars.count > bound {
                report("maxLength", "must be at most \(bound) characters long")
            }
        case .pattern(let pattern):
            if let string = value.stringValue, !pattern.matches(string) {
                report("pattern", "does not match the pattern \(pattern.source)")
            }
        case .minItems(let bound):
            if let elements = value.arrayValue, elements.count < bound { report("minItems", "must have at least \(bound) items") }
        case .maxItems(let bound):
            if let elements = value.arrayValue, elements.count > bound { report("maxItems", "must have at most \(bound) items") }
        case .items(let node):
            guard let elements = value.arrayValue else { return }
            for (index, element) in elements.enumerated() {
                descend(node, element, instance: String(index), keyword: ["items"])
                if shouldStop { return }
            }
        case .required(let names):
            guard let members = value.objectValue else { return }
            for name in names where members[name] == nil {
                report("required", "missing required member '\(name)'")
                if shouldStop { return }
            }
        case .minProperties(let bound):
            if let members = value.objectValue, members.count < bound { report("minProperties", "must have at least \(bound) members") }
        case .maxProperties(let bound):
            if let members = value.objectValue, members.count > bound { report("maxProperties", "must have at most \(bound) members") }
        case .members(let rules):
            guard let members = value.objectValue else { return }
            validateMembers(members, rules)
        case .allOf(let nodes):
            for (index, node) in nodes.enumerated() {
                descend(node, value, instance: nil, keyword: ["allOf", String(index)])
                if shouldStop { return }
            }
        case .anyOf(let nodes):
            var closest: [ValidationError]?
            for (index, node) in nodes.enumerated() {
                let failures = trial(node, value, keyword: ["anyOf", String(index)], firstErrorOnly: false)
                if failures.isEmpty { return }
                if closest == nil || Self.fitsBetter(failures, than: closest!) { closest = failures }
            }
            report("anyOf", "must match at least one of the \(nodes.count) schemas in anyOf")
            errors.append(contentsOf: closest ?? [])
        case .oneOf(let nodes):
            var matched: [Int] = []
            var closest: [ValidationError]?
            for (index, node) in nodes.enumerated() {
                let failures = trial(node, value, keyword: ["oneOf", String(index)], firstErrorOnly: false)
                if failures.isEmpty {
                    matched.append(index)
                } else if closest == nil || Self.fitsBetter(failures, than: closest!) {
                    closest = failures
                }
            }
            if matched.isEmpty {
                report("oneOf", "must match exactly one of the \(nodes.count) schemas in oneOf, matched none")
                // The branch that came closest explains best what is wrong.
                errors.append(contentsOf: closest ?? [])
            } else if matched.count > 1 {
                report("oneOf", "must match exactly one schema in oneOf, matched \(matched.count) (\(matched.map(String.init).joined(separator: ", ")))")
            }
        case .not(let node):
            if trial(node, value, keyword: ["not"], firstErrorOnly: true).isEmpty {
                report("not", "must not match the schema in not")
            }
        }
    }

    /// Which failing branch of `anyOf`/`oneOf` explains best what is wrong: the one whose shape fits (fewest
    /// missing or unexpected members), then the one with fewest errors.
    private static func fitsBetter(_ candidate: [ValidationError], than current: [ValidationError]) -> Bool {
        func shapeErrors(_ errors: [ValidationError]) -> Int {
            errors.count { $0.keyword == "required" || $0.keyword == "additionalProperties" }
        }
        let (candidateShape, currentShape) = (shapeErrors(candidate), shapeErrors(current))
        if candidateShape != currentShape { return candidateShape < currentShape }
        return candidate.count < current.count
    }

    private mutating func validateMembers(_ members: [String: JSONValue], _ rules: ObjectMembers) {
        // Sorted so that errors come out in a stable order.
        for name in members.keys.sorted() {
            let member = members[name]!
            var matched = false
            if let node = rules.properties[name] {
                matched = true
                descend(node, member, instance: name, keyword: ["properties", name])
                if shouldStop { return }
            }
            for (pattern, node) in rules.patternProperties where pattern.matches(name) {
                matched = true
                descend(node, member, instance: name, keyword: ["patternProperties", pattern.source])
                if shouldStop { return }
            }
            guard !matched, let additional = rules.additionalProperties else { continue }
            if case .always(false) = additional {
                instancePath.append(name)
                report("additionalProperties", "unexpected member '\(name)'")
                instancePath.removeLast()
            } else {
                descend(additional, member, instance: name, keyword: ["additionalProperties"])
            }
            if shouldStop { return }
        }
    }
}
