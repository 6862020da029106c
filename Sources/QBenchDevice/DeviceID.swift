// The device fingerprint: the same hardware gives the same id on every probe, whatever its hostname, uptime
// or free memory, so reports from one machine compare and reports from different machines do not.

public enum DeviceID {
    /// The hardware facts the fingerprint covers. Nothing here changes while the machine runs.
    public struct Facts: Sendable, Equatable {
        public var vendor: String
        /// The brand string (e.g. `AMD EPYC 9654 96-Core Processor`); runs of whitespace count as one space.
        public var model: String
        public var arch: String
        public var family: Int?
        public var modelNumber: Int?
        public var stepping: Int?
        /// Usable features; order and duplicates do not matter.
        public var features: [CPUFeature]
        public var packages: Int
        public var cores: Int
        public var pus: Int
        public var caches: [CacheLevel]
        public var numaNodes: Int
        /// Installed memory; rounded to the nearest GiB so kernel reservations that move by megabytes between
        /// boots or kernel versions leave the id alone.
        public var memoryBytes: UInt64

        public init(
            vendor: String, model: String, arch: String, family: Int?, modelNumber: Int?, stepping: Int?,
            features: [CPUFeature], packages: Int, cores: Int, pus: Int, caches: [CacheLevel],
            numaNodes: Int, memoryBytes: UInt64
        ) {
            self.vendor = vendor; self.model = model; self.arch = arch; self.family = family
            self.modelNumber = modelNumber; self.stepping = stepping; self.features = features
            self.packages = packages; self.cores = cores; self.pus = pus; self.caches = caches
            self.numaNodes = numaNodes; self.memoryBytes = memoryBytes
        }

        /// The facts of a (possibly partly filled) profile: CPU identity from `cpu`, counts from `topology`,
        /// node count from `numa`, memory from `memory`.
        public init(cpu: CPUInfo, topology: Topology, numa: NUMAInfo, memory: MemoryInfo) {
            self.init(
                vendor: cpu.vendor, model: cpu.model, arch: cpu.arch, family: cpu.family,
                modelNumber: cpu.modelNumber, stepping: cpu.stepping, features: cpu.features,
                packages: topology.packages, cores: topology.cores, pus: topology.pus,
                caches: topology.caches, numaNodes: numa.nodes, memoryBytes: memory.totalBytes)
        }
    }

    /// The id: the first 16 hex digits (64 bits) of the SHA-256 of `canonicalString(facts)`.
    public static func compute(_ facts: Facts) -> String {
        String(SHA256.hex(Array(canonicalString(facts).utf8)).prefix(16))
    }

    /// The id of a profile's hardware sections (`DeviceProfile.id`).
    public static func compute(cpu: CPUInfo, topology: Topology, numa: NUMAInfo, memory: MemoryInfo) -> String {
        compute(Facts(cpu: cpu, topology: topology, numa: numa, memory: memory))
    }

    /// The text that is hashed, one `key=value` per line in a fixed order; versioned so a future change of
    /// fields is a deliberate new id scheme, not an accident.
    public static func canonicalString(_ f: Facts) -> String {
        let opt = { (v: Int?) in v.map(String.init) ?? "-" }
        let squash = { (s: String) in
            s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).joined(separator: " ")
        }
        let features = Set(f.features).sorted().map(\.rawValue).joined(separator: ",")
        let caches = f.caches
            .map { "L\($0.level)\($0.type.prefix(1)):\($0.sizeBytes)x\($0.count)/\($0.coresSharing)" }
            .sorted().joined(separator: ",")
        let gib: UInt64 = 1 << 30
        let memoryGiB = f.memoryBytes / gib + (f.memoryBytes % gib >= gib / 2 ? 1 : 0)
        return [
            "qbench.device-id/1",
            "vendor=\(squash(f.vendor))",
            "model=\(squash(f.model))",
            "arch=\(f.arch)",
            "family=\(opt(f.family)) model_number=\(opt(f.modelNumber)) stepping=\(opt(f.stepping))",
            "features=\(features)",
            "packages=\(f.packages) cores=\(f.cores) pus=\(f.pus)",
            "caches=\(caches)",
            "numa_nodes=\(f.numaNodes)",
            "memory_gib=\(memoryGiB)",
        ].joined(separator: "\n")
    }
}

/// SHA-256 (FIPS 180-4), small and dependency-free: the fingerprint needs a stable hash, not a crypto library.
enum SHA256 {
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    static func hash(_ message: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
            0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
        ]
        var data = message
        let bitLength = UInt64(message.count) &* 8
        data.append(0x80)
        while data.count % 64 != 56 { data.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) {
            data.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }

        var w = [UInt32](repeating: 0, count: 64)
        for chunk in stride(from: 0, to: data.count, by: 64) {
            for i in 0..<16 {
                let b = chunk + 4 * i
                w[i] =
                    UInt32(data[b]) << 24 | UInt32(data[b + 1]) << 16 | UInt32(data[b + 2]) << 8 | UInt32(data[b + 3])
            }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for i in 0..<64 {
                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
            }
            h[0] = h[0] &+ a; h[1] = h[1] &+ b; h[2] = h[2] &+ c; h[3] = h[3] &+ d
            h[4] = h[4] &+ e; h[5] = h[5] &+ f; h[6] = h[6] &+ g; h[7] = h[7] &+ hh
        }
        return h.flatMap { v in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> UInt32($0)) } }
    }

    static func hex(_ message: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(hash(message).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xf)]] })
    }

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
}
