import Foundation
import PluginAPI
import Kernels

/// Full-batch softmax regression for CAFE's six expressions (one linear layer, mean
/// cross-entropy, PyTorch's Adam) with each epoch one pass over the images.
///
/// The engine's path (`Linear`, `crossEntropy`, `backward`, `Adam`) reads the 36 x 91,200
/// images twice per epoch (logits, then the weight gradient) and the weights and Adam's
/// moments in a third pass. Here the pixels are cut into blocks of 128 columns, stored block
/// after block, and for each block, while its pixels are in cache: the weight gradient from
/// the current logits' residuals, Adam's update of that block, and its share of the next
/// epoch's logits under the updated weights. The result is the same computation in another
/// summation order; `reference` below runs the engine's path, and the tests hold the two
/// together.
public final class CafeTrainer {
    public static let classes = 6
    /// Pixels per block: 36 images x 128 x 4 bytes = 18 KB stay in L1 between the passes.
    static let block = 128
    /// Blocks per unit of work; fixed, so sums do not depend on the thread count.
    static let blocksPerRange = 24

    public let samples: Int, features: Int
    public let lr: Float, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8
    let labels: [Int]
    let blocks: Int
    /// The images, block by block, and within a block strip by strip: strip `s` of block `b`
    /// holds pixels 16 s ..< 16 s + 16 of the block for every image, so the gradient pass
    /// reads each block front to back.
    var pixels: [Float]
    /// Weights and Adam's moments, class-major (classes x blocks * block), zero in the padding
    /// past `features`, which stays zero (its pixels are zero, so are its gradients).
    var weight: [Float], m: [Float], v: [Float]
    var bias: [Float], biasM: [Float], biasV: [Float]
    /// Logits (samples x classes) of the current weights.
    public private(set) var logits: [Float]
    public private(set) var steps = 0
    let pool: WorkerPool

    /// `images` is samples x features, row-major; `weight` (classes x features) and `bias`
    /// are the starting values (e.g. `Linear`'s PyTorch initialisation).
    public init(images: [Float], labels: [Int], weight: [Float], bias: [Float], lr: Float, pool: WorkerPool = .shared) {
        let samples = labels.count, features = images.count / max(labels.count, 1)
        precondition(images.count == samples * features && weight.count == Self.classes * features && bias.count == Self.classes,
                     "CafeTrainer: images, weight and bias disagree in size")
        (self.samples, self.features, self.labels, self.lr, self.pool) = (samples, features, labels, lr, pool)
        blocks = (features + Self.block - 1) / Self.block
        let padded = blocks * Self.block
        pixels = [Float](repeating: 0, count: samples * padded)
        self.weight = [Float](repeating: 0, count: Self.classes * padded)
        for b in 0..<blocks {
            let width = min(Self.block, features - b * Self.block)
            for i in 0..<samples {
                for p in 0..<width { pixels[b * samples * Self.block + p / 16 * samples * 16 + i * 16 + p % 16] = images[i * features + b * Self.block + p] }
            }
        }
        for k in 0..<Self.classes {
            for p in 0..<features { self.weight[k * padded + p] = weight[k * features + p] }
        }
        m = [Float](repeating: 0, count: self.weight.count); v = m
        self.bias = bias; biasM = [Float](repeating: 0, count: Self.classes); biasV = biasM
        logits = [Float](repeating: 0, count: samples * Self.classes)
        sweep(update: nil)
    }

    /// The weights, classes x features.
    public var weights: [Float] {
        let padded = blocks * Self.block
        return (0..<Self.classes).flatMap { k in weight[k * padded..<k * padded + features] }
    }
    public var biases: [Float] { bias }

    /// The mean cross-entropy of the current weights.
    public var loss: Double {
        var total = 0.0
        for i in 0..<samples {
            let row = logits[i * Self.classes..<(i + 1) * Self.classes]
            let top = row.max() ?? 0
            let logSum = Double(top) + Foundation.log(row.reduce(0.0) { $0 + Foundation.exp(Double($1 - top)) })
            total += logSum - Double(row[row.startIndex + labels[i]])
        }
        return total / Double(samples)
    }

