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
    private(set) var errors: [ValidationError] = []
    private var silence = 0
    private var instancePath: [PathComponent] = []
    private var keywordPath: [PathComponent] = []
    private var dynamicScope: [Int] = []
    private var depth = 0

    init(program: SchemaProgram, mode: Mode) {
        self.program = program
        self.mode = mode
    }

    private var recording: Bool { mode != .verdict && silence == 0 }
    private var continuesAfterFailure: Bool { mode == .allErrors && silence == 0 }

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

    private mutating func fail(_ keyword: String, _ message: @autoclosure () -> String, appendingKeyword: Bool = true) {
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
    private mutating func evaluate(_ id: NodeID, _ value: JSONValue, into parent: inout Annotations?) -> Bool {
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
    private mutating func descend(_ id: NodeID, _ value: JSONValue, at instance: PathComponent, keyword: PathComponent, _ detail: PathComponent? = nil) -> Bool {
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
    private mutating func applyInPlace(_ id: NodeID, _ value: JSONValue, keyword: PathComponent, detail: PathComponent? = nil, into annotations: inout Annotations?) -> Bool {
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
    private mutating func silently(_ body: (inout Validator) -> Bool) -> Bool {
        silence += 1
        defer { silence -= 1 }
        return body(&self)
    }

    /// Dispatches one keyword. Applicators (which recurse) each have their own function, so that the frames on the
    /// recursive path stay small and deep instances fit in the stack; assertions are checked in `check`.
    private mutating func apply(_ keyword: Keyword, _ value: JSONValue, _ annotations: inout Annotations?) -> Bool {
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
    private mutating func check(_ keyword: Keyword, _ value: JSONValue) -> Bool {
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

    private mutating func applyDependentSchemas(_ dependencies: [(name: String, schema: NodeID)], keyword name: String, _ value: JSONValue, _ annotations: inout Annotations?) -> Bool {
        guard case .object(let members) = value else { return true }
        var valid = true
        for dependency in dependencies where members[dependency.name] != nil {
            if !applyInPlace(dependency.schema, value, keyword: .key(name), detail: .key(dependency.name), into: &annotations) {
                valid = false
                if !continuesAfterFailure { return false }
            }
        }
        return valid
    }

    private mutating func applyPropertyNames(_ schema: NodeID, _ value: JSONValue) -> Bool {
        guard case .object(let members) = value else { return true }
        var valid = true
        for name in members.keys where !descend(schema, .string(name), at: .key(name), keyword: .key("propertyNames")) {
            valid = false
            if !continuesAfterFailure { return false }
        }
        return valid
    }

    private mutating func applyDynamicRef(
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

    private mutating func applyAllOf(_ branches: [NodeID], _ value: JSONValue, _ annotations: inout Annotations?) -> Bool {
        var valid = true
        for (position, branch) in branches.enumerated() where !applyInPlace(branch, value, keyword: .key("allOf"), detail: .index(position), into: &annotations) {
            valid = false
            if !continuesAfterFailure { return false }
        }
        return valid
    }

    private mutating func applyNot(_ schema: NodeID, _ value: JSONValue) -> Bool {
        let matched = silently { validator in
            var none: Annotations? = nil
            return validator.evaluate(schema, value, into: &none)
        }
        if matched {
            fail("not", "must not match the schema in not")
            return false
        }
        return true
    }

    private mutating func applyConditional(_ condition: NodeID, then: NodeID?, else otherwise: NodeID?, _ value: JSONValue, _ annotations: inout Annotations?) -> Bool {
        let holds = silently { $0.applyInPlace(condition, value, keyword: .key("if"), into: &annotations) }
        if holds, let then {
            return applyInPlace(then, value, keyword: .key("then"), into: &annotations)
        }
        if !holds, let otherwise {
            return applyInPlace(otherwise, value, keyword: .key("else"), into: &annotations)
        }
        return true
    }

    // MARK: Arrays

    private mutating func applyItems(_ rules: ItemRules, _ items: [JSONValue], _ annotations: inout Annotations?) -> Bool {
        var valid = true
        for (position, item) in items.enumerated() {
            let itemValid: Bool
            if position < rules.prefix.count {
                itemValid = descend(rules.prefix[position], item, at: .index(position), keyword: .key(rules.prefixKeyword), .index(position))
            } else if let rest = rules.rest {
                if program.nodes[rest].constant == false {
                    fail(rules.restKeyword, "must have at most \(rules.prefix.count) items, has \(items.count)")
                    return false
                }
                itemValid = descend(rest, item, at: .index(position), keyword: .key(rules.restKeyword))
            } else {
                break
            }
            if !itemValid {
                valid = false
                if !continuesAfterFailure { return false }
            }
        }
        if let previous = annotations?.evaluatedPrefix {
            annotations?.evaluatedPrefix = max(previous, min(items.count, rules.prefix.count))
        }
        if rules.rest != nil && items.count > rules.prefix.count { annotations?.allItems = true }
        return valid
    }

    private mutating func applyContains(_ schema: NodeID, minimum: Int, maximum: Int?, _ items: [JSONValue], _ annotations: inout Annotations?) -> Bool {
        var matches = 0
        for (position, item) in items.enumerated() {
            let matched = silently { $0.descend(schema, item, at: .index(position), keyword: .key("contains")) }
            if matched {
                matches += 1
                annotations?.containedItems.insert(position)
            }
            if annotations == nil, matches >= minimum, maximum == nil { break }
        }
        if matches < minimum {
            fail("contains", "must contain at least \(minimum) matching item\(minimum == 1 ? "" : "s"), found \(matches)")
            return false
        }
        if let maximum, matches > maximum {
            fail("contains", "must contain at most \(maximum) matching item\(maximum == 1 ? "" : "s"), found \(matches)")
            return false
        }
        return true
    }

    private mutating func applyUnevaluatedItems(_ schema: NodeID, _ items: [JSONValue], _ annotations: inout Annotations?) -> Bool {
        var valid = true
        for (position, item) in items.enumerated() where !(annotations?.isItemEvaluated(position) ?? false) {
            if program.nodes[schema].constant == false {
                instancePath.append(.index(position))
                fail("unevaluatedItems", "unexpected item (no keyword evaluated it)")
                instancePath.removeLast()
                valid = false
            } else if !descend(schema, item, at: .index(position), keyword: .key("unevaluatedItems")) {
                valid = false
            }
            if !valid && !continuesAfterFailure { return false }
        }
        if valid { annotations?.allItems = true }
        return valid
    }

    private static func firstDuplicate(_ items: [JSONValue]) -> (Int, Int)? {
        var seen: [JSONValue: Int] = [:]
        for (position, item) in items.enumerated() {
            if let earlier = seen.updateValue(position, forKey: item) { return (earlier, position) }
        }
        return nil
    }

    // MARK: Objects

    private mutating func applyMembers(_ rules: ObjectMembers, _ members: [String: JSONValue], _ annotations: inout Annotations?) -> Bool {
        var valid = true
        for (name, member) in members {
            var matched = false
            if let schema = rules.properties[name] {
                matched = true
                if !descend(schema, member, at: .key(name), keyword: .key("properties"), .key(name)) {
                    valid = false
                    if !continuesAfterFailure { return false }
                }
            }
            for (pattern, schema) in rules.patternProperties {
                switch pattern.match(name) {
                case .notMatched: continue
                case .matched: break
                case .timedOut:
                    instancePath.append(.key(name))
                    fail("patternProperties", pattern.timeoutMessage)
                    instancePath.removeLast()
                    valid = false
                    if !continuesAfterFailure { return false }
                    continue
                }
                matched = true
                if !descend(schema, member, at: .key(name), keyword: .key("patternProperties"), .key(pattern.source)) {
                    valid = false
                    if !continuesAfterFailure { return false }
                }
            }
            if !matched, let additional = rules.additionalProperties {
                matched = true
                if program.nodes[additional].constant == false {
                    instancePath.append(.key(name))
                    fail("additionalProperties", "unexpected member '\(name)'")
                    instancePath.removeLast()
                    valid = false
                } else if !descend(additional, member, at: .key(name), keyword: .key("additionalProperties")) {
                    valid = false
                }
                if !valid && !continuesAfterFailure { return false }
            }
            if matched { annotations?.properties.insert(name) }
        }
        return valid
    }

    private mutating func applyUnevaluatedProperties(_ schema: NodeID, _ members: [String: JSONValue], _ annotations: inout Annotations?) -> Bool {
        var valid = true
        var evaluatedNow: [String] = []
        for (name, member) in members where !(annotations?.properties.contains(name) ?? false) {
            if program.nodes[schema].constant == false {
                instancePath.append(.key(name))
                fail("unevaluatedProperties", "unexpected member '\(name)' (no keyword evaluated it)")
                instancePath.removeLast()
                valid = false
            } else if descend(schema, member, at: .key(name), keyword: .key("unevaluatedProperties")) {
                evaluatedNow.append(name)
            } else {
                valid = false
            }
            if !valid && !continuesAfterFailure { return false }
        }
        annotations?.properties.formUnion(evaluatedNow)
        return valid
    }

    private static func missingMessage(_ missing: [String]) -> String {
        missing.count == 1
            ? "missing required member '\(missing[0])'"
            : "missing required members " + missing.map { "'\($0)'" }.joined(separator: ", ")
    }

    // MARK: Combinators

    private mutating func applyAnyOf(_ branches: [NodeID], _ value: JSONValue, _ annotations: inout Annotations?) -> Bool {
        // Verdicts first, silently: building messages for branches that are allowed to fail would be wasted work.
        var matched = false
        for (position, branch) in branches.enumerated() {
            let branchMatched = silently { $0.applyInPlace(branch, value, keyword: .key("anyOf"), detail: .index(position), into: &annotations) }
            if branchMatched {
                matched = true
                // Every matching branch contributes annotations, so only stop early when nobody needs them.
                if annotations == nil { break }
            }
        }
        if matched { return true }
        fail("anyOf", "must match at least one of the \(branches.count) schemas in anyOf")
        explainClosestBranch(branches, value, keyword: "anyOf")
        return false
    }

    private mutating func applyOneOf(_ branches: [NodeID], _ value: JSONValue, _ annotations: inout Annotations?) -> Bool {
        var matched: [Int] = []
        var branchAnnotations: Annotations? = annotations == nil ? nil : Annotations()
        for (position, branch) in branches.enumerated() {
            let branchMatched = silently { $0.applyInPlace(branch, value, keyword: .key("oneOf"), detail: .index(position), into: &branchAnnotations) }
            if branchMatched {
                matched.append(position)
                if matched.count > 1 { break }
            }
        }
        if matched.isEmpty {
            fail("oneOf", "must match exactly one of the \(branches.count) schemas in oneOf, matched none")
            explainClosestBranch(branches, value, keyword: "oneOf")
            return false
        }
        if matched.count > 1 {
            fail("oneOf", "must match exactly one schema in oneOf, matched \(matched.count) (\(matched.map(String.init).joined(separator: ", ")))")
            return false
        }
        if let branchAnnotations { annotations?.merge(branchAnnotations) }
        return true
    }

    /// Records the errors of the failing branch that came closest, which explains best what is wrong.
    private mutating func explainClosestBranch(_ branches: [NodeID], _ value: JSONValue, keyword: String) {
        guard recording else { return }
        var closest: [ValidationError]?
        for (position, branch) in branches.enumerated() {
            let mark = errors.count
            var none: Annotations? = nil
            _ = applyInPlace(branch, value, keyword: .key(keyword), detail: .index(position), into: &none)
            let failures = Array(errors[mark...])
            errors.removeSubrange(mark...)
            if closest == nil || Self.fitsBetter(failures, than: closest!) { closest = failures }
        }
        errors.append(contentsOf: closest ?? [])
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
}

/// One step of an instance or keyword path, rendered to a JSON Pointer only when an error needs it.
enum PathComponent {
    case key(String)
    case index(Int)

    static func render(_ components: [PathComponent]) -> String {
        var pointer = ""
        for component in components {
            pointer.append("/")
            switch component {
            case .key(let key): pointer.append(JSONPointer.escape(key))
            case .index(let index): pointer.append(String(index))
            }
        }
        return pointer
    }
}
