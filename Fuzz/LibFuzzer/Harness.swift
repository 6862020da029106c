// libFuzzer entry point for the model-file readers. Built by scripts/test.d/fuzz-readers.sh when
// QBENCH_LIBFUZZER_SECONDS is set:
//   swiftc -parse-as-library -sanitize=fuzzer,address <ModelFiles sources> Fuzz/LibFuzzer/Harness.swift
// The first input byte selects the reader (even: GGUF, odd: safetensors); the rest is the file.
// A refusal is fine; a crash, a sanitizer report, or an error that is not one `badInput` line aborts.
import Foundation
import QBenchFuzzing
import QBenchModelFiles
import QBenchSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func qbenchFuzzModelFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let format: ModelFileFormat = data[0] & 1 == 0 ? .gguf : .safetensors
    if case let .failed(problem) = ModelFileFuzzer.check(bytes, format: format) {
        FileHandle.standardError.write(Data("qbench fuzz failure (\(format)): \(problem)\n".utf8))
        abort()
    }
    return 0
}
