import Foundation
import PluginAPI
import XCTest

/// Typed settings: one struct declares an experiment's options (`ExperimentSettings`); the
/// host's declarations and the values an experiment receives both come from it.
final class SettingsTests: XCTestCase {
    enum Norm: String, CaseIterable { case batch, layer }

    struct Every: ExperimentSettings {
        var steps = 200
        var warmup = 3
        var lr: Float = 0.1
        var decay = 0.5
        var norm = Norm.batch
        var quiet = false
        var weights: String? = nil
        var label = "run"
        var sigmas: [Double] = [1, 2]
        var ds = [5, 10]
        static let fields: [SettingField<Every>] = [
            .int("steps", \.steps, range: 1...1000, help: "steps"),
            .int("warmup", \.warmup, atLeast: 0, help: "warm-up steps"),
            .double("lr", \.lr, positive: true, help: "learning rate"),
            .double("decay", \.decay, min: 0, max: 1, help: "decay"),
            .choice("norm", \.norm, help: "normalisation"),
            .flag("quiet", \.quiet, help: "say less"),
            .path("weights", \.weights, help: "initial weights"),
            .string("label", \.label, help: "a name"),
            .numbers("sigmas", \.sigmas, positive: true, help: "widths"),
            .integers("ds", \.ds, range: 1...64, help: "dimensions"),
        ]
    }

    func testTheDeclarationsComeFromTheFieldsWithTheStructsDefaults() {
        let specs = Every.optionSpecs
        XCTAssertEqual(specs.map(\.name), ["steps", "warmup", "lr", "decay", "norm", "quiet", "weights", "label", "sigmas", "ds"])
        XCTAssertEqual(specs.map(\.kind), [.int(min: 1, max: 1000), .int(min: 0, max: nil), .double(min: 0, max: nil, minExclusive: true),
                                           .double(min: 0, max: 1, minExclusive: false), .choice(["batch", "layer"]), .flag, .path, .string,
                                           .numbers(min: 0, max: nil, minExclusive: true), .integers(min: 1, max: 64)])
        XCTAssertEqual(specs.map(\.defaultValue), [.int(200), .int(3), .double(0.1), .double(0.5), .string("batch"), .bool(false),
                                                   nil, .string("run"), .numbers([1, 2]), .integers([5, 10])])
    }

    func testAFloatFieldsDefaultIsTheDecimalAUserWouldType() {
        struct Rates: ExperimentSettings {
            var lr: Float = 0.001
            static let fields: [SettingField<Rates>] = [.double("lr", \.lr, positive: true, help: "rate")]
        }
        XCTAssertEqual(Rates.optionSpecs[0].defaultValue, .double(0.001), "not 0.0010000000474974513")
        XCTAssertEqual(Float(0.001), Rates().lr, "and it rounds back to the same Float")
    }

    func testParsedValuesFillTheFields() throws {
        // What the host hands over after parsing `--steps 7 --lr 0.25 --norm layer --quiet ...`.
        var values: [String: OptionValue] = [:]
        for spec in Every.optionSpecs { values[spec.name] = spec.defaultValue }
        values["steps"] = .int(7); values["lr"] = .double(0.25); values["norm"] = .string("layer"); values["quiet"] = .bool(true)
        values["weights"] = .string("/tmp/w"); values["ds"] = .integers([3])
        let settings = try Every(OptionValues(values))
        XCTAssertEqual(settings.steps, 7)
        XCTAssertEqual(settings.warmup, 3)
        XCTAssertEqual(settings.lr, 0.25)
        XCTAssertEqual(settings.norm, .layer)
        XCTAssertTrue(settings.quiet)
        XCTAssertEqual(settings.weights, "/tmp/w")
        XCTAssertEqual(settings.label, "run")
        XCTAssertEqual(settings.sigmas, [1, 2])
        XCTAssertEqual(settings.ds, [3])
        // A value of the wrong type (a host bug, never user input) is an error, not a crash.
        values["norm"] = .string("group")
        XCTAssertThrowsError(try Every(OptionValues(values)))
    }

    func testAnExperimentDeclaredBySettingsReceivesThem() throws {
        var seen: Every?
        let experiment = Experiment(name: "train", summary: "s", settings: Every.self, train: { _, settings in seen = settings })
        XCTAssertEqual(experiment.options.map(\.name), Every.optionSpecs.map(\.name))
        var values: [String: OptionValue] = [:]
        for spec in experiment.options { values[spec.name] = spec.defaultValue }
        values["steps"] = .int(11)
        let context = RunContext(plugin: "P", experiment: "train", options: OptionValues(values), seed: 0, threads: 1,
                                 outputDirectory: NSTemporaryDirectory(), progress: SilentProgress(), metrics: MetricsLog(declared: []), log: { _ in })
        try experiment.train?(context)
        XCTAssertEqual(seen?.steps, 11)
        XCTAssertNil(experiment.evaluate)
    }
}
