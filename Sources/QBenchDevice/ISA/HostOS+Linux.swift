// Which OS conventions the live ARM probe follows on Linux (HWCAP/HWCAP2 and prctl).
#if os(Linux)
extension ISAHostOS {
    /// The OS this binary runs on.
    public static var host: ISAHostOS { .linux }
}
#endif
