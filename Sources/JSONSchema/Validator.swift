import JSON
/// Walks an instance against a compiled program, collecting errors with their locations.
///
/// Locations are kept as component stacks and rendered to JSON Pointers only when an error is recorded, so a valid
/// instance costs no string building. Subschemas whose errors do not matter (`not`, `if`, `contains`) are evaluated
/// silently and stop at their first failure.
struct Validator {
    enum Mode {
        /// Every error, with the closest failing branch of each `anyOf`/`oneOf`.
        case allErrors
        /// Stop at the first failing keyword (with its explanation).
        case firstError
        /// Only valid or not: no messages are built at all.
        case verdict
    }

    /// Nested evaluations allowed at one time; a schema that recurses deeper (a cycle through `$dynamicRef`, or an
    /// absurdly deep instance) fails with an error instead of exhausting the stack. A debug build uses about 2.7 KB
    /// of stack per level, so this stays under 4 MB of a thread's usual 8 MB; it covers instances as deep as the
    /// parser accepts (512) under a recursive schema.
    static let maximumDepth = 1_200

    let program: SchemaProgram
    let mode: Mode
    var errors: [ValidationError] = []
    var silence = 0
    var instancePath: [PathComponent] = []
    var keywordPath: [PathComponent] = []
    var dynamicScope: [Int] = []
    var depth = 0

    init(program: SchemaProgram, mode: Mode) {
        self.program = program
        self.mode = mode
    }

    var recording: Bool { mode != .verdict && silence == 0 }
    var continuesAfterFailure: Bool { mode == .allErrors && silence == 0 }

    mutating func validate(_ value: JSONValue) -> Bool {
        var annotations: Annotations? = nil
        let valid = evaluate(program.root, value, into: &annotations)
        if errors.count > 1 {
            // Objects are unordered; sorting makes the report the same from run to run.
            errors.sort { ($0.instanceLocation, $0.keywordLocation) < ($1.instanceLocation, $1.keywordLocation) }
        }
        return valid
    }

    // MARK: Reporting

    mutating func fail(_ keyword: String, _ message: @autoclosure () -> String, appendingKeyword: Bool = true) {
        guard recording else { return }
        var location = PathComponent.render(keywordPath)
        if appendingKeyword { location += "/" + JSONPointer.escape(keyword) }
        errors.append(
            ValidationError(
                instanceLocation: PathComponent.render(instancePath), keywordLocation: location, keyword: keyword,
                message: message()))
    }

    // MARK: Evaluation

    /// Evaluates a node against `value`; when it is valid and `parent` collects annotations, merges its own into it.
    mutating func evaluate(_ id: NodeID, _ value: JSONValue, into parent: inout Annotations?) -> Bool {
        let node = program.nodes[id]
        if let constant = node.constant {
            if !constant { fail("false", "no value is allowed here", appendingKeyword: false) }
            return constant
        }
        guard depth < Self.maximumDepth else {
            fail("$ref", "schema recursion deeper than \(Self.maximumDepth) levels here", appendingKeyword: false)
            return false
        }
        depth += 1
        let entersResource = dynamicScope.last != node.resource
        if entersResource { dynamicScope.append(node.resource) }
        defer {
            depth -= 1
            if entersResource { dynamicScope.removeLast() }
        }
        var annotations: Annotations? = parent != nil || node.collectsAnnotations ? Annotations() : nil
        var valid = true
        for keyword in node.keywords where !apply(keyword, value, &annotations) {
            valid = false
            if !continuesAfterFailure { break }
        }
        if valid, parent != nil, let annotations { parent!.merge(annotations) }
        return valid
    }

    /// Evaluates a node at a child of the instance (a member or an item).
    mutating func descend(_ id: NodeID, _ value: JSONValue, at instance: PathComponent, keyword: PathComponent, _ detail: PathComponent? = nil) -> Bool {
        // Paths are only needed where errors are recorded; silent evaluation skips them.
        let tracksPath = recording
        if tracksPath {
            instancePath.append(instance)
            keywordPath.append(keyword)
            if let detail { keywordPath.append(detail) }
        }
        var none: Annotations? = nil
        let valid = evaluate(id, value, into: &none)
        if tracksPath {
            if detail != nil { keywordPath.removeLast() }
            keywordPath.removeLast()
            instancePath.removeLast()
        }
        return valid
    }

