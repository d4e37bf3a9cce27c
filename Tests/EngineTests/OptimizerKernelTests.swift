import XCTest
import KernelSupport
import PluginAPI
import Kernels

/// The optimizers' update loops in every kernel set this CPU runs give exactly the bits of the
/// scalar definition (PyTorch's update, operation by operation).
final class OptimizerKernelTests: XCTestCase {
    let sets = KernelSet.supported(by: .current).compactMap(\.compiled)
    /// Off every vector width, so the tails run too.
    let count = 37

    func testEverySetsSGDUpdateIsTheScalarUpdate() {
        XCTAssertFalse(sets.isEmpty)
        let g0 = random([count], seed: 1).values, p0 = random([count], seed: 2).values, b0 = random([count], seed: 3).values
        let cases: [(momentum: Float, dampening: Float, wd: Float, nesterov: Bool, first: Bool)] =
            [(0, 0, 0, false, true), (0, 0, 0.01, false, true), (0.9, 0, 0, false, true), (0.9, 0, 0, false, false),
             (0.9, 0.1, 5e-4, true, false), (0.5, 0.5, 0.1, false, false)]
        for c in cases {
            var (p, b) = (p0, b0)
            let lr: Float = 0.05
            for i in 0..<count {
                let g = g0[i] + c.wd * p[i]
                if c.momentum == 0 { p[i] -= lr * g; continue }
                b[i] = c.first ? g : c.momentum * b[i] + (1 - c.dampening) * g
                p[i] -= lr * (c.nesterov ? g + c.momentum * b[i] : b[i])
            }
            for kernels in sets {
                var (pk, bk) = (p0, b0)
                pk.withUnsafeMutableBufferPointer { pp in g0.withUnsafeBufferPointer { gp in bk.withUnsafeMutableBufferPointer { bp in
                    kernels.sgdUpdate(parameters: pp.baseAddress!, gradients: gp.baseAddress!, buffer: c.momentum == 0 ? nil : bp.baseAddress!,
                                      count: count, lr: lr, momentum: c.momentum, dampening: c.dampening, weightDecay: c.wd,
                                      nesterov: c.nesterov, first: c.first)
                } } }
                XCTAssertEqual(pk, p, "\(kernels.name) \(c) parameters")
                XCTAssertEqual(bk, b, "\(kernels.name) \(c) buffer")
            }
        }
    }

    func testEverySetsAdamUpdateIsTheScalarUpdate() {
        let g0 = random([count], seed: 4).values, p0 = random([count], seed: 5).values
        let m0 = random([count], seed: 6).values.map { $0 * 0.1 }, v0 = random([count], seed: 7).values.map { $0 * $0 }
        let (b1, b2, eps, wd): (Float, Float, Float, Float) = (0.9, 0.999, 1e-8, 0.01)
        let (stepSize, root2) = Adam.corrections(step: 3, lr: 1e-3, beta1: b1, beta2: b2)
        var (p, m, v) = (p0, m0, v0)
        for i in 0..<count {
            let g = g0[i] + wd * p[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            p[i] -= stepSize * m[i] / (v[i].squareRoot() / root2 + eps)
        }
        for kernels in sets {
            var (pk, mk, vk) = (p0, m0, v0)
            pk.withUnsafeMutableBufferPointer { pp in g0.withUnsafeBufferPointer { gp in
                mk.withUnsafeMutableBufferPointer { mp in vk.withUnsafeMutableBufferPointer { vp in
                    kernels.adamUpdate(parameters: pp.baseAddress!, gradients: gp.baseAddress!, firstMoments: mp.baseAddress!,
                                       secondMoments: vp.baseAddress!, count: count, stepSize: stepSize, root2: root2,
                                       beta1: b1, beta2: b2, eps: eps, weightDecay: wd)
                } }
            } }
            XCTAssertEqual(pk, p, kernels.name)
            XCTAssertEqual(mk, m, kernels.name)
            XCTAssertEqual(vk, v, kernels.name)
        }
    }
}
