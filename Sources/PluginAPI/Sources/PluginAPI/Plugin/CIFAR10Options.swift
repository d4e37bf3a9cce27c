import Datasets

/// CIFAR-10's folder as an experiment option: the reader (`CIFAR10`, in the Datasets layer)
/// knows where the data lives; declaring it as an option is the contract's business.
extension CIFAR10 {
    /// The `--cifar-dir` option every CIFAR experiment takes, its help naming the lookup order
    /// of `folder(option:)`; `otherwise` says what happens when no folder is found.
    public static func folderOption(otherwise: String = "an error saying how to get it") -> OptionSpec {
        .path("cifar-dir", help: "CIFAR-10's binary version (data_batch_1.bin ... test_batch.bin); else $CIFAR10_DIR, else the folder `host fetch cifar10` fills; else \(otherwise)")
    }

    /// The same option as a typed field of an experiment's settings (`ExperimentSettings`):
    /// `CIFAR10.folderField(\.cifarDir)`, read with `requireFolder(option: settings.cifarDir)`.
    public static func folderField<Settings>(_ keyPath: WritableKeyPath<Settings, String?>,
                                             otherwise: String = "an error saying how to get it") -> SettingField<Settings> {
        let option = folderOption(otherwise: otherwise)
        return .path(option.name, keyPath, help: option.help)
    }
}