    /// Evaluates a node at the same instance location, through an in-place applicator.
    mutating func applyInPlace(_ id: NodeID, _ value: JSONValue, keyword: PathComponent, detail: PathComponent? = nil, into annotations: inout Annotations?) -> Bool {
        let tracksPath = recording
        if tracksPath {
            keywordPath.append(keyword)
            if let detail { keywordPath.append(detail) }
        }
        let valid = evaluate(id, value, into: &annotations)
        if tracksPath {
            if detail != nil { keywordPath.removeLast() }
            keywordPath.removeLast()
        }
        return valid
    }

    /// Evaluates a node only for its verdict: no errors are recorded.
    mutating func silently(_ body: (inout Validator) -> Bool) -> Bool {
        silence += 1
        defer { silence -= 1 }
        return body(&self)
    }

    /// Dispatches one keyword. Applicators (which recurse) each have their own function, so that the frames on the
    /// recursive path stay small and deep instances fit in the stack; assertions are checked in `check`.
    mutating func apply(_ keyword: Keyword, _ value: JSONValue, _ annotations: inout Annotations?) -> Bool {
        switch keyword {
        case .items(let rules):
            guard case .array(let items) = value else { return true }
            return applyItems(rules.value, items, &annotations)
        case .contains(let schema, let minimum, let maximum):
            guard case .array(let items) = value else { return true }
            return applyContains(schema, minimum: minimum, maximum: maximum, items, &annotations)
        case .dependentSchemas(let dependencies, let name):
            return applyDependentSchemas(dependencies, keyword: name, value, &annotations)
        case .members(let rules):
            guard case .object(let members) = value else { return true }
            return applyMembers(rules.value, members, &annotations)
        case .propertyNames(let schema):
            return applyPropertyNames(schema, value)
        case .ref(let target):
            return applyInPlace(target, value, keyword: .key("$ref"), into: &annotations)
        case .dynamicRef(let target, let anchor, let keyword):
            return applyDynamicRef(target, anchor: anchor, keyword: keyword, value, &annotations)
        case .allOf(let branches):
            return applyAllOf(branches, value, &annotations)
        case .anyOf(let branches):
            return applyAnyOf(branches, value, &annotations)
        case .oneOf(let branches):
            return applyOneOf(branches, value, &annotations)
        case .not(let schema):
            return applyNot(schema, value)
        case .conditional(let condition, let then, let otherwise):
            return applyConditional(condition, then: then, else: otherwise, value, &annotations)
        case .unevaluatedItems(let schema):
            guard case .array(let items) = value else { return true }
            return applyUnevaluatedItems(schema, items, &annotations)
        case .unevaluatedProperties(let schema):
            guard case .object(let members) = value else { return true }
            return applyUnevaluatedProperties(schema, members, &annotations)
        default:
            return check(keyword, value)
        }
    }

