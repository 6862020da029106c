// QBenchLLM: a real language model end to end on the suite's kernels (`qbench llm`): the model's
// hyperparameters and weights from a GGUF file, its tokenizer, and a forward pass with a KV cache whose linear
// layers run on the kernel registry's variants. The reference model (every weight dequantized to f32) is what
// each quantized format is scored against (KL divergence, top-1 agreement, perplexity).
import QBenchSupport

/// The architectures `qbench llm` runs, as `general.architecture` spells them.
public enum LLMArchitecture: String, CaseIterable, Sendable, Codable {
    case llama
    case qwen2
    case gemma3
}
