import PluginAPI

/// The data of problem 3, as the original starter generates it: a mask v* uniform on
/// {0,1}^d and batches of x uniform on {0,1}^d with y = 1 - 2 ((x . v*) mod 2).
public struct ParityData {
    public let mask: [Float]
    public var d: Int { mask.count }

    public init(d: Int, generator: inout SeededGenerator) {
        mask = (0..<d).map { _ in Float(generator.nextBit()) }
    }

    public init(mask: [Float]) {
        self.mask = mask
    }

    /// Fills `x` (n x d) with fresh uniform bits and `y` (n) with the labels, in place (no
    /// allocation in the training loop).
    public func sample(into x: Tensor, labels y: Tensor, generator: inout SeededGenerator) {
        let n = y.count
        var bits: UInt64 = 0, available = 0
        x.withMutableValues { x in
            y.withMutableValues { y in
                for row in 0..<n {
                    var parity = 0
                    for j in 0..<d {
                        if available == 0 { bits = generator.next(); available = 64 }
                        let bit = Int(bits & 1)
                        bits >>= 1; available -= 1
                        x[row * d + j] = Float(bit)
                        if mask[j] != 0 { parity ^= bit }
                    }
                    y[row] = Float(1 - 2 * parity)
                }
            }
        }
    }

    /// The label of one input.
    public func label(_ x: [Float]) -> Float {
        var parity = 0
        for j in 0..<d where mask[j] != 0 && x[j] != 0 { parity ^= 1 }
        return Float(1 - 2 * parity)
    }
}
