extension JSONWriter {
    /// Writes one object member by member: `writer.appendObject { $0.string("id", id) }`.
    ///
    /// Members are written in the order given; callers list them sorted by key to keep output canonical.
    public mutating func appendObject(_ body: (inout JSONObjectWriter) -> Void) {
        // Move the buffer into the member writer and back, so it is never shared and never copied.
        var object = JSONObjectWriter(writer: self)
        self = JSONWriter(reservingCapacity: 0)
        object.writer.appendASCII("{")
        body(&object)
        object.writer.appendASCII("}")
        self = object.writer
    }

    /// Writes an array whose elements `body` appends one by one with `element`.
    public mutating func appendArray<Element>(_ elements: some Sequence<Element>, _ body: (inout JSONWriter, Element) -> Void) {
        appendASCII("[")
        var first = true
        for element in elements {
            if !first { appendASCII(",") }
            first = false
            body(&self, element)
        }
        appendASCII("]")
    }
}

/// The member-by-member view of a `JSONWriter` inside `appendObject`.
public struct JSONObjectWriter {
    var writer: JSONWriter
    private var count = 0

    init(writer: JSONWriter) {
        self.writer = writer
    }

    /// Writes the member name; the caller writes the value through `value`.
    public mutating func member(_ name: String, _ value: (inout JSONWriter) -> Void) {
        if count > 0 { writer.appendASCII(",") }
        count += 1
        writer.appendKey(name)
        value(&writer)
    }

    public mutating func string(_ name: String, _ value: String) {
        member(name) { $0.append(value) }
    }

    /// A string member, or `null` when there is no value.
    public mutating func optionalString(_ name: String, _ value: String?) {
        member(name) { writer in
            if let value { writer.append(value) } else { writer.appendASCII("null") }
        }
    }

    public mutating func integer(_ name: String, _ value: Int64) {
        member(name) { $0.append(.integer(value)) }
    }

    /// A member whose value is already serialized JSON.
    public mutating func raw(_ name: String, _ json: String) {
        member(name) { $0.appendRaw(json) }
    }
}
