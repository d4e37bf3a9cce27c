import Foundation

/// One element of an SVG document, or a run of character data (`name` empty, `text` set).
struct SVGNode {
    var name: String
    var attributes: [String: String] = [:]
    var children: [SVGNode] = []
    var text: String = ""

    /// The text of this node and its descendants, in document order.
    var allText: String {
        name.isEmpty ? text : children.map(\.allText).joined()
    }
}

/// A forgiving reader for the XML our plots write: elements, attributes (quoted or not),
/// character data with the predefined and numeric entities, CDATA; comments, processing
/// instructions and DOCTYPE are skipped. It never fails: a truncated document yields the
/// elements read so far, stray end tags are ignored, and elements nested deeper than
/// `maxDepth` are dropped with their content.
enum SVGReader {
    static let maxDepth = 200

    /// The document's elements under a root node named "" (normally one child, `svg`).
    static func parse(_ text: String) -> SVGNode {
        let b = Array(text.utf8)
        let n = b.count
        var stack: [SVGNode] = [SVGNode(name: "")]
        var skipping = 0          // depth of elements being dropped below maxDepth
        var i = 0

        func starts(_ s: StaticString, at k: Int) -> Bool {
            let count = s.utf8CodeUnitCount
            guard k + count <= n else { return false }
            return s.withUTF8Buffer { u in
                for j in 0..<count where b[k + j] != u[j] { return false }
                return true
            }
        }
        func find(_ s: StaticString, from k: Int) -> Int? {
            var j = k
            while j < n { if starts(s, at: j) { return j }; j += 1 }
            return nil
        }
        func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }
        func isNameEnd(_ c: UInt8) -> Bool { isSpace(c) || c == 62 || c == 47 || c == 61 }  // space > / =
        func closeTop() {
            guard stack.count > 1 else { return }
            let child = stack.removeLast()
            stack[stack.count - 1].children.append(child)
        }
        func addText(_ s: String) {
            guard skipping == 0, !s.isEmpty else { return }
            let parent = stack[stack.count - 1].name
            if parent != "text" && parent != "tspan" && s.allSatisfy({ $0.isWhitespace }) { return }
            stack[stack.count - 1].children.append(SVGNode(name: "", text: s))
        }

        while i < n {
            guard b[i] == 60 else {   // "<"
                var j = i
                while j < n, b[j] != 60 { j += 1 }
                addText(decodeEntities(String(decoding: b[i..<j], as: UTF8.self)))
                i = j
                continue
            }
            if starts("<!--", at: i) {
                i = (find("-->", from: i + 4) ?? n) + 3
            } else if starts("<![CDATA[", at: i) {
                let end = find("]]>", from: i + 9) ?? n
                addText(String(decoding: b[(i + 9)..<end], as: UTF8.self))
                i = end + 3
            } else if starts("<?", at: i) {
                i = (find("?>", from: i + 2) ?? n) + 2
            } else if starts("<!", at: i) {
                i = (find(">", from: i + 2) ?? n) + 1
            } else if starts("</", at: i) {
                var j = i + 2
                while j < n, !isNameEnd(b[j]) { j += 1 }
                let name = String(decoding: b[(i + 2)..<j], as: UTF8.self)
                i = (find(">", from: j) ?? n) + 1
                if skipping > 0 { skipping -= 1; continue }
                // Close up to the matching open element; an unmatched end tag is ignored.
                if let k = stack.lastIndex(where: { $0.name == name }), k > 0 {
                    while stack.count > k { closeTop() }
                }
            } else {
                var j = i + 1
                while j < n, !isNameEnd(b[j]) { j += 1 }
                let name = String(decoding: b[(i + 1)..<j], as: UTF8.self)
                var attributes: [String: String] = [:]
                var selfClosing = false
                // Attributes until ">" or "/>".
                while j < n {
                    while j < n, isSpace(b[j]) { j += 1 }
                    guard j < n else { break }
                    if b[j] == 62 { j += 1; break }
                    if b[j] == 47 {
                        if j + 1 < n, b[j + 1] == 62 { selfClosing = true; j += 2; break }
                        j += 1; continue
                    }
                    let nameStart = j
                    while j < n, !isNameEnd(b[j]) { j += 1 }
                    let key = String(decoding: b[nameStart..<j], as: UTF8.self)
                    while j < n, isSpace(b[j]) { j += 1 }
                    var value = ""
                    if j < n, b[j] == 61 {   // "="
                        j += 1
                        while j < n, isSpace(b[j]) { j += 1 }
                        if j < n, b[j] == 34 || b[j] == 39 {
                            let quote = b[j]
                            let start = j + 1
                            j = start
                            while j < n, b[j] != quote { j += 1 }
                            value = String(decoding: b[start..<min(j, n)], as: UTF8.self)
                            j += 1
                        } else {
                            let start = j
                            while j < n, !isSpace(b[j]), b[j] != 62 { j += 1 }
                            value = String(decoding: b[start..<j], as: UTF8.self)
                        }
                    } else if j == nameStart {
                        j += 1   // a stray character: step over it
                        continue
                    }
                    if !key.isEmpty { attributes[key] = decodeEntities(value) }
                }
                i = j
                if name.isEmpty { continue }
                if skipping > 0 || stack.count > maxDepth {
                    if !selfClosing { skipping += 1 }
                    continue
                }
                stack.append(SVGNode(name: name, attributes: attributes))
                if selfClosing { closeTop() }
            }
        }
        while stack.count > 1 { closeTop() }
        return stack[0]
    }

    /// Replaces &amp; &lt; &gt; &quot; &apos; and &#N; / &#xN; (unknown entities are kept).
    static func decodeEntities(_ s: String) -> String {
        guard s.contains("&") else { return s }
        var out = ""
        var rest = Substring(s)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            guard let semi = after.prefix(12).firstIndex(of: ";") else {
                out += "&"; rest = after; continue
            }
            let name = after[..<semi]
            var replacement: String?
            switch name {
            case "amp": replacement = "&"
            case "lt": replacement = "<"
            case "gt": replacement = ">"
            case "quot": replacement = "\""
            case "apos": replacement = "'"
            default:
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    replacement = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                } else if name.hasPrefix("#") {
                    replacement = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                }
            }
            if let replacement {
                out += replacement
                rest = after[after.index(after: semi)...]
            } else {
                out += "&"; rest = after
            }
        }
        out += rest
        return out
    }
}