    /// One Adam step on the whole batch; afterwards `logits` and `loss` are the new weights'.
    public func step() {
        steps += 1
        // Residuals d = (softmax(logits) - onehot) / n, the gradient of the mean cross-entropy.
        var residuals = [Float](repeating: 0, count: samples * Self.classes)
        for i in 0..<samples {
            let row = Array(logits[i * Self.classes..<(i + 1) * Self.classes])
            let top = row.max() ?? 0
            let e = row.map { Foundation.exp($0 - top) }
            let sum = e.reduce(0, +)
            for k in 0..<Self.classes {
                residuals[i * Self.classes + k] = (e[k] / sum - (labels[i] == k ? 1 : 0)) / Float(samples)
            }
        }
        let biasGradient = (0..<Self.classes).map { k in (0..<samples).reduce(Float(0)) { $0 + residuals[$1 * Self.classes + k] } }
        let (stepSize, root2) = Adam.corrections(step: steps, lr: lr, beta1: beta1, beta2: beta2)
        Optimizers.adam(parameters: &bias, gradients: biasGradient, firstMoments: &biasM, secondMoments: &biasV, count: Self.classes,
                        stepSize: stepSize, root2: root2, beta1: beta1, beta2: beta2, eps: eps, weightDecay: 0)
        sweep(update: (residuals, stepSize, root2))
    }

    /// One pass over the blocks: with `update` (the residuals and this step's Adam
    /// corrections), each block's gradient and Adam update first; always its share of the
    /// logits. Each range of blocks sums its logits in eight lanes of its own; the ranges are
    /// added in order.
    func sweep(update: (residuals: [Float], stepSize: Float, root2: Float)?) {
        let ranges = (blocks + Self.blocksPerRange - 1) / Self.blocksPerRange
        let laneCount = samples * Self.classes * 8
        var lanes = [Float](repeating: 0, count: ranges * laneCount)
        let padded = blocks * Self.block
        pixels.withUnsafeBufferPointer { x in
        weight.withUnsafeMutableBufferPointer { w in
        m.withUnsafeMutableBufferPointer { m in
        v.withUnsafeMutableBufferPointer { v in
        lanes.withUnsafeMutableBufferPointer { lanes in
            let (x, w, m, v, lanes) = (x.baseAddress.unsafelyUnwrapped, w.baseAddress.unsafelyUnwrapped, m.baseAddress.unsafelyUnwrapped,
                                       v.baseAddress.unsafelyUnwrapped, lanes.baseAddress.unsafelyUnwrapped)
            pool.parallelRanges(blocks, grain: Self.blocksPerRange) { range in
                let partial = lanes + range.lowerBound / Self.blocksPerRange * laneCount
                var gradient = [Float](repeating: 0, count: Self.classes * Self.block)
                for b in range {
                    let xb = x + b * samples * Self.block, wb = w + b * Self.block
                    if let update {
                        gradient.withUnsafeMutableBufferPointer { g in
                            blockGradient(xb, residuals: update.residuals, into: g.baseAddress.unsafelyUnwrapped)
                            for k in 0..<Self.classes {
                                Optimizers.adam(parameters: wb + k * padded, gradients: g.baseAddress.unsafelyUnwrapped + k * Self.block,
                                                firstMoments: m + b * Self.block + k * padded, secondMoments: v + b * Self.block + k * padded,
                                                count: Self.block, stepSize: update.stepSize, root2: update.root2,
                                                beta1: beta1, beta2: beta2, eps: eps, weightDecay: 0)
                            }
                        }
                    }
                    blockLogits(xb, weights: wb, rowStride: padded, into: partial)
                }
            }
        }}}}}
        for i in 0..<samples {
            for k in 0..<Self.classes {
                var sum: Float = 0
                for r in 0..<ranges {
                    let start = r * laneCount + (i * Self.classes + k) * 8
                    sum += lanes[start..<start + 8].reduce(0, +)
                }
                logits[i * Self.classes + k] = sum + bias[k]
            }
        }
    }

    /// g[k][p] = sum_i residuals[i][k] x[i][p] for one block, sixteen pixels at a time: the
    /// residuals (samples x 6) and a strip (samples x 16) are laid out as the GEMM
    /// micro-kernel's packed panels, so it multiplies them in place.
    func blockGradient(_ x: UnsafePointer<Float>, residuals: UnsafePointer<Float>, into g: UnsafeMutablePointer<Float>) {
        for strip in stride(from: 0, to: Self.block, by: 16) {
            GEMM.panelProduct6x16(kc: samples, a: residuals, b: x + strip * samples, c: g + strip, ldc: Self.block)
        }
    }

