/// An experiment's options as typed fields of one struct, each declared once: its name, bounds
/// and help in `fields`, its type and default in the struct's stored property.
///
/// ```swift
/// struct FitSettings: ExperimentSettings {
///     var steps = 200
///     var lr: Float = 0.1
///     var optimizer = Optimizer.sgd
///     enum Optimizer: String, CaseIterable { case sgd, adam }
///
///     static let fields: [SettingField<FitSettings>] = [
///         .int("steps", \.steps, range: 1...100_000, help: "gradient steps"),
///         .double("lr", \.lr, positive: true, help: "learning rate"),
///         .choice("optimizer", \.optimizer, help: "the update rule"),
///     ]
/// }
///
/// Experiment(name: "train", summary: "...", settings: FitSettings.self) { context, settings in
///     for step in 1...settings.steps { ... }
/// }
/// ```
///
/// The host shows and validates the options from these declarations (defaults from
/// `Self()`), and the experiment receives the struct filled in: no option name is written twice
/// and nothing is parsed by hand.
public protocol ExperimentSettings {
    /// The defaults.
    init()
    /// One declaration per option, in the order `host help` lists them.
    static var fields: [SettingField<Self>] { get }
}

extension ExperimentSettings {
    /// The options as the host declares them, with `Self()`'s values as defaults.
    public static var optionSpecs: [OptionSpec] {
        let defaults = Self()
        return fields.map { $0.spec(defaults) }
    }

    /// The settings the parsed `options` give (the host has validated them against
    /// `optionSpecs`).
    public init(_ options: OptionValues) throws {
        self.init()
        for field in Self.fields { try field.assign(options, &self) }
    }
}

/// One option of an `ExperimentSettings` type: how it is declared, from the defaults, and how
/// its parsed value is stored into the field at `keyPath`.
public struct SettingField<Settings>: Sendable {
    /// The option's name.
    public let name: String
    let spec: @Sendable (Settings) -> OptionSpec
    let assign: @Sendable (OptionValues, inout Settings) throws -> Void

    init(name: String, spec: @escaping @Sendable (Settings) -> OptionSpec,
         assign: @escaping @Sendable (OptionValues, inout Settings) throws -> Void) {
        (self.name, self.spec, self.assign) = (name, spec, assign)
    }

    /// An integer option in `range` (either bound may be open: `1...` is written `atLeast: 1`).
    public static func int(_ name: String, _ keyPath: WritableKeyPath<Settings, Int>, range: ClosedRange<Int>? = nil,
                           help: String) -> SettingField {
        SettingField(name: name, spec: { .int(name, default: $0[keyPath: keyPath], range: range, help: help) },
                     assign: { options, settings in settings[keyPath: keyPath] = try options.int(name) })
    }

    /// An integer option with only a lower bound.
    public static func int(_ name: String, _ keyPath: WritableKeyPath<Settings, Int>, atLeast minimum: Int, help: String) -> SettingField {
        SettingField(name: name, spec: { .int(name, default: $0[keyPath: keyPath], atLeast: minimum, help: help) },
                     assign: { options, settings in settings[keyPath: keyPath] = try options.int(name) })
    }

    /// A real option stored as a Double; `positive: true` requires a value > 0.
    public static func double(_ name: String, _ keyPath: WritableKeyPath<Settings, Double>, min: Double? = nil, max: Double? = nil,
                              positive: Bool = false, help: String) -> SettingField {
        SettingField(name: name, spec: { .double(name, default: $0[keyPath: keyPath], min: min, max: max, positive: positive, help: help) },
                     assign: { options, settings in settings[keyPath: keyPath] = try options.double(name) })
    }

    /// A real option stored as a Float (the engine's scalars: learning rates, momenta); parsed
    /// and range-checked as a Double, then rounded to the nearest Float.
    public static func double(_ name: String, _ keyPath: WritableKeyPath<Settings, Float>, min: Double? = nil, max: Double? = nil,
                              positive: Bool = false, help: String) -> SettingField {
        // The default as the Float's shortest decimal (0.001, not 0.0010000000474974513), as a user would type it.
        SettingField(name: name, spec: { .double(name, default: Double("\($0[keyPath: keyPath])") ?? Double($0[keyPath: keyPath]),
                                                 min: min, max: max, positive: positive, help: help) },
                     assign: { options, settings in settings[keyPath: keyPath] = Float(try options.double(name)) })
    }

