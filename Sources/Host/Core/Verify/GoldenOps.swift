import Foundation
import PluginAPI

/// How each golden op is computed by the engine.
enum GoldenOps {
    static func evaluate(_ c: GoldenCase, models: [String: GoldenCases.ModelBuilder]) throws -> [GoldenCases.Comparison] {
        switch c.op {
        case "optimizer": return try optimizer(c)
        case "model": return try model(c, models: models)
        default: break
        }
        // Leaves that take gradients: every input the case has gradients for.
        var leaves: [String: Tensor] = [:]
        for (key, value) in c.inputs {
            let leaf = value.copy()
            leaf.requiresGrad = c.grads[key] != nil
            leaves[key] = leaf
        }
        let out = try forward(c, leaves)
        var results = [GoldenCases.compare("out", out, try c.output("out"), tolerance: GoldenCases.forward)]
        if let upstream = c.outputs["upstream"], !c.grads.isEmpty {
            (out * upstream).sum().backward()
            for key in c.grads.keys.sorted() {
                guard let expected = c.grads[key], let leaf = leaves[key] else { continue }
                let grad = leaf.grad ?? Tensor.zeros(leaf.shape)
                results.append(GoldenCases.compare("grad_\(key)", grad, expected, tolerance: GoldenCases.gradient))
            }
        }
        if c.op == "batchnorm2d", let mean = c.outputs["running_mean_after"], let variance = c.outputs["running_var_after"] {
            results.append(GoldenCases.compare("running_mean_after", leaves["running_mean"] ?? Tensor.zeros([0]), mean, tolerance: GoldenCases.forward))
            results.append(GoldenCases.compare("running_var_after", leaves["running_var"] ?? Tensor.zeros([0]), variance, tolerance: GoldenCases.forward))
        }
        return results
    }

    static func forward(_ c: GoldenCase, _ x: [String: Tensor]) throws -> Tensor {
        func input(_ key: String) throws -> Tensor {
            guard let t = x[key] else { throw PluginError.invalidInput("case \(c.name) has no input '\(key)'", hint: "the \(c.op) op needs it") }
            return t
        }
        switch c.op {
        case "linear": return linear(try input("x"), weight: try input("weight"), bias: x["bias"])
        case "matmul": return try input("a").matmul(try input("b"))
        case "conv2d":
            return conv2d(try input("x"), weight: try input("weight"), bias: x["bias"], stride: try c.int("stride", default: 1),
                          padding: try c.int("padding", default: 0), dilation: try c.int("dilation", default: 1))
        case "batchnorm2d":
            return batchNorm2d(try input("x"), weight: x["weight"], bias: x["bias"], runningMean: x["running_mean"], runningVar: x["running_var"],
                               training: c.bool("training", default: true), momentum: Float(c.double("momentum", default: 0.1)),
                               eps: Float(c.double("eps", default: 1e-5)))
        case "layernorm":
            let shape = try (c.params["normalized_shape"] as? [Int]) ?? input("weight").shape
            return layerNorm(try input("x"), normalizedCount: shape.reduce(1, *), weight: x["weight"], bias: x["bias"], eps: Float(c.double("eps", default: 1e-5)))
        case "maxpool2d": return maxPool2d(try input("x"), kernel: try c.int("kernel"), stride: try c.int("stride", default: try c.int("kernel")))
        case "avg_pool2d": return avgPool2d(try input("x"), kernel: try c.int("kernel"), stride: try c.int("stride", default: try c.int("kernel")))
        case "adaptive_avg_pool2d":
            let size = (c.params["output"] as? [Int]) ?? [1, 1]
            return adaptiveAvgPool2d(try input("x"), outputSize: (size[0], size.count > 1 ? size[1] : size[0]))
        case "relu": return try input("x").relu()
        case "silu": return try input("x").silu()
        case "sigmoid": return try input("x").sigmoid()
        case "tanh": return try input("x").tanh()
        case "erf": return try input("x").erf()
        case "log_softmax": return try input("x").logSoftmax(axis: try c.int("dim", default: -1))
        case "cross_entropy":
            guard let targets = c.params["target"] as? [Int] else { throw PluginError.invalidInput("case \(c.name) has no integer 'target' list", hint: "cross_entropy needs targets") }
            return crossEntropy(try input("x"), targets: targets)
        case "mse":
            let y: Tensor
            if let given = x["y"] { y = given } else { y = try c.output("y") }
            return mseLoss(try input("x"), y)
        case "hinge":
            guard let labels = c.params["y"] as? [Double] ?? (c.params["y"] as? [Int])?.map(Double.init) else {
                throw PluginError.invalidInput("case \(c.name) has no 'y' labels", hint: "hinge needs labels")
            }
            let scores = try input("x")
            return hingeLoss(scores, Tensor(labels.map(Float.init), shape: scores.shape))
        default:
            throw PluginError.invalidInput("unknown op '\(c.op)' in case \(c.name)", hint: "known ops: linear, matmul, conv2d, batchnorm2d, layernorm, maxpool2d, avg_pool2d, adaptive_avg_pool2d, relu, silu, sigmoid, tanh, erf, log_softmax, cross_entropy, mse, hinge, optimizer, model")
        }
    }