    /// lanes[i][k] += x[i][p] w[k][p] over one block, eight pixels per lane vector, two
    /// images (twelve registers) at a time.
    @inline(__always)
    func blockLogits(_ x: UnsafePointer<Float>, weights w: UnsafePointer<Float>, rowStride: Int, into lanes: UnsafeMutablePointer<Float>) {
        typealias V = SIMD8<Float>
        let row = { (k: Int) in UnsafeRawPointer(w + k * rowStride) }
        let (w0, w1, w2, w3, w4, w5) = (row(0), row(1), row(2), row(3), row(4), row(5))
        var i = 0
        while i < samples {
            let second = min(i + 1, samples - 1)   // an odd last image is paired with itself; its copy is dropped
            let out0 = UnsafeMutableRawPointer(lanes + i * Self.classes * 8), out1 = UnsafeMutableRawPointer(lanes + second * Self.classes * 8)
            var a0 = out0.loadUnaligned(as: V.self), a1 = out0.loadUnaligned(fromByteOffset: 32, as: V.self)
            var a2 = out0.loadUnaligned(fromByteOffset: 64, as: V.self), a3 = out0.loadUnaligned(fromByteOffset: 96, as: V.self)
            var a4 = out0.loadUnaligned(fromByteOffset: 128, as: V.self), a5 = out0.loadUnaligned(fromByteOffset: 160, as: V.self)
            var b0 = out1.loadUnaligned(as: V.self), b1 = out1.loadUnaligned(fromByteOffset: 32, as: V.self)
            var b2 = out1.loadUnaligned(fromByteOffset: 64, as: V.self), b3 = out1.loadUnaligned(fromByteOffset: 96, as: V.self)
            var b4 = out1.loadUnaligned(fromByteOffset: 128, as: V.self), b5 = out1.loadUnaligned(fromByteOffset: 160, as: V.self)
            let x0 = UnsafeRawPointer(x + i * 16), x1 = UnsafeRawPointer(x + second * 16)
            for q in stride(from: 0, to: Self.block * 4, by: 32) {
                let at = q / 64 * samples * 64 + q % 64   // byte offset of pixels q / 4 ..< q / 4 + 8 of image 0
                let u = x0.loadUnaligned(fromByteOffset: at, as: V.self), t = x1.loadUnaligned(fromByteOffset: at, as: V.self)
                var wk = w0.loadUnaligned(fromByteOffset: q, as: V.self); a0 += u * wk; b0 += t * wk
                wk = w1.loadUnaligned(fromByteOffset: q, as: V.self); a1 += u * wk; b1 += t * wk
                wk = w2.loadUnaligned(fromByteOffset: q, as: V.self); a2 += u * wk; b2 += t * wk
                wk = w3.loadUnaligned(fromByteOffset: q, as: V.self); a3 += u * wk; b3 += t * wk
                wk = w4.loadUnaligned(fromByteOffset: q, as: V.self); a4 += u * wk; b4 += t * wk
                wk = w5.loadUnaligned(fromByteOffset: q, as: V.self); a5 += u * wk; b5 += t * wk
            }
            if second != i { Self.store(b0, b1, b2, b3, b4, b5, to: out1) }
            Self.store(a0, a1, a2, a3, a4, a5, to: out0)
            i += 2
        }
    }

    /// Six vectors to `out`, `stride` bytes apart.
    @inline(__always)
    static func store(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ v2: SIMD8<Float>, _ v3: SIMD8<Float>, _ v4: SIMD8<Float>, _ v5: SIMD8<Float>,
                      to out: UnsafeMutableRawPointer, stride: Int = 32) {
        out.storeBytes(of: v0, as: SIMD8<Float>.self); out.storeBytes(of: v1, toByteOffset: stride, as: SIMD8<Float>.self)
        out.storeBytes(of: v2, toByteOffset: 2 * stride, as: SIMD8<Float>.self); out.storeBytes(of: v3, toByteOffset: 3 * stride, as: SIMD8<Float>.self)
        out.storeBytes(of: v4, toByteOffset: 4 * stride, as: SIMD8<Float>.self); out.storeBytes(of: v5, toByteOffset: 5 * stride, as: SIMD8<Float>.self)
    }
}

extension CafeTrainer {
    /// The same training through the engine (`Linear`, `crossEntropy`, autograd, `Adam`): the
    /// reference the fused passes are tested against. Returns the loss before each step and
    /// after the last, and the final weights and biases.
    public static func reference(images: [Float], labels: [Int], weight: [Float], bias: [Float], lr: Float,
                                 epochs: Int) -> (losses: [Double], weight: [Float], bias: [Float]) {
        let features = images.count / max(labels.count, 1)
        let w = Tensor(weight, shape: [classes, features], requiresGrad: true), b = Tensor(bias, shape: [classes], requiresGrad: true)
        let x = Tensor(images, shape: [labels.count, features])
        let optimizer = Adam([w, b], lr: lr)
        var losses: [Double] = []
        for epoch in 0...epochs {
            optimizer.zeroGrad()
            let loss = crossEntropy(linear(x, weight: w, bias: b), targets: labels)
            losses.append(Double(loss.item))
            if epoch == epochs { break }
            loss.backward()
            optimizer.step()
        }
        return (losses, w.values, b.values)
    }
}
