import Foundation

/// A typed option value, after parsing and validation.
public enum OptionValue: Sendable, Equatable, CustomStringConvertible {
    /// The value of an `int` option.
    case int(Int)
    /// The value of a `double` option.
    case double(Double)
    /// The value of a `choice`, `string` or `path` option.
    case string(String)
    /// The value of a `flag`.
    case bool(Bool)
    /// A comma-separated list of numbers (`--sigmas 1,2,4`); empty text gives none.
    case numbers([Double])
    /// A comma-separated list of whole numbers (`--ds 5,10,30`); empty text gives none.
    case integers([Int])

    /// The value as a user would type it: `3`, `0.5`, `true`, `1,2,4` (numbers as `formatNumber` writes them).
    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return formatNumber(v)
        case .string(let v): return v
        case .bool(let v): return v ? "true" : "false"
        case .numbers(let v): return v.map(formatNumber).joined(separator: ",")
        case .integers(let v): return v.map(String.init).joined(separator: ",")
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
    /// Comma-separated reals, each within the bounds of `double`.
    case numbers(min: Double?, max: Double?, minExclusive: Bool)
    /// Comma-separated whole numbers, each in `min...max`.
    case integers(min: Int?, max: Int?)
}

/// An option an experiment accepts, declared by the plugin and parsed by the host.
public struct OptionSpec: Sendable {
    /// The name without dashes: the user types `--name`.
    public var name: String
    /// What values the option accepts, which decides how its text is parsed and checked.
    public var kind: OptionKind
    /// The value used when the user gives none; `nil` means the option is optional and absent.
    public var defaultValue: OptionValue?
    /// One line on what the option does, for `host help`.
    public var help: String

    /// An option of any kind. The static constructors (`.int`, `.double`, `.flag`, ...) are shorter
    /// and give a default of the kind's type; this one does not check that `defaultValue` fits `kind`.
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

