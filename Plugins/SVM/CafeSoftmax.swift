import Foundation
import PluginAPI

/// CS446 HW2 3: softmax regression on CAFE, one linear layer 91,200 -> 6 trained full-batch
/// with Adam on the mean cross-entropy, as the starter's `fit(net, X, y, n_epochs)`:
///
/// ```python
/// for epoch in range(n_epochs):
///     optimizer.zero_grad()
///     loss = loss_fn(net(X), y)
///     losses.append(loss.item())
///     loss.backward()
///     optimizer.step()
/// ```
public enum CafeSoftmax {
    /// The six expressions.
    public static let classes = 6

    /// One epoch of `fit`: the loss of the current weights, then, when it is finite, one Adam
    /// step on the whole batch. Returns the loss before the step.
    public static func epoch(_ model: Linear, _ optimizer: Adam, images x: Tensor, labels y: [Int]) -> Double {
        optimizer.zeroGrad()
        let loss = crossEntropy(model(x), targets: y)
        let value = Double(loss.item)
        if value.isFinite {
            loss.backward()
            optimizer.step()
        }
        return value
    }

    /// The mean cross-entropy of `model` on the images, without recording a graph.
    public static func loss(_ model: Linear, images x: Tensor, labels y: [Int]) -> Double {
        Double(noGrad { crossEntropy(model(x), targets: y) }.item)
    }
}