    /// The keywords that look at the value itself and never recurse.
    mutating func check(_ keyword: Keyword, _ value: JSONValue) -> Bool {
        switch keyword {
        case .type(let types):
            guard types.admits(value) else {
                fail("type", "expected \(types.names.joined(separator: " or ")), got \(value.typeName)")
                return false
            }
        case .enumeration(let options):
            guard options.contains(value) else {
                fail("enum", "must be one of \(JSONValue.array(options))")
                return false
            }
        case .constant(let constant):
            guard value == constant else {
                fail("const", "must be \(constant)")
                return false
            }
        case .multipleOf(let divisor):
            if let number = value.numberValue, !number.isMultiple(of: divisor) {
                fail("multipleOf", "must be a multiple of \(divisor)")
                return false
            }
        case .minimum(let bound):
            if let number = value.numberValue, number < bound {
                fail("minimum", "must be at least \(bound)")
                return false
            }
        case .maximum(let bound):
            if let number = value.numberValue, number > bound {
                fail("maximum", "must be at most \(bound)")
                return false
            }
        case .exclusiveMinimum(let bound, let name):
            if let number = value.numberValue, number <= bound {
                fail(name, "must be greater than \(bound)")
                return false
            }
        case .exclusiveMaximum(let bound, let name):
            if let number = value.numberValue, number >= bound {
                fail(name, "must be less than \(bound)")
                return false
            }
        case .minLength(let bound):
            if case .string(let string) = value, string.utf8.count < bound || string.unicodeScalars.count < bound {
                fail("minLength", "must be at least \(bound) characters long")
                return false
            }
        case .maxLength(let bound):
            if case .string(let string) = value, string.utf8.count > bound && string.unicodeScalars.count > bound {
                fail("maxLength", "must be at most \(bound) characters long")
                return false
            }
        case .pattern(let pattern):
            if case .string(let string) = value {
                switch pattern.match(string) {
                case .matched: break
                case .notMatched:
                    fail("pattern", "does not match the pattern \(pattern.source)")
                    return false
                case .timedOut:
                    fail("pattern", pattern.timeoutMessage)
                    return false
                }
            }
        case .format(let format):
            if !format.accepts(value) {
                fail("format", "is not a valid \(format.rawValue)")
                return false
            }
        case .content(let rule):
            if case .string(let string) = value, let violation = rule.violation(string) {
                fail(violation.keyword, violation.message)
                return false
            }
        case .minItems(let bound):
            if case .array(let items) = value, items.count < bound {
                fail("minItems", "must have at least \(bound) items")
                return false
            }
        case .maxItems(let bound):
            if case .array(let items) = value, items.count > bound {
                fail("maxItems", "must have at most \(bound) items")
                return false
            }
        case .uniqueItems:
            if case .array(let items) = value, let (first, second) = Self.firstDuplicate(items) {
                fail("uniqueItems", "items \(first) and \(second) are equal; items must be unique")
                return false
            }
        case .required(let names):
            guard case .object(let members) = value else { return true }
            let missing = names.filter { members[$0] == nil }
            guard missing.isEmpty else {
                fail("required", Self.missingMessage(missing))
                return false
            }
        case .minProperties(let bound):
            if case .object(let members) = value, members.count < bound {
                fail("minProperties", "must have at least \(bound) members")
                return false
            }
        case .maxProperties(let bound):
            if case .object(let members) = value, members.count > bound {
                fail("maxProperties", "must have at most \(bound) members")
                return false
            }
        case .dependentRequired(let dependencies, let name):
            guard case .object(let members) = value else { return true }
            var valid = true
            for dependency in dependencies where members[dependency.name] != nil {
                let missing = dependency.required.filter { members[$0] == nil }
                if !missing.isEmpty {
                    fail(name, Self.missingMessage(missing) + " (required when '\(dependency.name)' is present)")
                    valid = false
                    if !continuesAfterFailure { return false }
                }
            }
            return valid
        default:
            break
        }
        return true
    }

    // MARK: In-place applicators

    mutating func applyDynamicRef(
        _ target: NodeID, anchor: String?, keyword: String, _ value: JSONValue, _ annotations: inout Annotations?
    ) -> Bool {
        var resolved = target
        if let anchor {
            // The outermost resource in the dynamic scope that declares the anchor wins.
            for resource in dynamicScope {
                if let node = program.resources[resource].dynamicAnchors[anchor] {
                    resolved = node
                    break
                }
            }
        }
        return applyInPlace(resolved, value, keyword: .key(keyword), into: &annotations)
    }

    // MARK: Arrays

    static func firstDuplicate(_ items: [JSONValue]) -> (Int, Int)? {
        var seen: [JSONValue: Int] = [:]
        for (position, item) in items.enumerated() {
            if let earlier = seen.updateValue(position, forKey: item) { return (earlier, position) }
        }
        return nil
    }

    // MARK: Objects

    static func missingMessage(_ missing: [String]) -> String {
        missing.count == 1
            ? "missing required member '\(missing[0])'"
            : "missing required members " + missing.map { "'\($0)'" }.joined(separator: ", ")
    }

    // MARK: Combinators

    /// Which failing branch of `anyOf`/`oneOf` explains best what is wrong: the one whose shape fits (fewest
    /// missing or unexpected members), then the one with fewest errors.
    static func fitsBetter(_ candidate: [ValidationError], than current: [ValidationError]) -> Bool {
        func shapeErrors(_ errors: [ValidationError]) -> Int {
            errors.count { $0.keyword == "required" || $0.keyword == "additionalProperties" }
        }
        let (candidateShape, currentShape) = (shapeErrors(candidate), shapeErrors(current))
        if candidateShape != currentShape { return candidateShape < currentShape }
        return candidate.count < current.count
    }
}
