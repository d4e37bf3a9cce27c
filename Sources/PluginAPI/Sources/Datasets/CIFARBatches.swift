import Foundation
import Engine
import Kernels
import KernelSupport

/// Training batches for CIFAR-10 as the course's torchvision pipeline makes them: random crop
/// 32 with 4 pixels of zero padding and a random horizontal flip (training only), then
/// per-channel normalisation `(x / 255 - mean) / std`.
public struct CIFARBatcher: Sendable {
    /// The per-channel (R, G, B) mean of the training images on the [0, 1] scale, as the course's
    /// `transforms.Normalize` uses it.
    public static let mean: [Float] = [0.4914, 0.4822, 0.4465]
    /// The per-channel standard deviations, on the same scale.
    public static let std: [Float] = [63.0 / 255, 62.1 / 255, 66.7 / 255]
    /// Whether to apply the random crop and flip (training); without, images are only normalised.
    public var augment: Bool
    /// The seed the crops and flips are drawn from, together with each batch's `draw`.
    public var seed: UInt64

    /// A batcher with augmentation on or off, drawing from `seed`.
    public init(augment: Bool, seed: UInt64) {
        self.augment = augment
        self.seed = seed
    }

    /// The images `indices` of `set` as a (count, 3, 32, 32) tensor and their labels. The
    /// random crop and flip of image `indices[i]` are drawn from (seed, `draw`, i), so a batch is
    /// the same whatever thread prepares it and however many threads share the work.
    public func batch(_ set: ByteImages, indices: ArraySlice<Int>, draw: UInt64) -> (Tensor, [Int]) {
        let count = indices.count
        let out = Tensor(zeros: [count, 3, 32, 32], zeroed: false)
        let positions = Array(indices)
        let scale = (0..<3).map { 1 / (255 * CIFARBatcher.std[$0]) }, shift = (0..<3).map { -CIFARBatcher.mean[$0] / CIFARBatcher.std[$0] }
        let destination = out.data
        set.pixels.withUnsafeBufferPointer { pixels in
            let pixels = pixels.baseAddress.unsafelyUnwrapped
            WorkerPool.shared.parallelFor(count) { i in
                var generator = SeededGenerator(seed: seed &+ draw &* 0x9E37_79B9, stream: UInt64(i))
                let (dx, dy, flip) = augment ? (Int(generator.next() % 9) - 4, Int(generator.next() % 9) - 4, generator.next() & 1 == 1) : (0, 0, false)
                let source = pixels + positions[i] * 3072
                for c in 0..<3 {
                    let plane = source + c * 1024, target = destination + (i * 3 + c) * 1024
                    let (a, b) = (scale[c], shift[c])
                    for y in 0..<32 {
                        let sy = y + dy
                        for x in 0..<32 {
                            let sx = flip ? 31 - x + dx : x + dx
                            let value: Float = sy >= 0 && sy < 32 && sx >= 0 && sx < 32 ? Float(plane[sy * 32 + sx]) : 0
                            target[y * 32 + x] = value * a + b
                        }
                    }
                }
            }
        }
        return (out, positions.map { set.labels[$0] })
    }
}

/// Prepares batch k + 1 on a background thread (its work spread over the worker pool) while
/// the caller trains on batch k.
public final class BatchPrefetcher<Batch>: @unchecked Sendable {
    private let make: @Sendable (Int) -> Batch
    private let count: Int
    private var next = 0
    private var pending: (index: Int, semaphore: DispatchSemaphore, box: Box)?
    private final class Box: @unchecked Sendable { var value: Batch?; init() {} }

    /// Batches `0..<count`, made by `make(k)`.
    public init(count: Int, make: @escaping @Sendable (Int) -> Batch) {
        self.count = count
        self.make = make
        schedule()
    }

    private func schedule() {
        guard next < count else { pending = nil; return }
        let semaphore = DispatchSemaphore(value: 0), box = Box(), index = next, make = make
        DispatchQueue.global(qos: .userInitiated).async {
            box.value = make(index)
            semaphore.signal()
        }
        pending = (index, semaphore, box)
        next += 1
    }

    /// The next batch, waiting for it if it is not ready; nil after the last.
    public func nextBatch() -> Batch? {
        guard let pending else { return nil }
        pending.semaphore.wait()
        let value = pending.box.value
        schedule()
        return value
    }

    deinit { pending?.semaphore.wait() }
}
