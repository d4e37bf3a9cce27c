import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import HostKit
import PluginAPI
import XCTest

/// The ResNet plugin's CIFAR-10 experiments through the CLI, on small generated batch files
/// in the real binary format (the stand-in archive, unpacked as `host fetch` would).
final class CIFARCommandTests: XCTestCase {
    static let folder: String = {
        let root = TestSupport.temporaryFolder("cifar")
        let archive = CIFAR10.standInArchive(recordsPerBatch: 40, seed: 2)
        return (try? CIFAR10.install(archive: archive, expectedMD5: MD5.hex(archive), into: root, source: "stand-in")) ?? root
    }()

    func run(_ arguments: [String], in work: String, environment: [String: String] = [:]) throws -> TestSupport.Result {
        try TestSupport.run(TestSupport.hostPath, arguments + ["--quiet", "--json"], in: work, environment: environment)
    }

    func metrics(_ result: TestSupport.Result) throws -> [String: Double] {
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout + result.stderr)
        let metrics = try XCTUnwrap(object["metrics"] as? [String: Any])
        return metrics.compactMapValues { $0 as? Double ?? ($0 as? Int).map(Double.init) }
    }

    func testEveryCIFARExperimentSaysWhenTheDataIsAbsent() throws {
        let work = TestSupport.temporaryFolder("cifar-absent")
        for experiment in ["cifar-embed", "cifar-linear", "cifar-resnet18"] {
            let result = try run(["run", "ResNet", experiment, "--out", experiment], in: work,
                                 environment: ["CIFAR10_DIR": "", "HOST_DATA_DIR": work + "/empty"])
            XCTAssertEqual(result.status, 2, experiment)
            XCTAssertTrue(result.stderr.contains("CIFAR-10 is not here"), result.stderr)
            XCTAssertTrue(result.stderr.contains("host fetch cifar10"), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/" + experiment), "no run folder left for \(experiment)")
        }
    }

    func testLinearAndEmbedRunAndReadTheDefaultDataFolder() throws {
        let work = TestSupport.temporaryFolder("cifar-linear")
        // The folder `host fetch` fills is found without --cifar-dir.
        let root = (Self.folder as NSString).deletingLastPathComponent
        let linear = try run(["run", "ResNet", "cifar-linear", "--out", "linear"], in: work, environment: ["CIFAR10_DIR": "", "HOST_DATA_DIR": root])
        XCTAssertEqual(linear.status, 0, linear.stderr)
        let m = try metrics(linear)
        XCTAssertEqual(m["train_accuracy"], 1, "200 images in 3,072 dimensions are fitted exactly")
        XCTAssertGreaterThan(try XCTUnwrap(m["validation_accuracy"]), 0.4, "above the 1/3 of guessing among the three generated shapes")
        XCTAssertLessThan(try XCTUnwrap(m["relative_residual"]), 1e-8)
        let embed = try run(["run", "ResNet", "cifar-embed", "--cifar-dir", Self.folder, "--out", "embed"], in: work)
        XCTAssertEqual(embed.status, 0, embed.stderr)
        let e = try metrics(embed)
        let (share1, share2) = (try XCTUnwrap(e["pca_variance_share_1"]), try XCTUnwrap(e["pca_variance_share_2"]))
        XCTAssertTrue(share1 >= share2 && share2 > 0 && share1 + share2 < 1, "\(share1) \(share2)")
        XCTAssertEqual(try XCTUnwrap(e["canonical_correlation_1"]), 1, accuracy: 1e-3, "200 images in 3,072 dimensions: perfectly correlated")
        for file in ["embed/pca.svg", "embed/cca.svg", "linear/confusion.svg"] {
            let svg = try XCTUnwrap(FileManager.default.contents(atPath: work + "/" + file), file)
            XCTAssertTrue(XMLParser(data: svg).parse(), "\(file) is well-formed XML")
            XCTAssertTrue(String(decoding: svg, as: UTF8.self).contains("airplane"), "\(file) names the classes")
        }
    }

    func testResNet18TrainsCheckpointsResumesExactlyAndEvaluates() throws {
        let work = TestSupport.temporaryFolder("cifar-resnet18")
        let common = ["--cifar-dir", Self.folder, "--subset-train", "24", "--subset-val", "16", "--batch-size", "8", "--epochs", "2"]
        let straight = try run(["run", "ResNet", "cifar-resnet18"] + common + ["--out", "straight"], in: work)
        XCTAssertEqual(straight.status, 0, straight.stderr)
        let first = try run(["run", "ResNet", "cifar-resnet18"] + common + ["--stop-after", "1", "--out", "first"], in: work)
        XCTAssertEqual(first.status, 0, first.stderr)
        let resumed = try run(["run", "ResNet", "cifar-resnet18"] + common + ["--resume", "first", "--out", "resumed"], in: work)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let csv = { (run: String) in String(decoding: FileManager.default.contents(atPath: work + "/" + run + "/metrics.csv") ?? Data(), as: UTF8.self) }
        XCTAssertEqual(csv("straight").split(separator: "\n").first, "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,lr")
        XCTAssertEqual(csv("straight").split(separator: "\n").count, 3)
        XCTAssertEqual(csv("resumed"), csv("straight"), "stopping after epoch 1 and resuming gives the same numbers")
        for file in ["loss.svg", "accuracy.svg", "lr.svg", "confusion.svg", "checkpoint/state.json", "checkpoint/prep.0.weight.npy",
                     "checkpoint/layers.3.1.conv2.weight.npy", "checkpoint/momentum/0.npy"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/straight/" + file), file)
        }
        let eval = try run(["eval", "ResNet", "cifar-resnet18", "--checkpoint", "straight", "--cifar-dir", Self.folder,
                            "--subset-val", "16", "--out", "eval"], in: work)
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertEqual(try metrics(eval)["validation_accuracy"], try metrics(straight)["validation_accuracy"], "eval reproduces the run's accuracy")
        let again = try run(["run", "ResNet", "cifar-resnet18"] + common + ["--resume", "straight", "--out", "again"], in: work)
        XCTAssertEqual(again.status, 2)
        XCTAssertTrue(again.stderr.contains("has already trained 2 epochs"), again.stderr)
        let mismatch = try run(["run", "ResNet", "cifar-resnet18"] + common.dropLast(2) + ["--epochs", "3", "--arch", "standard", "--resume", "straight", "--out", "m"], in: work)
        XCTAssertTrue(mismatch.stderr.contains("was trained with --arch course"), mismatch.stderr)
    }

    func testStandardArchitectureAndSummaryOfBoth() throws {
        let work = TestSupport.temporaryFolder("cifar-standard")
        let standard = try run(["run", "ResNet", "cifar-resnet18", "--arch", "standard", "--lr-scheme", "annealed", "--cifar-dir", Self.folder,
                                "--subset-train", "8", "--subset-val", "8", "--batch-size", "8", "--epochs", "1", "--out", "s"], in: work)
        XCTAssertEqual(standard.status, 0, standard.stderr)
        let state = String(decoding: FileManager.default.contents(atPath: work + "/s/checkpoint/state.json") ?? Data(), as: UTF8.self)
        XCTAssertTrue(state.contains("\"architecture\" : \"standard\""), state)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/s/checkpoint/layer4.1.bn2.running_var.npy"))
        let summary = try run(["run", "ResNet", "summary", "--model", "resnet18", "--out", "summary"], in: work)
        let m = try metrics(summary)
        XCTAssertEqual(m["parameters"], 5_205_962, "as PyTorch counts the course's ResNet18")
        XCTAssertEqual(m["standard_parameters"], 11_173_962, "as PyTorch counts the standard ResNet18")
        let table = String(decoding: FileManager.default.contents(atPath: work + "/summary/summary-course.txt") ?? Data(), as: UTF8.self)
        XCTAssertTrue(table.contains("layers.3.1.conv2") && table.contains("[1, 256, 4, 4]") && table.contains("classifier"), table)
        let head = table.split(separator: "\n").first { $0.hasPrefix("pool ") }.map(String.init) ?? ""
        XCTAssertTrue(head.contains("ConcatPool2d") && head.contains("[1, 512]"), "the [avg, max] head has its row: " + table)
    }

    /// HW7 4(e): the three schemes in turn from the same weights on the same batches, the
    /// starter's rates step by step, and the comparison table.
    func testLearningRateSchemesCompareFromTheSameStart() throws {
        let work = TestSupport.temporaryFolder("cifar-lr-schemes")
        let result = try run(["run", "ResNet", "lr-schemes", "--cifar-dir", Self.folder, "--subset-train", "16", "--subset-val", "8",
                              "--batch-size", "8", "--out", "lr"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let m = try metrics(result)
        for scheme in ["constant", "annealed", "special"] {
            XCTAssertNotNil(m[scheme + "_validation_accuracy"], scheme)
        }
        let comparison = String(decoding: FileManager.default.contents(atPath: work + "/lr/comparison.csv") ?? Data(), as: UTF8.self)
        let rows = comparison.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(rows.map { $0.first ?? "" }, ["scheme", "constant", "annealed", "special"], comparison)
        XCTAssertEqual(rows.dropFirst().map { $0[5] }, ["1", "1", "1"], "one epoch by default, as the starter")
        let steps = String(decoding: FileManager.default.contents(atPath: work + "/lr/steps.csv") ?? Data(), as: UTF8.self)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(steps.count, 6, "two batches of 8 for each scheme")
        let byScheme = Dictionary(grouping: steps) { $0[0] }
        func column(_ scheme: String, _ c: Int) -> [Double] { (byScheme[scheme] ?? []).compactMap { Double($0[c]) } }
        XCTAssertEqual(column("constant", 3), [0.001, 0.001])
        XCTAssertEqual(column("annealed", 3)[0], 0.0099, accuracy: 1e-12)
        XCTAssertEqual(column("annealed", 3)[1], 0.009801, accuracy: 1e-12)
        XCTAssertEqual(column("special", 3), [0, 0.025], "0.05 x progress within the first of E = 4 epochs")
        // The same initial weights and the same first batch: the first losses agree exactly.
        let first = ["constant", "annealed", "special"].map { column($0, 4)[0] }
        XCTAssertEqual(Set(first).count, 1, "\(first)")
        XCTAssertNotEqual(column("constant", 4)[1], column("special", 4)[1], "the schemes differ after the first step")
        for file in ["loss.svg", "lr.svg", "accuracy.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/lr/" + file), file)
        }
    }

    func testNNGPCifarFCAndChallengeOnCIFAR() throws {
        let work = TestSupport.temporaryFolder("cifar-nngp")
        let fc = try run(["run", "NNGP", "cifar-fc", "--cifar-dir", Self.folder, "--epochs", "3", "--batch-size", "20", "--out", "fc"], in: work)
        XCTAssertEqual(fc.status, 0, fc.stderr)
        let csv = String(decoding: FileManager.default.contents(atPath: work + "/fc/metrics.csv") ?? Data(), as: UTF8.self)
        XCTAssertEqual(csv.split(separator: "\n").first, "epoch,train_loss,test_accuracy")
        XCTAssertEqual(csv.split(separator: "\n").count, 4, "a test accuracy per epoch")
        XCTAssertGreaterThan(try XCTUnwrap(try metrics(fc)["best_test_accuracy"]), 0.4, "above the 1/3 of guessing among three shapes")
        let mse = try run(["run", "NNGP", "cifar-fc", "--cifar-dir", Self.folder, "--optimizer", "adam", "--loss", "mse", "--epochs", "1", "--out", "mse"], in: work)
        XCTAssertEqual(mse.status, 0, mse.stderr)
        let challenge = try run(["run", "NNGP", "challenge", "--data", "cifar10", "--cifar-dir", Self.folder, "--subset-train", "120", "--subset-val", "40",
                                 "--subset-test", "40", "--widths", "32", "--depths", "1", "--epochs", "2", "--out", "challenge"], in: work)
        XCTAssertEqual(challenge.status, 0, challenge.stderr)
        XCTAssertNotNil(try metrics(challenge)["nngp_test_accuracy"])
        let table = String(decoding: FileManager.default.contents(atPath: work + "/challenge/challenge.csv") ?? Data(), as: UTF8.self)
        XCTAssertTrue(table.contains("ReLU NNGP") && table.contains("1 hidden x 32"), table)
        let tooMany = try run(["run", "NNGP", "challenge", "--data", "cifar10", "--cifar-dir", Self.folder, "--subset-train", "400", "--out", "big"], in: work)
        XCTAssertEqual(tooMany.status, 2)
        XCTAssertTrue(tooMany.stderr.contains("lower the subsets"), tooMany.stderr)
    }

    /// The issue's case: after 2 epochs, `--resume` with `--stop-after 1` is bad input, at once
    /// (it used to train past --epochs for ever); a resume never trains past --epochs.
    func testResumeNeverTrainsPastEpochsAndStopAfterBelowTheDoneEpochsIsBadInput() throws {
        let work = TestSupport.temporaryFolder("cifar-stop-after")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let common = ["--cifar-dir", Self.folder, "--subset-train", "16", "--subset-val", "8", "--batch-size", "8", "--epochs", "3"]
        let first = try run(["run", "ResNet", "cifar-resnet18"] + common + ["--stop-after", "2", "--out", "first"], in: work)
        XCTAssertEqual(first.status, 0, first.stderr)
        for stop in ["1", "2"] {
            let (status, stderr) = try Self.runWithTimeout(["run", "ResNet", "cifar-resnet18"] + common + ["--resume", "first", "--stop-after", stop, "--out", "again-" + stop],
                                                           in: work, seconds: 60)
            XCTAssertEqual(status, 2, stderr)
            XCTAssertTrue(stderr.contains("--stop-after \(stop) is at or below the 2 epochs"), stderr)
            XCTAssertTrue(stderr.contains("hint: give --stop-after above 2"), stderr)
        }
        let last = try run(["run", "ResNet", "cifar-resnet18"] + common + ["--resume", "first", "--stop-after", "5", "--out", "last"], in: work)
        XCTAssertEqual(last.status, 0, last.stderr)
        let rows = String(decoding: FileManager.default.contents(atPath: work + "/last/metrics.csv") ?? Data(), as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(rows.count, 4, "epochs 1 to 3 and no more")
    }

    /// SIGKILL at random instants of a run that checkpoints every epoch: each one resumes from
    /// a complete copy (`checkpoint/`, or mid-swap `checkpoint.previous/`/`.partial/`).
    func testKilledAtRandomPointsWhileCheckpointingEachRunResumes() throws {
        let work = TestSupport.temporaryFolder("cifar-kill")
        defer { try? FileManager.default.removeItem(atPath: work) }  // 16 runs of 42 MB checkpoints
        let common = ["--cifar-dir", Self.folder, "--subset-train", "8", "--subset-val", "8", "--batch-size", "8", "--epochs", "5"]
        var generator = SystemRandomNumberGenerator()
        var kills = 0, afterTraining = 0, copiesUsed: [String: Int] = [:]
        for trial in 0..<8 {
            let out = "killed-\(trial)"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: TestSupport.hostPath)
            process.arguments = ["run", "ResNet", "cifar-resnet18"] + common + ["--out", out, "--quiet"]
            process.currentDirectoryURL = URL(fileURLWithPath: work)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Wait for the first complete checkpoint, then kill at a random instant after it.
            let marker = work + "/\(out)/checkpoint/complete.json"
            let deadline = Date().addingTimeInterval(120)
            while !FileManager.default.fileExists(atPath: marker) && process.isRunning && Date() < deadline { usleep(2_000) }
            if trial % 2 == 0 {
                usleep(UInt32.random(in: 0...2_500_000, using: &generator))
            } else {
                // Aim at the swap itself: the new copy is marked complete, the renames follow.
                let staged = work + "/\(out)/checkpoint.partial/complete.json"
                while !FileManager.default.fileExists(atPath: staged) && process.isRunning && Date() < deadline { usleep(100) }
                usleep(UInt32.random(in: 0...3_000, using: &generator))
            }
            guard process.isRunning else { process.waitUntilExit(); continue }
            Self.killTree(process.processIdentifier)
            process.waitUntilExit()
            kills += 1
            let resumed = try run(["run", "ResNet", "cifar-resnet18"] + common + ["--resume", out, "--out", "resumed-\(trial)"], in: work)
            if resumed.status == 2, resumed.stderr.contains("has already trained 5 epochs, --epochs is 5") {
                // The kill came after the last epoch, while the run wrote its figures: there is
                // nothing to resume, as the killed run's live metrics.csv (all 5 epochs) shows.
                let killedRows = String(decoding: FileManager.default.contents(atPath: work + "/\(out)/metrics.csv") ?? Data(), as: UTF8.self)
                    .split(separator: "\n")
                XCTAssertEqual(killedRows.count, 6, "trial \(trial): refused as fully trained, so the killed run logged every epoch")
                afterTraining += 1
                continue
            }
            XCTAssertEqual(resumed.status, 0, "trial \(trial): \(resumed.stderr)")
            let summary = String(decoding: FileManager.default.contents(atPath: work + "/resumed-\(trial)/summary.json") ?? Data(), as: UTF8.self)
            let copy = summary.contains("checkpoint.previous") ? "previous" : summary.contains("checkpoint.partial") ? "partial" : "checkpoint"
            copiesUsed[copy, default: 0] += 1
            let rows = String(decoding: FileManager.default.contents(atPath: work + "/resumed-\(trial)/metrics.csv") ?? Data(), as: UTF8.self).split(separator: "\n")
            XCTAssertEqual(rows.count, 6, "trial \(trial): trained to --epochs 5 and no further")
        }
        XCTAssertGreaterThan(kills, 0, "at least one run was killed while it ran")
        print("killed \(kills) runs (\(afterTraining) after their last epoch); resumed from \(copiesUsed)")
    }

    /// Runs the host with a time limit (a run that does not end is killed and fails the test).
    static func runWithTimeout(_ arguments: [String], in folder: String, seconds: Double) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.hostPath)
        process.arguments = arguments + ["--quiet"]
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let errFile = folder + "/stderr-\(UUID().uuidString.prefix(6)).txt"
        FileManager.default.createFile(atPath: errFile, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: errFile))
        process.standardError = handle
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            killTree(process.processIdentifier)
            XCTFail("host \(arguments.joined(separator: " ")) did not end within \(seconds) s")
        }
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, String(decoding: FileManager.default.contents(atPath: errFile) ?? Data(), as: UTF8.self))
    }

    /// SIGKILL to a process and every process under it (a supervised worker included), the
    /// deepest first, so that the one doing the work dies at the chosen instant.
    static func killTree(_ root: pid_t) {
        var tree: [pid_t] = [root], index = 0
        while index < tree.count {
            let parent = tree[index]
            index += 1
            tree += children(of: parent).filter { !tree.contains($0) }
        }
        for pid in tree.reversed() { kill(pid, SIGKILL) }
    }

    /// The children of `parent`, from /proc/PID/task/*/children where the kernel has it,
    /// else from every process's parent in /proc/*/stat.
    static func children(of parent: pid_t) -> [pid_t] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(parent)/task")) ?? []
        let listed = tasks.compactMap { try? String(contentsOfFile: "/proc/\(parent)/task/\($0)/children", encoding: .utf8) }
        if !listed.isEmpty { return listed.flatMap { $0.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) } } }
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // After "pid (name) state": the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == parent ? pid : nil
        }
    }
}
