import PluginAPI

/// The `--cifar-dir` option that cifar-fc, cifar-samples and challenge share, named and
/// explained as `CIFAR10.folderField` declares it for every CIFAR-10 experiment.
struct CIFARFolderSettings: ExperimentSettings {
    /// The folder given with the option; nil: `$CIFAR10_DIR` or the default data folder.
    var folder: String?

    static let fields: [SettingField<CIFARFolderSettings>] = [CIFAR10.folderField(\.folder)]

    /// The folder to read, or an error saying that CIFAR-10 is absent and how to get it.
    func requireFolder() throws -> String { try CIFAR10.requireFolder(option: folder) }
}
