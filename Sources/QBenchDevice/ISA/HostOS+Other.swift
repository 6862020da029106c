// Any other OS: the ARM probe has no feature source there and reports only what CPUID (x86) gives.
#if !os(Linux) && !canImport(Darwin)
extension ISAHostOS {
    /// The OS this binary runs on.
    public static var host: ISAHostOS { .other }
}
#endif
