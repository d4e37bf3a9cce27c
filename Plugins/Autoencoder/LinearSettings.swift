import PluginAPI

/// z's dimension d and the inner width k: the options linear-zero and linear-init share.
struct LinearShapeSettings: ExperimentSettings {
    var d = 100, k = 50

    static let fields: [SettingField<LinearShapeSettings>] = [
        .int("d", \.d, range: 1...100_000, help: "dimension of z"),
        .int("k", \.k, range: 1...100_000, help: "inner width"),
    ]
}

/// Plain gradient descent's steps and rate: the options linear-zero and linear-image share
/// (these defaults are linear-image's; linear-zero's settings change them).
struct GradientDescentSettings: ExperimentSettings {
    var steps = 1000
    var lr: Float = 1e-4

    static let fields: [SettingField<GradientDescentSettings>] = [
        .int("steps", \.steps, range: 1...1_000_000, help: "gradient steps"),
        .double("lr", \.lr, max: 10, positive: true, help: "learning rate"),
    ]
}

extension LinearExperiments {
    /// linear-zero's options: the shape, and 10 steps at rate 0.01.
    struct ZeroSettings: ExperimentSettings {
        var shape = LinearShapeSettings()
        var descent = GradientDescentSettings()
        init() { (descent.steps, descent.lr) = (10, 0.01) }

        static let fields: [SettingField<ZeroSettings>] = SettingField.nested(\.shape, LinearShapeSettings.fields)
            + SettingField.nested(\.descent, GradientDescentSettings.fields)
    }

    /// linear-init's options: the shape, the steps for each rate, and the rates.
    struct InitSettings: ExperimentSettings {
        var shape = LinearShapeSettings()
        var steps = 1000
        var lrs = [1e-4, 1e-3, 1e-2, 1e-1]

        static let fields: [SettingField<InitSettings>] = SettingField.nested(\.shape, LinearShapeSettings.fields) + [
            .int("steps", \.steps, range: 1...1_000_000, help: "gradient steps per rate"),
            .numbers("lrs", \.lrs, positive: true, help: "learning rates"),
        ]
    }

    /// linear-image's options: the inner width (at most the image's 3,072 values), gradient
    /// descent, the test images fed through and where the images come from.
    struct ImageSettings: ExperimentSettings {
        var k = 50
        var descent = GradientDescentSettings()
        var tests = 5
        var images = ImageSource.Settings()

        static let fields: [SettingField<ImageSettings>] = [.int("k", \.k, range: 1...3072, help: "inner width")]
            + SettingField.nested(\.descent, GradientDescentSettings.fields)
            + [.int("tests", \.tests, range: 1...100, help: "test images fed through")]
            + SettingField.nested(\.images, ImageSource.Settings.fields)
    }
}
