// Where tests find the real-machine fixtures and the package root.
import Foundation
import XCTest

public enum TestPaths {
    /// The package root (Tests/QBenchTestSupport/ is two levels below it).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `$QBENCH_FIXTURES` (a larger or newer capture set), else the copy committed in Tests/Fixtures/real-machines.
    public static var fixtures: URL {
        if let env = ProcessInfo.processInfo.environment["QBENCH_FIXTURES"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return packageRoot.appendingPathComponent("Tests/Fixtures/real-machines")
    }

    /// Skips the test with a clear reason when the fixtures folder (or a sub-path of it) is absent.
    public static func requireFixtures(_ sub: String = "") throws -> URL {
        let url = sub.isEmpty ? fixtures : fixtures.appendingPathComponent(sub)
        try XCTSkipUnless(
            FileManager.default.fileExists(atPath: url.path),
            "real-machine fixtures not found at \(url.path) (set QBENCH_FIXTURES)")
        return url
    }

    /// A fresh scratch folder for one test, removed by the caller or left under the system temp dir.
    public static func scratch(_ name: String = #function) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("qbench-tests-\(getpid())")
            .appendingPathComponent(name.filter { $0.isLetter || $0.isNumber })
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
