// `qbench matrix --price FILE.yaml`: what an hour of each device costs, for tokens per dollar.
import Foundation
import QBenchSupport
import QBenchProfiles

/// USD per hour by device id or CPU model string, as a flat YAML mapping:
///
///     f413c9202cd2dcec: 0.68          # a device id (qbench probe, a report's device.id)
///     "AMD EPYC 9654 96-Core Processor": 4.1
public struct PriceTable: Sendable, Equatable {
    /// The file the prices came from (for notes).
    public var path: String
    /// Key (device id or CPU model) -> USD per hour.
    public var prices: [String: Double]

    public init(path: String, prices: [String: Double]) { self.path = path; self.prices = prices }

    /// A price file is a few lines; a larger one is not one.
    public static let maxBytes = 1 << 20

    /// Reads and checks a price file.
    /// - Throws: `QBError.badInput` naming the file (missing, a folder, empty, not YAML, not a flat mapping, a
    ///   price that is not a positive number); `QBError.io` when it cannot be read.
    public static func load(path: String) throws -> PriceTable {
        try parse(yaml: try InputFile.text(path, maxBytes: maxBytes), path: path)
    }

    /// Parses price YAML; errors name `path` and the line.
    public static func parse(yaml: String, path: String) throws -> PriceTable {
        var prices: [String: Double] = [:]
        for e in try YAMLDocument.scalarMapping(yaml: yaml, path: path) {
            let text = e.value.trimmingCharacters(in: .whitespaces)
            guard let usd = Double(text), usd.isFinite, usd > 0 else {
                throw QBError.badInput(
                    path: path,
                    message: "line \(e.line): \(quoted(e.key)): expected a price per hour in USD (a positive "
                        + "number), found \(quoted(e.value, "\""))"
                ).oneLine
            }
            prices[e.key] = usd
        }
        return PriceTable(path: path, prices: prices)
    }

    /// The price of a device: by its id first, then by its CPU model.
    public func price(id: String, cpuModel: String) -> Double? { prices[id] ?? prices[cpuModel] }

    /// Keys that name none of the devices, sorted.
    public func unmatched(ids: Set<String>, cpuModels: Set<String>) -> [String] {
        prices.keys.filter { !ids.contains($0) && !cpuModels.contains($0) }.sorted()
    }
}
