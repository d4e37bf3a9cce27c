import PluginAPI

/// The options that choose `RegressionData` (kernels and width): problem 11's generated
/// points, or the user's four .npy arrays in their place.
struct RegressionSettings: ExperimentSettings {
    var n = 100, nTest = 5_000, d = 200
    var testLabels = TestLabels.normalized
    /// The user's arrays: all four or none.
    var x: String?, y: String?, xTest: String?, yTest: String?

    /// Which rows the generated test labels are computed from.
    enum TestLabels: String, CaseIterable, Sendable { case normalized, raw }

    static let fields: [SettingField<RegressionSettings>] = [
        .int("n", \.n, range: 1...20_000, help: "training points (generated data)"),
        .int("n-test", \.nTest, range: 1...1_000_000, help: "test points (generated data)"),
        .int("d", \.d, range: 1...100_000, help: "input dimension (generated data)"),
        .choice("test-labels", \.testLabels,
                help: "y_t = f(X_t) of the normalised test rows, as the training labels; raw: of the rows before normalising (the text's literal order)"),
        .path("x", \.x, help: "training inputs, n x d .npy (with --y, --x-test, --y-test: replaces the generated data)"),
        .path("y", \.y, help: "training targets, n .npy"),
        .path("x-test", \.xTest, help: "test inputs, m x d .npy"),
        .path("y-test", \.yTest, help: "test targets, m .npy"),
    ]
}