    /// Three steps with the given gradients; compares the parameter after each.
    static func optimizer(_ c: GoldenCase) throws -> [GoldenCases.Comparison] {
        let p = try c.input("p0").copy()
        p.requiresGrad = true
        let lr = Float(c.double("lr", default: 0.01))
        let optimizer: Optimizer
        switch c.params["kind"] as? String {
        case "sgd":
            optimizer = SGD([p], lr: lr, momentum: Float(c.double("momentum", default: 0)), weightDecay: Float(c.double("weight_decay", default: 0)),
                            nesterov: c.bool("nesterov", default: false))
        case "adam":
            let betas = (c.params["betas"] as? [Double]) ?? [0.9, 0.999]
            optimizer = Adam([p], lr: lr, betas: (Float(betas[0]), Float(betas[1])), eps: Float(c.double("eps", default: 1e-8)),
                             weightDecay: Float(c.double("weight_decay", default: 0)))
        default:
            throw PluginError.invalidInput("case \(c.name): unknown optimizer kind \(c.params["kind"] ?? "none")", hint: "kinds are sgd and adam")
        }
        var results: [GoldenCases.Comparison] = []
        for step in 0..<3 {
            p.grad = try c.input("grad\(step)").copy()
            optimizer.step()
            results.append(GoldenCases.compare("p\(step + 1)", p, try c.output("p\(step + 1)"), tolerance: GoldenCases.forward))
        }
        return results
    }

    /// A network in training mode (or evaluation mode with "training": false): logits, mean
    /// cross-entropy and every parameter's gradient.
    static func model(_ c: GoldenCase, models: [String: GoldenCases.ModelBuilder]) throws -> [GoldenCases.Comparison] {
        guard let name = c.params["model"] as? String, let build = models[name] else {
            throw PluginError.invalidInput("case \(c.name): unknown model \(c.params["model"] ?? "none")",
                                           hint: "models given: " + models.keys.sorted().joined(separator: ", "))
        }
        let x = try c.input("x")
        let net = try build(c)
        let parameterNames = Set(net.namedParameters().map(\.0))
        if let missing = parameterNames.subtracting(c.inputs.keys).sorted().first {
            throw PluginError.invalidInput("case \(c.name) lacks the parameter '\(missing)'", hint: "model cases hold every parameter by its PyTorch name")
        }
        try net.loadStateDict(c.inputs.filter { $0.key != "x" }, strict: false)
        if !c.bool("training", default: true) { net.eval() }
        guard let labels = c.params["labels"] as? [Int] else { throw PluginError.invalidInput("case \(c.name) has no labels", hint: "the model case needs labels") }
        let logits = net(x)
        let loss = crossEntropy(logits, targets: labels)
        loss.backward()
        var results = [GoldenCases.compare("out", logits, try c.output("out"), tolerance: GoldenCases.forward),
                       GoldenCases.compare("loss", loss, try c.output("loss"), tolerance: GoldenCases.forward)]
        let parameters = Dictionary(uniqueKeysWithValues: net.namedParameters())
        for key in c.grads.keys.sorted() {
            guard let expected = c.grads[key] else { continue }
            guard let p = parameters[key] else {
                results.append(GoldenCases.Comparison(key: "grad_\(key) (no such parameter)", maxAbsError: .infinity, maxRelError: .infinity, passed: false, worst: []))
                continue
            }
            results.append(GoldenCases.compare("grad_\(key)", p.grad ?? Tensor.zeros(p.shape), expected, tolerance: GoldenCases.gradient))
        }
        return results
    }
}
