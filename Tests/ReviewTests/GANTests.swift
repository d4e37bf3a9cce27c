import Foundation
import PluginAPI
import Review
import XCTest

/// The sheet's problem 5: the saturating generator loss's gradient vanishes as D(G(z)) -> 0.
final class GANTests: XCTestCase {
    func testAutogradMatchesTheClosedFormsOfBothGeneratorGradients() {
        let logits = (0...200).map { -10 + 0.1 * Double($0) }
        let rows = GANExperiment.logitGradients(logits)
        XCTAssertEqual(rows.count, logits.count)
        XCTAssertLessThan(GANExperiment.maxError(rows), 1e-5, "d/dl log(1 - sigmoid(l)) = -sigmoid(l), d/dl -log sigmoid(l) = -(1 - sigmoid(l))")
        for r in rows {
            XCTAssertEqual(r.saturating, -r.d, accuracy: 1e-5, "l \(r.logit)")
            XCTAssertEqual(r.nonSaturating, -(1 - r.d), accuracy: 1e-5, "l \(r.logit)")
        }
    }

    func testOnlyTheSaturatingGradientVanishesAsTheDiscriminatorRejectsTheSample() {
        let rows = GANExperiment.logitGradients([-2, -4, -6, -8, -10])
        for (earlier, later) in zip(rows, rows.dropFirst()) {
            XCTAssertLessThan(abs(later.saturating), abs(earlier.saturating) / 5, "shrinks like D = e^l")
            XCTAssertGreaterThan(abs(later.nonSaturating), abs(earlier.nonSaturating), "grows towards 1")
        }
        let last = rows[rows.count - 1]
        XCTAssertLessThan(abs(last.saturating), 1e-4)
        XCTAssertGreaterThan(abs(last.nonSaturating), 0.9999)
    }

    func testWithTheDefaultsTheNonSaturatingGeneratorReachesTheDataAndTheSaturatingOneStalls() throws {
        for seed: UInt64 in [0, 1, 2] {
            var setting = GANExperiment.Setting()
            setting.seed = seed
            let saturating = try GANExperiment.train(.saturating, setting), nonSaturating = try GANExperiment.train(.nonSaturating, setting)
            XCTAssertEqual(saturating.mean.count, setting.steps)
            let start = abs(setting.startMean - setting.realMean)
            let stalled = abs(saturating.mean[setting.steps - 1] - setting.realMean)
            let learned = abs(nonSaturating.mean[setting.steps - 1] - setting.realMean)
            XCTAssertLessThan(learned, setting.realStd, "seed \(seed): the non-saturating generator ends within one real std")
            XCTAssertGreaterThan(stalled, start / 2, "seed \(seed): the saturating one has not covered half the way")
            XCTAssertLessThan(learned * 10, stalled, "seed \(seed)")
            XCTAssertGreaterThan(nonSaturating.gradientNorm[0], 10 * saturating.gradientNorm[0], "seed \(seed): (1 - D) / D at the first step")
            XCTAssertLessThan(saturating.d[0], 0.1, "seed \(seed): the pretrained discriminator rejects the generated samples")
        }
    }

    func testTheSameSeedGivesTheSameRun() throws {
        var setting = GANExperiment.Setting()
        setting.steps = 50
        let first = try GANExperiment.train(.nonSaturating, setting), second = try GANExperiment.train(.nonSaturating, setting)
        XCTAssertEqual(first.mean, second.mean)
        XCTAssertEqual(first.gradientNorm, second.gradientNorm)
    }
}
