import PluginAPI

extension ChallengeExperiment {
    /// The networks to train and how, and the data: the digits, or subsets of CIFAR-10.
    struct Settings: ExperimentSettings {
        var widths = [64, 256, 1024], depths = [1, 2]
        var epochs = 40
        var lr: Float = 0.001
        var batch = 64
        var data = DataSet.digits
        var digitsDir: String?
        var cifar = CIFARFolderSettings()
        var subsetTrain = 4000, subsetVal = 1000, subsetTest = 2000

        /// The images compared on.
        enum DataSet: String, CaseIterable, Sendable { case digits, cifar10 }

        static let fields: [SettingField<Settings>] = [
            .integers("widths", \.widths, range: 1...100_000, help: "hidden widths of the networks"),
            .integers("depths", \.depths, range: 1...100_000, help: "numbers of hidden layers"),
            .int("epochs", \.epochs, range: 1...10_000, help: "Adam epochs for each network"),
            .double("lr", \.lr, max: 10, positive: true, help: "Adam learning rate"),
            .int("batch", \.batch, range: 1...100_000, help: "minibatch size"),
            .choice("data", \.data, help: "the embedded digits (180 test, 180 validation, the rest training) or CIFAR-10"),
            .path("digits-dir", \.digitsDir, help: "MNIST-style IDX files instead of the embedded digits"),
        ] + SettingField.nested(\.cifar, CIFARFolderSettings.fields) + [
            .int("subset-train", \.subsetTrain, range: 10...49_000, help: "CIFAR-10: training images (the first of the training batches)"),
            .int("subset-val", \.subsetVal, range: 10...10_000, help: "CIFAR-10: validation images (the training images after those)"),
            .int("subset-test", \.subsetTest, range: 10...10_000, help: "CIFAR-10: test images (the first of the test batch)"),
        ]
    }
}
