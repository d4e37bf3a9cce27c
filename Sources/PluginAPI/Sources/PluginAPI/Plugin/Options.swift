import Foundation

/// A typed option value, after parsing and validation.
public enum OptionValue: Sendable, Equatable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case string(String)
    case bool(Bool)

    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return formatNumber(v)
        case .string(let v): return v
        case .bool(let v): return v ? "true" : "false"
        }
    }
}

/// What values an option accepts.
public enum OptionKind: Sendable, Equatable {
    /// A whole number in `min...max` (either bound may be absent).
    case int(min: Int?, max: Int?)
    /// A real number; `min` is exclusive when `minExclusive` is true (for rates that must be > 0).
    case double(min: Double?, max: Double?, minExclusive: Bool)
    /// One of a fixed list of words.
    case choice([String])
    /// Free text.
    case string
    /// A file or folder path.
    case path
    /// A switch: present means true; `--name false` and `--no-name` also work.
    case flag
}

/// An option an experiment accepts, declared by the plugin and parsed by the host.
public struct OptionSpec: Sendable {
    public var name: String
    public var kind: OptionKind
    /// The value used when the user gives none; `nil` means the option is optional and absent.
    public var defaultValue: OptionValue?
    public var help: String

    public init(name: String, kind: OptionKind, defaultValue: OptionValue?, help: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.help = help
    }

    /// An integer option, e.g. `.int("d", default: 30, range: 1...64, help: "input dimension")`.
    public static func int(_ name: String, default value: Int, range: ClosedRange<Int>? = nil, help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .int(min: range?.lowerBound, max: range?.upperBound), defaultValue: .int(value), help: help)
    }

    /// An integer option with only a lower bound.
    public static func int(_ name: String, default value: Int, atLeast min: Int, help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .int(min: min, max: nil), defaultValue: .int(value), help: help)
    }

    /// A real option; `positive: true` requires a value > 0.
    public static func double(_ name: String, default value: Double, min: Double? = nil, max: Double? = nil,
                              positive: Bool = false, help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .double(min: positive ? 0 : min, max: max, minExclusive: positive),
                   defaultValue: .double(value), help: help)
    }

    /// One of a fixed list of words.
    public static func choice(_ name: String, _ choices: [String], default value: String, help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .choice(choices), defaultValue: .string(value), help: help)
    }

    /// A switch, false unless given.
    public static func flag(_ name: String, help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .flag, defaultValue: .bool(false), help: help)
    }

    /// An optional path, absent unless given.
    public static func path(_ name: String, help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .path, defaultValue: nil, help: help)
    }

    /// Free text with a default.
    public static func string(_ name: String, default value: String, help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .string, defaultValue: .string(value), help: help)
    }

    /// The type and allowed values in words, for help text and errors: "integer in 1...64".
    public var allowedDescription: String {
        switch kind {
        case .int(let lo, let hi):
            switch (lo, hi) {
            case let (lo?, hi?): return "integer in \(lo)...\(hi)"
            case let (lo?, nil): return "integer >= \(lo)"
            case let (nil, hi?): return "integer <= \(hi)"
            default: return "integer"
            }
        case .double(let lo, let hi, let exclusive):
            let low = lo.map { (exclusive ? "> " : ">= ") + formatNumber($0) }
            let high = hi.map { "<= " + formatNumber($0) }
            let bounds = [low, high].compactMap { $0 }
            return bounds.isEmpty ? "number" : "number " + bounds.joined(separator: " and ")
        case .choice(let words): return "one of " + words.joined(separator: ", ")
        case .string: return "text"
        case .path: return "path"
        case .flag: return "switch (true/false)"
        }
    }

    /// The name of the type alone: "int", "number", "choice", "text", "path", "flag".
    public var typeName: String {
        switch kind {
        case .int: return "int"
        case .double: return "number"
        case .choice: return "choice"
        case .string: return "text"
        case .path: return "path"
        case .flag: return "flag"
        }
    }

    /// Parses and validates the text a user typed for this option.
    /// The error message names the option and says what is allowed.
    public func parse(_ text: String) -> Result<OptionValue, OptionError> {
        let reject = { (what: String) in
            Result<OptionValue, OptionError>.failure(OptionError(option: name,
                message: "--\(name): \(what); expected \(allowedDescription)"))
        }
        switch kind {
        case .int(let lo, let hi):
            guard let v = Int(text.trimmingSpaces) else { return reject("'\(text)' is not a whole number") }
            if let lo, v < lo { return reject("\(v) is too small") }
            if let hi, v > hi { return reject("\(v) is too large") }
            return .success(.int(v))
        case .double(let lo, let hi, let exclusive):
            guard let v = Double(text.trimmingSpaces), v.isFinite else { return reject("'\(text)' is not a finite number") }
            if let lo, exclusive ? v <= lo : v < lo { return reject("\(formatNumber(v)) is too small") }
            if let hi, v > hi { return reject("\(formatNumber(v)) is too large") }
            return .success(.double(v))
        case .choice(let words):
            guard words.contains(text) else { return reject("'\(text)' is not allowed") }
            return .success(.string(text))
        case .string:
            return .success(.string(text))
        case .path:
            guard !text.isEmpty else { return reject("the path is empty") }
            return .success(.string(text))
        case .flag:
            switch text.lowercased() {
            case "true", "yes", "1", "on": return .success(.bool(true))
            case "false", "no", "0", "off": return .success(.bool(false))
            default: return reject("'\(text)' is not true or false")
            }
        }
    }
}

