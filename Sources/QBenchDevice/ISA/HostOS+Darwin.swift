// Which OS conventions the live ARM probe follows on Darwin (hw.optional sysctls).
#if canImport(Darwin)
extension ISAHostOS {
    /// The OS this binary runs on.
    public static var host: ISAHostOS { .darwin }
}
#endif
