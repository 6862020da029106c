import XCTest
@testable import QBenchSupport
@testable import QBenchDevice

final class JSONTests: XCTestCase {
    func testQBJSON_roundTripsSnakeCaseKeys() throws {
        let m = MemoryInfo(totalBytes: 42, transparentHugepages: "madvise")
        let data = try QBJSON.encode(m)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains("\"total_bytes\" : 42"), text)
        XCTAssertTrue(text.contains("\"transparent_hugepages\" : \"madvise\""), text)
        XCTAssertEqual(try QBJSON.decoder().decode(MemoryInfo.self, from: data), m)
    }
}
