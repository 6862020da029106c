// The profiles compiled into the binary are exactly the files of profiles/, and each one loads.
import Foundation
import XCTest
@testable import QBenchProfiles
import QBenchTestSupport

final class BuiltInProfilesTests: XCTestCase {
    private var profilesDir: URL { TestPaths.packageRoot.appendingPathComponent("profiles") }

    func testBuiltInProfiles_equalTheFilesOfProfilesFolderByteForByte() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: profilesDir.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertEqual(
            files.map { String($0.dropLast(5)) }, ProfileLoader.embeddedNames,
            "profiles/ and the built-in set differ: run `make profiles`")
        for file in files {
            let text = try String(contentsOf: profilesDir.appendingPathComponent(file), encoding: .utf8)
            XCTAssertEqual(
                BuiltInProfiles.yaml[String(file.dropLast(5))], text,
                "\(file) differs from its built-in copy: run `make profiles`")
        }
    }

    func testBuiltInProfiles_resolveFromAnyDirectoryWithoutAProfilesFolder() throws {
        for name in ProfileLoader.embeddedNames {
            let loaded = try ProfileLoader.resolve(name, searchDirectories: [])
            XCTAssertEqual(loaded.source, "embedded:\(name)")
            XCTAssertFalse(loaded.profile.formats.isEmpty, "\(name) lists no formats")
        }
    }
}
