// dump_logits: oracle logits from llama.cpp for QuantBench's LLM forward pass.
//
// Loads a GGUF with the llama.cpp C API (CPU only), and for each prompt:
//   - tokenizes it as llama.cpp does by default (BOS added when the vocab says so,
//     parse_special = false),
//   - evaluates all positions in one batch (one sequence, positions 0..n-1), with
//     logits requested for every position,
//   - writes, per position, the top-K (id, logit) pairs sorted by logit descending
//     (ties by id ascending) and the log-sum-exp of the full logit row, computed in
//     double.
// Floats are printed with 9 significant digits (%.9g), enough to round-trip a float.
//
// Prompts file: one prompt per line, UTF-8, with the escapes \n, \t and \\ decoded;
// empty lines and lines starting with '#' are skipped.
//
// Build (outside the repo, against a llama.cpp build), e.g.:
//   g++ -O2 -std=c++17 -I$SRC/include -I$SRC/ggml/include dump_logits.cpp
//       -L$BUILD/bin -lllama -lggml -lggml-base -Wl,-rpath,$BUILD/bin -o dump_logits
// (one command line; see Tests/Fixtures/llm/README.md for the exact one used)
// Usage:
//   dump_logits -m MODEL.gguf -p PROMPTS.txt -o OUT.json [-t THREADS] [-k TOPK]
//               [--ctx N] [--kv f32|f16] [--fa off|on|auto]

#include "llama.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

static void usage(const char * argv0) {
    fprintf(stderr,
            "usage: %s -m MODEL.gguf -p PROMPTS.txt -o OUT.json [-t THREADS] [-k TOPK] "
            "[--ctx N] [--kv f32|f16] [--fa off|on|auto]\n",
            argv0);
}

static std::string decode_escapes(const std::string & line) {
    std::string out;
    for (size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (c == '\\' && i + 1 < line.size()) {
            char n = line[i + 1];
            if (n == 'n') { out += '\n'; ++i; continue; }
            if (n == 't') { out += '\t'; ++i; continue; }
            if (n == '\\') { out += '\\'; ++i; continue; }
        }
        out += c;
    }
    return out;
}

static std::string json_string(const std::string & s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"':  out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += (char) c; // UTF-8 bytes pass through
                }
        }
    }
    out += "\"";
    return out;
}

static std::string fmt9(double v) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

static std::string token_piece(const llama_vocab * vocab, llama_token t) {
    std::vector<char> buf(64);
    int n = llama_token_to_piece(vocab, t, buf.data(), (int) buf.size(), 0, true);
    if (n < 0) {
        buf.resize(-n);
        n = llama_token_to_piece(vocab, t, buf.data(), (int) buf.size(), 0, true);
    }
    return n > 0 ? std::string(buf.data(), n) : std::string();
}

static void quiet_log(enum ggml_log_level level, const char * text, void *) {
    if (level >= GGML_LOG_LEVEL_WARN) {
        fputs(text, stderr);
    }
}