/// A bad option value, with a message that names the option and what it allows.
public struct OptionError: Error, Equatable, CustomStringConvertible {
    public var option: String
    public var message: String
    public var description: String { message }

    public init(option: String, message: String) {
        self.option = option
        self.message = message
    }
}

/// The resolved options of a run: every declared option, with the user's value or the default.
public struct OptionValues: Sendable {
    public private(set) var values: [String: OptionValue]

    public init(_ values: [String: OptionValue]) {
        self.values = values
    }

    private func lookup(_ name: String) throws -> OptionValue {
        guard let value = values[name] else {
            throw PluginError.failure("the plugin asked for option --\(name), which the experiment does not declare or which has no value",
                                      hint: "declare it in the experiment's options with a default")
        }
        return value
    }

    /// The value of an integer option.
    public func int(_ name: String) throws -> Int {
        if case .int(let v) = try lookup(name) { return v }
        throw PluginError.failure("option --\(name) is not an integer option", hint: "read it with the getter of its declared type")
    }

    /// The value of a real option (an integer option is widened).
    public func double(_ name: String) throws -> Double {
        switch try lookup(name) {
        case .double(let v): return v
        case .int(let v): return Double(v)
        default: throw PluginError.failure("option --\(name) is not a number option", hint: "read it with the getter of its declared type")
        }
    }

    /// The value of a text, choice or path option.
    public func string(_ name: String) throws -> String {
        if case .string(let v) = try lookup(name) { return v }
        throw PluginError.failure("option --\(name) is not a text option", hint: "read it with the getter of its declared type")
    }

    /// The value of a flag.
    public func bool(_ name: String) throws -> Bool {
        if case .bool(let v) = try lookup(name) { return v }
        throw PluginError.failure("option --\(name) is not a flag", hint: "read it with the getter of its declared type")
    }

    /// An optional path or text option: `nil` when the user gave none.
    public func optionalString(_ name: String) -> String? {
        if case .string(let v)? = values[name] { return v }
        return nil
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

extension OptionValues {
    /// A text option holding comma-separated positive, finite numbers ("1,2,4"; empty text: none).
    /// The error names the option and the part that is not such a number.
    public func positiveNumbers(_ name: String, example: String) throws -> [Double] {
        try string(name).split(separator: ",").map { raw in
            let part = String(raw).trimmingSpaces
            guard let v = Double(part), v > 0, v.isFinite else {
                throw PluginError.invalidInput("--\(name): '\(part)' is not a positive number",
                                               hint: "give comma-separated positive numbers, for example --\(name) \(example)")
            }
            return v
        }
    }
}

/// "value (expected e)", for results printed beside what theory predicts.
public func formatNumber(_ value: Double, expected: Double) -> String {
    "\(formatNumber(value)) (expected \(formatNumber(expected)))"
}

/// Formats a number compactly for people: integers without ".0", others with up to 6
/// significant digits, very large or small ones in exponent form.
public func formatNumber(_ v: Double) -> String {
    if v.isNaN { return "nan" }
    if v.isInfinite { return v > 0 ? "inf" : "-inf" }
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    let magnitude = abs(v)
    if magnitude >= 1e-4 && magnitude < 1e6 {
        var s = String(format: "%.6g", v)
        if s.contains("e") { return s }
        while s.contains(".") && (s.hasSuffix("0")) { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
    return String(format: "%.4e", v)
}
