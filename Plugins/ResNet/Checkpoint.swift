import Foundation
import PluginAPI

/// A trained network saved in the run folder: `checkpoint/` holds one `.npy` per state-dict
/// tensor (PyTorch names) and `model.json` with the architecture, so `host eval` rebuilds it.
enum Checkpoint {
    static let folder = "checkpoint"

    static func save(_ model: HW3ResNet, settings: FitAndValidate.Settings, imageSize: (Int, Int), context: RunContext) throws {
        let path = try context.artifacts.makeFolder(folder)
        try model.save(to: path)
        let description: [String: Any] = ["model": "hw3_resnet", "channels": settings.channels, "act": settings.activation.rawValue,
                                          "norm": settings.norm.rawValue, "height": imageSize.0, "width": imageSize.1]
        let json = try JSONSerialization.data(withJSONObject: description, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: URL(fileURLWithPath: (path as NSString).appendingPathComponent("model.json")), options: .atomic)
    }

    static func load(_ path: String, data: DigitsSplit) throws -> HW3ResNet {
        let hint = "give the checkpoint folder of a `host run ResNet digits` run (runs/ResNet-digits-.../checkpoint)"
        let jsonPath = (path as NSString).appendingPathComponent("model.json")
        guard let bytes = FileManager.default.contents(atPath: jsonPath) else {
            throw PluginError.invalidInput("\(jsonPath) is missing", hint: hint)
        }
        guard let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any],
              let channels = object["channels"] as? Int, (1...512).contains(channels),
              let act = (object["act"] as? String).flatMap(HW3ResNet.Activation.init(rawValue:)),
              let norm = (object["norm"] as? String).flatMap(HW3ResNet.Norm.init(rawValue:)),
              let height = object["height"] as? Int, let width = object["width"] as? Int else {
            throw PluginError.invalidInput("\(jsonPath) does not describe an hw3 ResNet (channels, act, norm, height, width)", hint: hint)
        }
        guard (height, width) == (data.validation.height, data.validation.width) else {
            throw PluginError.invalidInput("the checkpoint was trained on \(height) x \(width) images, the data has \(data.validation.height) x \(data.validation.width)",
                                           hint: "evaluate on images of the size it was trained on (--digits-dir)")
        }
        var generator = SeededGenerator(seed: 0)
        let model = HW3ResNet(channels: channels, activation: act, norm: norm, inputSize: (height, width), generator: &generator)
        try model.load(from: path)
        return model
    }
}
