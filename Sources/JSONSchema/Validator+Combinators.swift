import JSON

extension Validator {
    mutating func applyAllOf(_ branches: [NodeID], _ value: JSONValue, _ annotations: inout Annotations?) -> Bool {
        var valid = true
        for (position, branch) in branches.enumerated() where !applyInPlace(branch, value, keyword: .key("allOf"), detail: .index(position), into: &annotations) {
            valid = false
            if !continuesAfterFailure { return false }
        }
        return valid
    }

    mutating func applyNot(_ schema: NodeID, _ value: JSONValue) -> Bool {
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

    mutating func applyConditional(_ condition: NodeID, then: NodeID?, else otherwise: NodeID?, _ value: JSONValue, _ annotations: inout Annotations?) -> Bool {
        let holds = silently { $0.applyInPlace(condition, value, keyword: .key("if"), into: &annotations) }
        if holds, let then {
            return applyInPlace(then, value, keyword: .key("then"), into: &annotations)
        }
        if !holds, let otherwise {
            return applyInPlace(otherwise, value, keyword: .key("else"), into: &annotations)
        }
        return true
    }


    mutating func applyAnyOf(_ branches: [NodeID], _ value: JSONValue, _ annotations: inout Annotations?) -> Bool {
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

    mutating func applyOneOf(_ branches: [NodeID], _ value: JSONValue, _ annotations: inout Annotations?) -> Bool {
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
    mutating func explainClosestBranch(_ branches: [NodeID], _ value: JSONValue, keyword: String) {
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
}
