// Which compilers built this binary: fixed at compile time, so probing runs no `swift --version`.
import CQBench

public enum ToolchainInfo {
    /// The toolchain of this build, as the profile's `toolchain` section.
    public static var current: Toolchain { Toolchain(swift: swiftVersion, cCompiler: cCompiler) }

    /// The Swift compiler version, resolved by a `#if compiler(>=...)` ladder down to the patch release, since
    /// Swift exposes no version string at compile time. Patch 5 and later of a minor read `6.x.5+`; a compiler
    /// newer than the ladder reads `>=6.6`.
    public static var swiftVersion: String {
        #if compiler(>=6.6)
        return ">=6.6"
        #elseif compiler(>=6.5.5)
        return "6.5.5+"
        #elseif compiler(>=6.5.4)
        return "6.5.4"
        #elseif compiler(>=6.5.3)
        return "6.5.3"
        #elseif compiler(>=6.5.2)
        return "6.5.2"
        #elseif compiler(>=6.5.1)
        return "6.5.1"
        #elseif compiler(>=6.5)
        return "6.5"
        #elseif compiler(>=6.4.5)
        return "6.4.5+"
        #elseif compiler(>=6.4.4)
        return "6.4.4"
        #elseif compiler(>=6.4.3)
        return "6.4.3"
        #elseif compiler(>=6.4.2)
        return "6.4.2"
        #elseif compiler(>=6.4.1)
        return "6.4.1"
        #elseif compiler(>=6.4)
        return "6.4"
        #elseif compiler(>=6.3.5)
        return "6.3.5+"
        #elseif compiler(>=6.3.4)
        return "6.3.4"
        #elseif compiler(>=6.3.3)
        return "6.3.3"
        #elseif compiler(>=6.3.2)
        return "6.3.2"
        #elseif compiler(>=6.3.1)
        return "6.3.1"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2.5)
        return "6.2.5+"
        #elseif compiler(>=6.2.4)
        return "6.2.4"
        #elseif compiler(>=6.2.3)
        return "6.2.3"
        #elseif compiler(>=6.2.2)
        return "6.2.2"
        #elseif compiler(>=6.2.1)
        return "6.2.1"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1.5)
        return "6.1.5+"
        #elseif compiler(>=6.1.4)
        return "6.1.4"
        #elseif compiler(>=6.1.3)
        return "6.1.3"
        #elseif compiler(>=6.1.2)
        return "6.1.2"
        #elseif compiler(>=6.1.1)
        return "6.1.1"
        #elseif compiler(>=6.1)
        return "6.1"
        #elseif compiler(>=6.0.5)
        return "6.0.5+"
        #elseif compiler(>=6.0.4)
        return "6.0.4"
        #elseif compiler(>=6.0.3)
        return "6.0.3"
        #elseif compiler(>=6.0.2)
        return "6.0.2"
        #elseif compiler(>=6.0.1)
        return "6.0.1"
        #elseif compiler(>=6.0)
        return "6.0"
        #else
        return "<6.0"
        #endif
    }

    /// The C compiler that built the kernels (`clang ` + `__clang_version__`), from `qb_toolchain_c_compiler`.
    public static var cCompiler: String { String(cString: qb_toolchain_c_compiler()) }

    /// The flags the kernels were compiled with (Package.swift's `cqbenchFlags`), from `qb_toolchain_c_flags`.
    public static var cFlags: [String] {
        String(cString: qb_toolchain_c_flags()).split(separator: " ").map(String.init)
    }
}
