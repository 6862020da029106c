// Embeds the git commit and dirty flag of the source tree in QBenchSupport (`BuildInfo`), at build time.
// A prebuild command may only run a system executable, so /bin/sh runs scripts/build-stamp.sh, which writes
// BuildStamp.swift into the plugin's work directory; SwiftPM compiles it into the target. It runs before every
// build and rewrites the file only when the commit or the dirty flag changed.
import Foundation
import PackagePlugin

@main
struct BuildStamp: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let out = context.pluginWorkDirectoryURL.appendingPathComponent("stamp")
        let package = context.package.directoryURL
        return [.prebuildCommand(displayName: "Stamping \(target.name) with the git commit",
                                 executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: [package.appendingPathComponent("scripts/build-stamp.sh").path,
                                             package.path, out.path],
                                 outputFilesDirectory: out)]
    }
}
