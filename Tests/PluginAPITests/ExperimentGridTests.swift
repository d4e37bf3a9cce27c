import Foundation
import PluginAPI
import XCTest

/// Named grids (`ExperimentGrid`): the points an experiment's options give, in the order
/// `host sweep` numbers them, and each point's settings as `host run` would build them.
final class ExperimentGridTests: XCTestCase {
    /// The point experiment's settings.
    struct Train: ExperimentSettings {
        var d = 30, iters = 500
        var lr: Float = 0.001
        var act = "relu"
        static let fields: [SettingField<Train>] = [
            .int("d", \.d, range: 1...64, help: "dimension"),
            .int("iters", \.iters, range: 1...100_000, help: "steps"),
            .double("lr", \.lr, positive: true, help: "learning rate"),
            .string("act", \.act, help: "activation"),
        ]
    }

    /// The grid experiment's settings: the axes' list, the seed count, and train's other options.
    struct Sweep: ExperimentSettings {
        var ds = [5, 10], seeds = 2, train = Train()
        static let fields: [SettingField<Sweep>] = [
            .integers("ds", \.ds, range: 1...64, help: "dimensions"),
            .int("seeds", \.seeds, range: 1...100, help: "seeds per d"),
        ] + SettingField.nested(\.train, Train.fields.filter { $0.name != "d" && $0.name != "act" })
    }

    let grid = ExperimentGrid(experiment: "train", axes: [.option("d", valuesFrom: "ds"), .option("act", values: ["relu", "silu"])], seedsOption: "seeds")

    func options(_ values: [String: OptionValue]) -> OptionValues {
        var all: [String: OptionValue] = [:]
        for spec in Sweep.optionSpecs { all[spec.name] = values[spec.name] ?? spec.defaultValue }
        return OptionValues(all)
    }

    func testPointsAreTheAxesProductTimesTheSeedsFromTheRunsSeed() throws {
        let points = try grid.points(options([:]), seed: 7)
        XCTAssertEqual(points.map(\.values), [["5", "relu"], ["5", "relu"], ["5", "silu"], ["5", "silu"],
                                              ["10", "relu"], ["10", "relu"], ["10", "silu"], ["10", "silu"]])
        XCTAssertEqual(points.map(\.seed), [7, 8, 7, 8, 7, 8, 7, 8])
        XCTAssertEqual(points.map(\.seedIndex), [0, 1, 0, 1, 0, 1, 0, 1])
        XCTAssertEqual(points.map(\.index), Array(0..<8))
        XCTAssertEqual(grid.shapingOptions, ["ds", "seeds"])
        let wrapped = try grid.points(options(["seeds": .int(2)]), seed: UInt64.max)
        XCTAssertEqual(wrapped.prefix(2).map(\.seed), [UInt64.max, 0], "seeds wrap as `&+` does")
        XCTAssertEqual(try ExperimentGrid(experiment: "train", axes: [.option("lr", valuesFrom: "rates")])
            .points(OptionValues(["rates": .numbers([0.1, 1e-3])]), seed: 0).map(\.values), [["0.1"], ["0.001"]], "one seed without a seed count")
    }

    func testEmptyAndRepeatedValuesAreRefusedAsInput() {
        func message(_ values: [String: OptionValue]) -> String {
            do { _ = try grid.points(options(values), seed: 0); return "accepted" } catch let error as PluginError {
                XCTAssertEqual(error.kind, .invalidInput)
                return error.message
            } catch { return "\(error)" }
        }
        XCTAssertEqual(message(["ds": .integers([])]), "--ds is empty")
        XCTAssertEqual(message(["ds": .integers([5, 6, 5])]), "--ds lists 5 twice")
        XCTAssertEqual(message(["seeds": .int(0)]), "--seeds is 0")
    }

    /// A point's settings: its axis values parsed by the point experiment's declarations, the
    /// grid experiment's values of the options it passes on, the defaults for the others.
    func testAPointsSettingsAreWhatItsCommandLineGives() throws {
        let given = options(["iters": .int(1500), "lr": .double(0.05)])
        let point = try XCTUnwrap(try grid.points(given, seed: 3).last)
        let settings = try grid.settings(Train.self, at: point, passing: given)
        XCTAssertEqual(settings.d, 10)
        XCTAssertEqual(settings.act, "silu")
        XCTAssertEqual(settings.iters, 1500)
        XCTAssertEqual(settings.lr, Float(0.05))
        XCTAssertEqual(point.seed, 4)

        let bad = ExperimentGrid(experiment: "train", axes: [.option("d", values: ["5", "99"])])
        let points = try bad.points(OptionValues([:]), seed: 0)
        XCTAssertThrowsError(try bad.settings(Train.self, at: points[1], passing: OptionValues([:]))) { error in
            XCTAssertTrue("\(error)".contains("--d: 99 is too large"), "\(error)")
        }
    }
}