    /// Comma-separated reals, e.g. `.numbers("sigmas", default: [1, 2, 4], positive: true, help: "RBF widths")`;
    /// read with `options.numbers("sigmas")`. The user may give an empty list (`--sigmas ""`).
    public static func numbers(_ name: String, default value: [Double], min: Double? = nil, max: Double? = nil,
                               positive: Bool = false, help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .numbers(min: positive ? 0 : min, max: max, minExclusive: positive), defaultValue: .numbers(value), help: help)
    }

    /// Comma-separated whole numbers, e.g. `.integers("ds", default: [5, 10, 30], range: 2...64, help: "dimensions")`;
    /// read with `options.integers("ds")`.
    public static func integers(_ name: String, default value: [Int], range: ClosedRange<Int>? = nil, help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .integers(min: range?.lowerBound, max: range?.upperBound), defaultValue: .integers(value), help: help)
    }

    /// Free text with a default.
    public static func string(_ name: String, default value: String, help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .string, defaultValue: .string(value), help: help)
    }

    /// The type and allowed values in words, for help text and errors: "integer in 1...64".
    public var allowedDescription: String {
        switch kind {
        case .int(let lo, let hi): return Self.integerBounds("integer", lo, hi)
        case .double(let lo, let hi, let exclusive): return Self.numberBounds("number", lo, hi, exclusive)
        case .numbers(let lo, let hi, let exclusive): return "comma-separated " + Self.numberBounds("numbers", lo, hi, exclusive)
        case .integers(let lo, let hi): return "comma-separated " + Self.integerBounds("integers", lo, hi)
        case .choice(let words): return "one of " + words.joined(separator: ", ")
        case .string: return "text"
        case .path: return "path"
        case .flag: return "switch (true/false)"
        }
    }

    private static func integerBounds(_ noun: String, _ lo: Int?, _ hi: Int?) -> String {
        switch (lo, hi) {
        case let (lo?, hi?): return "\(noun) in \(lo)...\(hi)"
        case let (lo?, nil): return "\(noun) >= \(lo)"
        case let (nil, hi?): return "\(noun) <= \(hi)"
        default: return noun
        }
    }

    private static func numberBounds(_ noun: String, _ lo: Double?, _ hi: Double?, _ exclusive: Bool) -> String {
        let low = lo.map { (exclusive ? "> " : ">= ") + formatNumber($0) }
        let high = hi.map { "<= " + formatNumber($0) }
        let bounds = [low, high].compactMap { $0 }
        return bounds.isEmpty ? noun : noun + " " + bounds.joined(separator: " and ")
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
        case .numbers: return "numbers"
        case .integers: return "integers"
        }
    }

    /// Parses and validates the text a user typed for this option.
    /// The error message names the option and says what is allowed.
    public func parse(_ text: String) -> Result<OptionValue, OptionError> {
        let reject = { (what: String) in
            Result<OptionValue, OptionError>.failure(OptionError(option: name,
                message: "--\(name): \(what); expected \(allowedDescription)"))
        }
        // One number, checked against the bounds: the value, or the problem in words.
        struct Why: Error { var text: String }
        func integer(_ text: String, _ lo: Int?, _ hi: Int?) -> Result<Int, Why> {
            guard let v = Int(text.trimmingSpaces) else { return .failure(Why(text: "'\(text)' is not a whole number")) }
            if let lo, v < lo { return .failure(Why(text: "\(v) is too small")) }
            if let hi, v > hi { return .failure(Why(text: "\(v) is too large")) }
            return .success(v)
        }
        func real(_ text: String, _ lo: Double?, _ hi: Double?, _ exclusive: Bool) -> Result<Double, Why> {
            guard let v = Double(text.trimmingSpaces), v.isFinite else { return .failure(Why(text: "'\(text)' is not a finite number")) }
            if let lo, exclusive ? v <= lo : v < lo { return .failure(Why(text: "\(formatNumber(v)) is too small")) }
            if let hi, v > hi { return .failure(Why(text: "\(formatNumber(v)) is too large")) }
            return .success(v)
        }
        let parts = text.trimmingSpaces.isEmpty ? [] : text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        switch kind {
        case .int(let lo, let hi):
            switch integer(text, lo, hi) { case .success(let v): return .success(.int(v)); case .failure(let why): return reject(why.text) }
        case .double(let lo, let hi, let exclusive):
            switch real(text, lo, hi, exclusive) { case .success(let v): return .success(.double(v)); case .failure(let why): return reject(why.text) }
        case .integers(let lo, let hi):
            var values: [Int] = []
            for part in parts {
                switch integer(part, lo, hi) { case .success(let v): values.append(v); case .failure(let why): return reject(why.text) }
            }
            return .success(.integers(values))
        case .numbers(let lo, let hi, let exclusive):
            var values: [Double] = []
            for part in parts {
                switch real(part, lo, hi, exclusive) { case .success(let v): values.append(v); case .failure(let why): return reject(why.text) }
            }
            return .success(.numbers(values))
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
    /// The option's name, without dashes.
    public var option: String
    /// The whole message, starting with `--name:`: what is wrong and what is allowed.
    public var message: String
    /// The message.
    public var description: String { message }

    /// An error about `option`; `message` is shown to the user as it is.
    public init(option: String, message: String) {
        self.option = option
        self.message = message
    }
}

/// The resolved options of a run: every declared option, with the user's value or the default.
public struct OptionValues: Sendable {
    /// Every option's value by name (without dashes); an optional option the user did not give has no entry.
    public private(set) var values: [String: OptionValue]

    /// The values by option name, as the host resolves them (tests make their own).
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

    /// The values of a `numbers` option (an `integers` option is widened).
    public func numbers(_ name: String) throws -> [Double] {
        switch try lookup(name) {
        case .numbers(let v): return v
        case .integers(let v): return v.map(Double.init)
        default: throw PluginError.failure("option --\(name) is not a list of numbers", hint: "read it with the getter of its declared type")
        }
    }

    /// The values of an `integers` option.
    public func integers(_ name: String) throws -> [Int] {
        if case .integers(let v) = try lookup(name) { return v }
        throw PluginError.failure("option --\(name) is not a list of integers", hint: "read it with the getter of its declared type")
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
