import Foundation

/// The learning-rate schemes of CS189 HW7 problem 4.
public enum LearningRateScheme: String, Sendable, CaseIterable {
    /// 0.001 throughout.
    case constant
    /// 0.01 multiplied by 0.99 before every step, as the starter's loop calls
    /// `lr = calc_lr(lr, ...)` before `optimizer.step()`: the first step uses 0.0099.
    case annealed
    /// The course's triangular schedule over E = epochs + 3 in progress p = epoch + batch/N.
    case special

    /// The rate for step `step` (0-based over the whole run) at progress `progress` = epoch +
    /// batch / batches-per-epoch (epoch 0-based), for a run of `epochs` epochs.
    public func rate(step: Int, progress p: Double, epochs: Int) -> Double {
        switch self {
        case .constant: return 0.001
        case .annealed: return 0.01 * pow(0.99, Double(step + 1))
        case .special:
            let e = Double(epochs + 3)
            if p < e / 2 { return 2 * 0.1 * (1 - (e - p) / e) }
            if p <= e { return 0.005 + 2 * (0.1 - 0.005) * (e - p) / e }
            if p <= e + 5 { return 0.005 * (5 - (p - e)) / 5 }
            return 0.0005
        }
    }
}