    /// One of the cases of a string enum, named by their raw values.
    public static func choice<Choice: CaseIterable & RawRepresentable>(_ name: String, _ keyPath: WritableKeyPath<Settings, Choice>,
                                                                       help: String) -> SettingField where Choice.RawValue == String {
        SettingField(name: name, spec: { .choice(name, Choice.allCases.map(\.rawValue), default: $0[keyPath: keyPath].rawValue, help: help) },
                     assign: { options, settings in
                         let word = try options.string(name)
                         guard let value = Choice(rawValue: word) else {
                             throw PluginError.failure("option --\(name) has the value '\(word)', which is not a case of \(Choice.self)",
                                                       hint: "the host validates choices; this is a bug in the plugin's declaration")
                         }
                         settings[keyPath: keyPath] = value
                     })
    }

    /// A switch: `--name` sets it, `--no-name` or `--name false` clears it; unset, the field's default.
    public static func flag(_ name: String, _ keyPath: WritableKeyPath<Settings, Bool>, help: String) -> SettingField {
        SettingField(name: name, spec: { OptionSpec(name: name, kind: .flag, defaultValue: .bool($0[keyPath: keyPath]), help: help) },
                     assign: { options, settings in settings[keyPath: keyPath] = try options.bool(name) })
    }

    /// A file or folder path: the field's default (usually nil, "not given") unless given.
    public static func path(_ name: String, _ keyPath: WritableKeyPath<Settings, String?>, help: String) -> SettingField {
        SettingField(name: name, spec: { OptionSpec(name: name, kind: .path, defaultValue: $0[keyPath: keyPath].map { .string($0) }, help: help) },
                     assign: { options, settings in settings[keyPath: keyPath] = options.optionalString(name) })
    }

    /// Free text.
    public static func string(_ name: String, _ keyPath: WritableKeyPath<Settings, String>, help: String) -> SettingField {
        SettingField(name: name, spec: { .string(name, default: $0[keyPath: keyPath], help: help) },
                     assign: { options, settings in settings[keyPath: keyPath] = try options.string(name) })
    }

    /// Comma-separated reals (`--sigmas 1,2,4`; an empty list is `--sigmas ""`).
    public static func numbers(_ name: String, _ keyPath: WritableKeyPath<Settings, [Double]>, min: Double? = nil, max: Double? = nil,
                               positive: Bool = false, help: String) -> SettingField {
        SettingField(name: name, spec: { .numbers(name, default: $0[keyPath: keyPath], min: min, max: max, positive: positive, help: help) },
                     assign: { options, settings in settings[keyPath: keyPath] = try options.numbers(name) })
    }

    /// Comma-separated whole numbers, each in `range`.
    public static func integers(_ name: String, _ keyPath: WritableKeyPath<Settings, [Int]>, range: ClosedRange<Int>? = nil,
                                help: String) -> SettingField {
        SettingField(name: name, spec: { .integers(name, default: $0[keyPath: keyPath], range: range, help: help) },
                     assign: { options, settings in settings[keyPath: keyPath] = try options.integers(name) })
    }
}

extension SettingField {
    /// Another settings type's fields, stored in this one's field at `keyPath`: experiments that
    /// share options hold the shared settings as one field and list its fields here, keeping or
    /// dropping some (`fields + SettingField.nested(\.training, TrainSettings.fields.filter { $0.name != "d" })`).
    public static func nested<Inner>(_ keyPath: WritableKeyPath<Settings, Inner>, _ fields: [SettingField<Inner>]) -> [SettingField] {
        fields.map { inner in
            SettingField(name: inner.name, spec: { inner.spec($0[keyPath: keyPath]) },
                         assign: { options, settings in try inner.assign(options, &settings[keyPath: keyPath]) })
        }
    }
}

extension Experiment {
    /// An experiment whose options are the typed fields of `settings`: the host declares and
    /// validates them from `Settings.fields`, and `train` (and `evaluate`) receive them filled
    /// in. `grid` declares it a named grid of another experiment's runs (`ExperimentGrid`).
    public init<Settings: ExperimentSettings>(name: String, summary: String, settings: Settings.Type, metrics: [MetricSpec] = [],
                                              grid: ExperimentGrid? = nil,
                                              train: ((RunContext, Settings) throws -> Void)? = nil,
                                              evaluate: ((RunContext, Settings, _ checkpoint: String) throws -> Void)? = nil) {
        self.init(name: name, summary: summary, options: Settings.optionSpecs, metrics: metrics, grid: grid,
                  train: train.map { train in { context in try train(context, try Settings(context.options)) } },
                  evaluate: evaluate.map { evaluate in { context, checkpoint in try evaluate(context, try Settings(context.options), checkpoint) } })
    }
}
