import Foundation
import Formats

/// Weight initialisations of `torch.nn.init`, in place, from a seeded generator.
public enum Init {
    /// Fan-in and fan-out of a weight: (in, out) for a matrix (out, in); times KH KW for a conv.
    public static func fans(_ t: Tensor) -> (fanIn: Int, fanOut: Int) {
        engineCheck(t.rank >= 2, "fan computation needs a weight of rank >= 2, got \(t.shape)")
        let receptive = t.shape.dropFirst(2).reduce(1, *)
        return (t.shape[1] * receptive, t.shape[0] * receptive)
    }

    static func fill(_ t: Tensor, _ draw: () -> Float) {
        for i in 0..<t.count { t.data[i] = draw() }
    }

    /// `kaiming_uniform_(t, a)`: U(-b, b) with b = gain sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)).
    /// PyTorch's default for Linear and Conv2d weights is a = sqrt 5.
    public static func kaimingUniform(_ t: Tensor, a: Float = Float(5).squareRoot(), generator: inout SeededGenerator) {
        let bound = (2 / (1 + a * a)).squareRoot() * (3 / Float(fans(t).fanIn)).squareRoot()
        fill(t) { -bound + 2 * bound * generator.nextFloat() }
    }

    /// `kaiming_normal_(t, mode='fan_in', nonlinearity='relu')`: N(0, 2 / fan_in).
    public static func kaimingNormal(_ t: Tensor, generator: inout SeededGenerator) {
        let std = (2 / Float(fans(t).fanIn)).squareRoot()
        fill(t) { std * Float(generator.nextNormal()) }
    }

    /// `xavier_uniform_`: U(-b, b) with b = gain sqrt(6 / (fan_in + fan_out)).
    public static func xavierUniform(_ t: Tensor, gain: Float = 1, generator: inout SeededGenerator) {
        let (fi, fo) = fans(t)
        let bound = gain * (6 / Float(fi + fo)).squareRoot()
        fill(t) { -bound + 2 * bound * generator.nextFloat() }
    }

    /// `xavier_normal_`: N(0, gain^2 2 / (fan_in + fan_out)).
    public static func xavierNormal(_ t: Tensor, gain: Float = 1, generator: inout SeededGenerator) {
        let (fi, fo) = fans(t)
        let std = gain * (2 / Float(fi + fo)).squareRoot()
        fill(t) { std * Float(generator.nextNormal()) }
    }

    /// `normal_(t, mean, std)`.
    public static func normal(_ t: Tensor, mean: Float = 0, std: Float, generator: inout SeededGenerator) {
        fill(t) { mean + std * Float(generator.nextNormal()) }
    }

    /// `zeros_(t)`.
    public static func zeros(_ t: Tensor) { t.zero_() }
}
