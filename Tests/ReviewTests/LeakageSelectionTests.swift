import Foundation
import PluginAPI
import Review
import XCTest

/// Feature selection before cross-validation on pure noise (the leak of the sheet's problem 6.2, made large).
final class LeakageSelectionTests: XCTestCase {
    func testWithTheDefaultsTheLeakyAccuracyIsManyStandardErrorsAboveTheHonestOneWhichSitsAtChance() {
        for seed: UInt64 in 0...2 {
            let s = LeakageSelection.summarize(LeakageSelection.Settings(), repeats: LeakageSelection.defaultRepeats, seed: seed)
            XCTAssertGreaterThan(s.effect, 10, "seed \(seed): leaky \(s.leaky), honest \(s.honest)")
            XCTAssertLessThan(abs(s.honestFromChance), 3.5, "seed \(seed): honest \(s.honest) against chance 0.5")
            XCTAssertGreaterThan(s.leaky.standardError, 0, "the repeats differ")
            XCTAssertGreaterThan(s.honest.standardError, 0, "the repeats differ")
        }
    }

    func testTheSameSeedGivesTheSameNumbersAndAnotherSeedOtherOnes() {
        let s = LeakageSelection.Settings(samples: 40, features: 500, keep: 10, folds: 4)
        let a = LeakageSelection.summarize(s, repeats: 4, seed: 7), b = LeakageSelection.summarize(s, repeats: 4, seed: 7)
        XCTAssertEqual(a.runs.map(\.leaky), b.runs.map(\.leaky))
        XCTAssertEqual(a.runs.map(\.honest), b.runs.map(\.honest))
        XCTAssertEqual(a.runs.map(\.seed), b.runs.map(\.seed))
        XCTAssertNotEqual(a.runs.map(\.seed), LeakageSelection.summarize(s, repeats: 4, seed: 8).runs.map(\.seed))
    }

    func testStratifiedFoldsHoldBothLabelsInProportionAndCoverEverySample() {
        var g = SeededGenerator(seed: 3)
        let data = LeakageSelection.noise(samples: 100, features: 3, generator: &g)
        XCTAssertEqual(data.y.filter { $0 == 1 }.count, 50, "half the labels are 1")
        let fold = LeakageSelection.stratifiedFolds(labels: data.y, folds: 5, generator: &g)
        for f in 0..<5 {
            let members = data.y.indices.filter { fold[$0] == f }
            XCTAssertEqual(members.count, 20)
            XCTAssertEqual(members.filter { data.y[$0] == 1 }.count, 10, "fold \(f)")
        }
    }

    func testSelectionFindsThePlantedFeatureAndTheCentroidClassifierUsesIt() {
        // Feature 2 equals the label (plus a little noise); the others are noise.
        var g = SeededGenerator(seed: 4)
        var data = LeakageSelection.noise(samples: 60, features: 50, generator: &g)
        for r in 0..<60 { data.x[r * 50 + 2] = Double(data.y[r]) * 4 + 0.1 * g.nextNormal() }
        XCTAssertEqual(LeakageSelection.selectFeatures(data, rows: Array(0..<60), keep: 1), [2])
        let rows = Array(0..<60)
        XCTAssertEqual(LeakageSelection.nearestCentroidAccuracy(data, columns: [2], train: Array(rows[0..<40]), test: Array(rows[40...])), 1)
        let fold = LeakageSelection.stratifiedFolds(labels: data.y, folds: 3, generator: &g)
        XCTAssertEqual(LeakageSelection.crossValidate(data, fold: fold, folds: 3, keep: 1, leaky: false), 1, "honest CV finds real signal too")
    }
}
