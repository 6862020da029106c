import Foundation
import QBenchTestSupport
import XCTest
@testable import QBenchReport

final class MannWhitneyTests: XCTestCase {
    struct Fixture: Decodable {
        struct Pair: Decodable {
            var name: String
            var x: [UInt64]
            var y: [UInt64]
            var u1: Double
            var p: Double
            var method: String
        }
        var scipyVersion: String
        var pairs: [Pair]
    }

    /// Every pair of Tests/Fixtures/mannwhitney/pairs.json (scipy's p-values, Tests/Scripts/mannwhitney_fixture.py)
    /// within 1e-9, with the same U and the same method.
    func testMatchesScipyOnEveryFixturePair() throws {
        let url = TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/mannwhitney/pairs.json")
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        let f = try d.decode(Fixture.self, from: Data(contentsOf: url))
        XCTAssertGreaterThanOrEqual(f.pairs.count, 20)
        XCTAssertFalse(f.scipyVersion.isEmpty)
        var methods = Set<String>()
        for pair in f.pairs {
            let r = try XCTUnwrap(MannWhitney.test(pair.x, pair.y), pair.name)
            XCTAssertEqual(r.p, pair.p, accuracy: 1e-9, "\(pair.name) (scipy \(f.scipyVersion))")
            XCTAssertEqual(r.u1, pair.u1, accuracy: 1e-9, pair.name)
            XCTAssertEqual(r.method.rawValue, pair.method, pair.name)
            methods.insert(pair.method)
        }
        XCTAssertEqual(methods, ["exact", "asymptotic"], "the fixture covers both methods")
    }

    /// Values from the literature and scipy's documentation example (Mann and Whitney's 1947 table for small
    /// samples: P(U = 0) for 3 and 3 values is 1/20, so the two-sided p is 0.1).
    func testTextbookValues() throws {
        // Fully separated: 2 / C(6, 3) and 2 / C(8, 4).
        XCTAssertEqual(try XCTUnwrap(MannWhitney.test([1.0, 2, 3], [4, 5, 6])).p, 0.1, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(MannWhitney.test([1.0, 2, 3, 4], [5, 6, 7, 8])).p, 2.0 / 70, accuracy: 1e-12)
        // scipy.stats.mannwhitneyu documentation: males against females, U1 = 17, two-sided p = 1/9.
        let r = try XCTUnwrap(MannWhitney.test([19.0, 22, 16, 29, 24], [20, 11, 17, 12]))
        XCTAssertEqual(r.u1, 17)
        XCTAssertEqual(r.p, 1.0 / 9, accuracy: 1e-12)
        XCTAssertEqual(r.method, .exact)
        // Ties force the normal approximation: U1 = 2.5.
        let t = try XCTUnwrap(MannWhitney.test([1.0, 2, 2, 3], [2, 3, 4, 4]))
        XCTAssertEqual(t.u1, 2.5)
        XCTAssertEqual(t.method, .asymptotic)
        XCTAssertEqual(t.p, 0.13416918012812584, accuracy: 1e-12)
        // Symmetric: swapping the samples gives the same two-sided p.
        let a: [UInt64] = [5, 9, 14, 2, 7, 30, 11, 12, 40], b: [UInt64] = [8, 15, 16, 22, 31, 33, 18, 19, 21, 50]
        XCTAssertEqual(
            try XCTUnwrap(MannWhitney.test(a, b)).p, try XCTUnwrap(MannWhitney.test(b, a)).p, accuracy: 1e-15)
        // Identical samples: p = 1.
        XCTAssertEqual(try XCTUnwrap(MannWhitney.test(a, a)).p, 1)
        XCTAssertNil(MannWhitney.test([UInt64](), a))
    }

    /// The exact null distribution sums to C(m + n, m) and is symmetric.
    func testExactDistributionIsTheGaussianBinomial() {
        let f = MannWhitney.frequencies(m: 4, n: 6)
        XCTAssertEqual(f.reduce(0, +), 210)  // C(10, 4)
        XCTAssertEqual(f, f.reversed())
        XCTAssertEqual(f[0], 1)
        XCTAssertEqual(f[1], 1)
        XCTAssertEqual(f[2], 2)
    }

    func testMinimumP() {
        XCTAssertEqual(MannWhitney.minimumP(n1: 3, n2: 3), 0.1, accuracy: 1e-12)
        XCTAssertEqual(MannWhitney.minimumP(n1: 4, n2: 4), 2.0 / 70, accuracy: 1e-12)
        // Both above 8: the normal approximation of full separation.
        XCTAssertEqual(MannWhitney.minimumP(n1: 10, n2: 10), 0.00018267179110955002, accuracy: 1e-12)
        XCTAssertGreaterThan(MannWhitney.minimumP(n1: 3, n2: 3), 0.05)
        XCTAssertLessThan(MannWhitney.minimumP(n1: 5, n2: 5), 0.05)
    }
}
