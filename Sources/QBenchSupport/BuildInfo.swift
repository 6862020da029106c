// What this binary was built from and how: the git commit and dirty flag (stamped by Plugins/BuildStamp before
// every build) and the build configuration. Reports record them (`run.provenance.build`, docs/report.md).

/// Facts fixed when this binary was built.
public enum BuildInfo {
    /// The full git commit of the source tree, nil when it was built outside a git work tree of its own (a
    /// tarball) or without git.
    public static var commit: String? { GeneratedBuildStamp.commit }

    /// True when the tree had changes against `commit` (tracked edits, or untracked files git does not ignore);
    /// nil when `commit` is.
    public static var dirty: Bool? { GeneratedBuildStamp.dirty }

    /// `debug` or `release`: SwiftPM defines `DEBUG` in debug builds only.
    public static var configuration: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }
}
