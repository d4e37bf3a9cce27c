import Foundation
import PluginAPI

/// Experiment `solve`: the dual solver on the user's arrays.
enum SolveExperiment {
    static let declaration = Experiment(
        name: "solve",
        summary: "Solve the kernel SVM dual for your data: --x n x d and --y (n, +-1) as .npy; alphas, objective, predictions",
        settings: Settings.self,
        metrics: [
            MetricSpec("objective", goal: .lowerIsBetter, help: "final dual objective"),
            MetricSpec("support_vectors", help: "training points with alpha > 1e-6"),
            MetricSpec("train_accuracy", goal: .higherIsBetter, help: "share of training points with sign f = y"),
            MetricSpec("bias", help: "with --bias: b from the KKT conditions (absent when no margin support vector fixes it)"),
        ],
        train: run)

    /// The arrays, the kernel and the solver's settings.
    struct Settings: ExperimentSettings {
        /// The .npy files of the training inputs and labels; both required, nil until given.
        var x: String?, y: String?
        var kernel = KernelName.rbf
        var degree = 2
        var sigma = 1.0
        /// The soft-margin bound; 0 for a hard margin.
        var c = 0.0
        var lr: Float = 0.1
        var steps = 10_000
        var bias = false
        /// Points to predict (a .npy file), or nil.
        var grid: String?

        /// The kernels `--kernel` names.
        enum KernelName: String, CaseIterable, Sendable { case poly, rbf, linear }

        static let fields: [SettingField<Settings>] = [
            .path("x", \.x, help: "training inputs, an n x d .npy array"),
            .path("y", \.y, help: "training labels, an n-vector .npy of +1 and -1"),
            .choice("kernel", \.kernel, help: "polynomial (1 + <x, x'>)^degree, RBF exp(-||x - x'||^2 / (2 sigma^2)), or linear <x, x'>"),
            .int("degree", \.degree, range: 1...20, help: "polynomial degree"),
            .double("sigma", \.sigma, max: 1e6, positive: true, help: "RBF width"),
            .double("c", \.c, min: 0, max: 1e12, help: "soft-margin bound C (0 = hard margin, a >= 0 only)"),
            .double("lr", \.lr, max: 1e6, positive: true, help: "projected gradient descent step"),
            .int("steps", \.steps, range: 1...100_000_000, help: "projected gradient descent steps"),
            .flag("bias", \.bias, help: "fit a free bias b, f = sum a_i y_i K(x_i, .) + b: adds sum a_i y_i = 0 to the dual (exact projection), b from the margin support vectors (CS446 HW2 problem 1)"),
            .path("grid", \.grid, help: "points to predict, an m x d .npy array; predictions.npy gets f at each"),
        ]

        /// The kernel `--kernel` names, with its `--degree` or `--sigma`.
        var chosenKernel: Kernel {
            switch kernel {
            case .poly: .polynomial(degree: degree)
            case .linear: .linear
            case .rbf: .rbf(sigma: sigma)
            }
        }
    }

    static func run(_ context: RunContext, _ settings: Settings) throws {
        guard let xPath = settings.x, let yPath = settings.y else {
            throw PluginError.invalidInput("solve needs --x and --y", hint: "host run SVM solve --x inputs.npy --y labels.npy (labels +1/-1)")
        }
        let (x, y) = try readData(xPath, yPath)
        let (kernel, c, bias) = (settings.chosenKernel, settings.c, settings.bias)
        let solver = DualSolver(kernel: kernel, c: c > 0 ? c : nil, lr: settings.lr, steps: settings.steps, bias: bias)
        var grid: Tensor?
        if let gridPath = settings.grid {
            let g = try readMatrix(gridPath, name: "--grid")
            guard g.shape[1] == x.shape[1] else {
                throw PluginError.invalidInput("\(gridPath): points of dimension \(g.shape[1]), the training inputs have \(x.shape[1])", hint: "give --grid an m x \(x.shape[1]) array")
            }
            grid = g
        }
        context.log("solve: \(x.shape[0]) points of dimension \(x.shape[1]), \(kernel), " + (c > 0 ? "C = \(formatNumber(c))" : "hard margin") + (bias ? ", free bias" : ""))
        let model = try solver.solve(x: x, y: y, logEvery: max(1, solver.steps / 200), watch: TrainingWatch(context))
        let fitted = model.predict(x)
        let correct = zip(fitted, y.values).filter { ($0 > 0) == ($1 > 0) && $0 != 0 }.count
        context.metrics.final("objective", model.finalObjective)
        context.metrics.final("support_vectors", Double(model.alpha.filter { $0 > 1e-6 }.count))
        context.metrics.final("train_accuracy", Double(correct) / Double(fitted.count))
        if bias {
            if let b = model.bias {
                context.metrics.final("bias", b)
                context.log("solve: b = \(formatNumber(b)) from the margin support vectors")
            } else {
                context.log("solve: no margin support vector, so b is not determined by the data (every b in an interval is optimal)")
            }
        }
        try context.artifacts.writeNPY(NPYArray(shape: [model.alpha.count], floats: model.alpha), to: "alphas.npy")
        if let grid {
            let predictions = model.predict(grid)
            try context.artifacts.writeNPY(NPYArray(shape: [predictions.count], floats: predictions), to: "predictions.npy")
        }
        let curve = LinePlot(title: "Dual objective, \(kernel)", xLabel: "step", yLabel: "f(alpha)",
                             series: [Series("objective", x: model.objective.map { Double($0.step) }, y: model.objective.map(\.value))])
        try context.artifacts.write(curve.svg(), to: "objective.svg")
    }

    /// Reads and checks the training arrays: x (n, d) finite, y (n) of +-1.
    static func readData(_ xPath: String, _ yPath: String) throws -> (Tensor, Tensor) {
        let x = try readMatrix(xPath, name: "--x")
        let labels = try NPY.read(yPath)
        let n = x.shape[0]
        guard labels.shape == [n] || labels.shape == [n, 1] else {
            throw PluginError.invalidInput("\(yPath): shape \(labels.shape), --x has \(n) points", hint: "--y must be a vector of \(n) labels")
        }
        if let bad = labels.values.firstIndex(where: { $0 != 1 && $0 != -1 }) {
            throw PluginError.invalidInput("\(yPath): label \(formatNumber(labels.values[bad])) at position \(bad) is not +1 or -1",
                                           hint: "SVM labels are +1 and -1 (map 0/1 labels with y = 2 * label - 1)")
        }
        return (x, Tensor(labels.floats, shape: [n]))
    }

    /// A finite 2-D array from a .npy file.
    static func readMatrix(_ path: String, name: String) throws -> Tensor {
        let array = try NPY.read(path)
        guard array.shape.count == 2, array.shape[0] > 0, array.shape[1] > 0 else {
            throw PluginError.invalidInput("\(path): shape \(array.shape), \(name) needs a 2-D array (points x dimensions)", hint: "reshape it, e.g. x.reshape(len(x), -1)")
        }
        if let bad = array.values.firstIndex(where: { !$0.isFinite }) {
            throw PluginError.invalidInput("\(path): value \(array.values[bad]) at flat index \(bad) (row \(bad / array.shape[1]))",
                                           hint: "remove or impute NaN and infinite values before solving")
        }
        return Tensor(try array.float32Values(source: path), shape: array.shape)
    }
}