int main(int argc, char ** argv) {
    std::string model_path, prompts_path, out_path;
    int n_threads = 2, top_k = 40, n_ctx = 2048;
    std::string kv = "f32", fa = "off";
    bool verbose = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) { usage(argv[0]); exit(64); }
            return argv[++i];
        };
        if (a == "-m") model_path = next();
        else if (a == "-p") prompts_path = next();
        else if (a == "-o") out_path = next();
        else if (a == "-t") n_threads = atoi(next().c_str());
        else if (a == "-k") top_k = atoi(next().c_str());
        else if (a == "--ctx") n_ctx = atoi(next().c_str());
        else if (a == "--kv") kv = next();
        else if (a == "--fa") fa = next();
        else if (a == "-v") verbose = true;
        else { usage(argv[0]); return 64; }
    }
    if (model_path.empty() || prompts_path.empty() || out_path.empty() || top_k <= 0 ||
        (kv != "f32" && kv != "f16") || (fa != "off" && fa != "on" && fa != "auto")) {
        usage(argv[0]);
        return 64;
    }

    std::vector<std::string> prompts;
    {
        std::ifstream in(prompts_path);
        if (!in) { fprintf(stderr, "cannot read %s\n", prompts_path.c_str()); return 66; }
        std::string line;
        while (std::getline(in, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty() || line[0] == '#') continue;
            prompts.push_back(decode_escapes(line));
        }
    }

    if (!verbose) llama_log_set(quiet_log, nullptr);
    llama_backend_init();

    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0; // CPU only
    llama_model * model = llama_model_load_from_file(model_path.c_str(), mp);
    if (!model) { fprintf(stderr, "cannot load %s\n", model_path.c_str()); return 1; }
    const llama_vocab * vocab = llama_model_get_vocab(model);
    const int n_vocab = llama_vocab_n_tokens(vocab);

    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = n_ctx;
    cp.n_batch = n_ctx;
    cp.n_ubatch = n_ctx;   // every prompt is evaluated in one physical batch
    cp.n_seq_max = 1;
    cp.n_threads = n_threads;
    cp.n_threads_batch = n_threads;
    cp.type_k = kv == "f32" ? GGML_TYPE_F32 : GGML_TYPE_F16;
    cp.type_v = cp.type_k;
    cp.flash_attn_type = fa == "off" ? LLAMA_FLASH_ATTN_TYPE_DISABLED
                       : fa == "on"  ? LLAMA_FLASH_ATTN_TYPE_ENABLED
                                     : LLAMA_FLASH_ATTN_TYPE_AUTO;
    cp.offload_kqv = false;
    cp.op_offload = false;
    cp.no_perf = true;
    llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "cannot create a context\n"); return 1; }

    char desc[256] = {0};
    llama_model_desc(model, desc, sizeof desc);
    std::string base = model_path.substr(model_path.find_last_of('/') + 1);

    std::string out;
    out += "{\n";
    out += "  \"generator\": \"Tests/Scripts/llm/dump_logits.cpp\",\n";
    out += "  \"llama_version\": " + json_string(llama_version()) + ",\n";
    out += "  \"model_file\": " + json_string(base) + ",\n";
    out += "  \"model_desc\": " + json_string(desc) + ",\n";
    out += "  \"n_vocab\": " + std::to_string(n_vocab) + ",\n";
    out += "  \"n_ctx\": " + std::to_string(llama_n_ctx(ctx)) + ",\n";
    out += "  \"n_threads\": " + std::to_string(n_threads) + ",\n";
    out += "  \"kv_cache_type\": " + json_string(kv) + ",\n";
    out += "  \"flash_attn\": " + json_string(fa) + ",\n";
    out += "  \"add_bos\": " + std::string(llama_vocab_get_add_bos(vocab) ? "true" : "false") + ",\n";
    out += "  \"parse_special\": false,\n";
    out += "  \"top_k\": " + std::to_string(top_k) + ",\n";
    out += "  \"float_format\": \"%.9g\",\n";
    out += "  \"lse\": \"log(sum(exp(logit))) over the full row, in double\",\n";
    out += "  \"top\": \"[token id, logit] pairs, logit descending, ties by id ascending\",\n";
    out += "  \"prompts\": [\n";

    for (size_t pi = 0; pi < prompts.size(); ++pi) {
        const std::string & text = prompts[pi];
        int n = -llama_tokenize(vocab, text.c_str(), (int) text.size(), nullptr, 0, true, false);
        std::vector<llama_token> toks(n);
        if (llama_tokenize(vocab, text.c_str(), (int) text.size(), toks.data(), n, true, false) != n) {
            fprintf(stderr, "tokenization failed for prompt %zu\n", pi);
            return 1;
        }
        if (n > n_ctx) { fprintf(stderr, "prompt %zu too long (%d tokens)\n", pi, n); return 1; }

        llama_memory_clear(llama_get_memory(ctx), true);
        llama_batch batch = llama_batch_init(n, 0, 1);
        for (int i = 0; i < n; ++i) {
            batch.token[i] = toks[i];
            batch.pos[i] = i;
            batch.n_seq_id[i] = 1;
            batch.seq_id[i][0] = 0;
            batch.logits[i] = 1;
        }
        batch.n_tokens = n;
        int rc = llama_decode(ctx, batch);
        if (rc != 0) { fprintf(stderr, "llama_decode failed (%d) for prompt %zu\n", rc, pi); return 1; }

        out += "    {\n";
        out += "      \"text\": " + json_string(text) + ",\n";
        out += "      \"n_tokens\": " + std::to_string(n) + ",\n";
        out += "      \"tokens\": [";
        for (int i = 0; i < n; ++i) out += (i ? ", " : "") + std::to_string(toks[i]);
        out += "],\n";
        out += "      \"pieces\": [";
        for (int i = 0; i < n; ++i) out += (i ? ", " : "") + json_string(token_piece(vocab, toks[i]));
        out += "],\n";
        out += "      \"positions\": [\n";

        std::vector<int> idx(n_vocab);
        for (int i = 0; i < n; ++i) {
            const float * row = llama_get_logits_ith(ctx, i);
            if (!row) { fprintf(stderr, "no logits at %d\n", i); return 1; }
            double mx = -INFINITY;
            for (int v = 0; v < n_vocab; ++v) mx = std::max(mx, (double) row[v]);
            double s = 0.0;
            for (int v = 0; v < n_vocab; ++v) s += std::exp((double) row[v] - mx);
            double lse = mx + std::log(s);

            std::iota(idx.begin(), idx.end(), 0);
            int k = std::min(top_k, n_vocab);
            std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int a, int b) {
                return row[a] > row[b] || (row[a] == row[b] && a < b);
            });
            out += "        {\"pos\": " + std::to_string(i) + ", \"lse\": " + fmt9(lse) + ", \"top\": [";
            for (int j = 0; j < k; ++j) {
                out += (j ? ", [" : "[") + std::to_string(idx[j]) + ", " + fmt9(row[idx[j]]) + "]";
            }
            out += "]}";
            out += (i + 1 < n) ? ",\n" : "\n";
        }
        out += "      ]\n";
        out += (pi + 1 < prompts.size()) ? "    },\n" : "    }\n";
        llama_batch_free(batch);
        fprintf(stderr, "prompt %zu: %d tokens\n", pi, n);
    }
    out += "  ]\n}\n";

    FILE * f = fopen(out_path.c_str(), "wb");
    if (!f) { fprintf(stderr, "cannot write %s\n", out_path.c_str()); return 73; }
    fwrite(out.data(), 1, out.size(), f);
    fclose(f);

    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
