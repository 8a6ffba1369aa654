import JSON

extension Validator {

    mutating func applyDependentSchemas(_ dependencies: [(name: String, schema: NodeID)], keyword name: String, _ value: JSONValue, _ annotations: inout Annotations?) -> Bool {
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

    mutating func applyPropertyNames(_ schema: NodeID, _ value: JSONValue) -> Bool {
        guard case .object(let members) = value else { return true }
        var valid = true
        for name in members.keys where !descend(schema, .string(name), at: .key(name), keyword: .key("propertyNames")) {
            valid = false
            if !continuesAfterFailure { return false }
        }
        return valid
    }


    mutating func applyMembers(_ rules: ObjectMembers, _ members: [String: JSONValue], _ annotations: inout Annotations?) -> Bool {
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

    mutating func applyUnevaluatedProperties(_ schema: NodeID, _ members: [String: JSONValue], _ annotations: inout Annotations?) -> Bool {
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
}
