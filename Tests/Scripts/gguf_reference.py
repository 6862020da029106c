#!/usr/bin/env python3
"""Reference quantizers for QuantBench's format tests.

Usage: gguf_reference.py MANIFEST.json

The manifest is a JSON list of jobs; each job is an object with
  op:   "quantize" | "dequantize" | "port-quantize"
  type: ggml type name (q8_0 q4_0 q4_1 q5_0 q4_k q5_k q6_k mxfp4 bf16 f16)
  rows, k: the matrix shape in elements
  in, out: file paths (little-endian f32 rows, or raw block bytes)

"quantize" and "dequantize" call the gguf PyPI package (gguf.quants), i.e. ggml's reference
quantizers as numpy code. "port-quantize" runs this file's own scalar float32 transcription of
ggml's quantize_row_q4_K_ref / quantize_row_q6_K_ref (gguf.quants has no k-quant quantizer), as an
independent second implementation to compare the Swift port against.
Exit status 0 on success; 2 with a message on stderr when gguf is missing or a job is malformed.
"""
import json
import sys

try:
    import numpy as np
    import gguf
    from gguf import GGMLQuantizationType as T
    import gguf.quants as gq
except Exception as e:  # noqa: BLE001 - report any import failure as "unavailable"
    print(f"gguf_reference.py: gguf/numpy not importable: {e}", file=sys.stderr)
    sys.exit(2)

TYPES = {
    "f16": T.F16, "bf16": T.BF16, "q8_0": T.Q8_0, "q4_0": T.Q4_0, "q4_1": T.Q4_1,
    "q5_0": T.Q5_0, "q4_k": T.Q4_K, "q5_k": T.Q5_K, "q6_k": T.Q6_K, "mxfp4": T.MXFP4,
}

F = np.float32
QK_K = 256
GROUP_MAX_EPS = F(1e-15)


def nearest_int(v):
    """ggml nearest_int: round to nearest even through the 1.5*2^23 trick (f32)."""
    t = F(F(v) + F(12582912.0))
    i = int(np.array([t], dtype=np.float32).view(np.int32)[0])
    return (i & 0x007FFFFF) - 0x00400000


def f16_round(v):
    """f32 -> f16 -> f32 (round to nearest even), as ggml stores d and dmin."""
    return F(np.float16(F(v)))


def f16_bytes(v):
    return np.array([F(v)], dtype=np.float32).astype(np.float16).tobytes()


def make_qkx2_quants(n, nmax, x, weights, rmin, rdelta, nstep, use_mad):
    mn = x[0]
    mx = x[0]
    sum_w = weights[0]
    sum_x = F(sum_w * x[0])
    for i in range(1, n):
        if x[i] < mn:
            mn = x[i]
        if x[i] > mx:
            mx = x[i]
        w = weights[i]
        sum_w = F(sum_w + w)
        sum_x = F(sum_x + F(w * x[i]))
    if mn > 0:
        mn = F(0)
    if mx == mn:
        return F(0), F(-mn), [0] * n
    iscale = F(F(nmax) / F(mx - mn))
    scale = F(F(1) / iscale)
    L = [0] * n
    best_error = F(0)
    for i in range(n):
        l = max(0, min(nmax, nearest_int(F(iscale * F(x[i] - mn)))))
        L[i] = l
        diff = F(F(F(scale * F(l)) + mn) - x[i])
        diff = abs(diff) if use_mad else F(diff * diff)
        best_error = F(best_error + F(weights[i] * diff))
    if nstep < 1:
        return scale, F(-mn), L
    for step in range(nstep + 1):
        iscale = F(F(F(rmin + F(rdelta * F(step))) + F(nmax)) / F(mx - mn))
        sum_l = F(0)
        sum_l2 = F(0)
        sum_xl = F(0)
        laux = [0] * n
        for i in range(n):
            l = max(0, min(nmax, nearest_int(F(iscale * F(x[i] - mn)))))
            laux[i] = l
            w = weights[i]
            lf = F(l)
            sum_l = F(sum_l + F(w * lf))
            sum_l2 = F(sum_l2 + F(F(w * lf) * lf))
            sum_xl = F(sum_xl + F(F(w * lf) * x[i]))
        D = F(F(sum_w * sum_l2) - F(sum_l * sum_l))
        if D > 0:
            this_scale = F(F(F(sum_w * sum_xl) - F(sum_x * sum_l)) / D)
            this_min = F(F(F(sum_l2 * sum_x) - F(sum_l * sum_xl)) / D)
            if this_min > 0:
                this_min = F(0)
                this_scale = F(sum_xl / sum_l2)
            cur_error = F(0)
            for i in range(n):
                diff = F(F(F(this_scale * F(laux[i])) + this_min) - x[i])
                diff = abs(diff) if use_mad else F(diff * diff)
                cur_error = F(cur_error + F(weights[i] * diff))
            if cur_error < best_error:
                L = laux
                best_error = cur_error
                scale = this_scale
                mn = this_min
    return scale, F(-mn), L


def quantize_q4_k_block(x):
    L = [0] * QK_K
    scales = [F(0)] * 8
    mins = [F(0)] * 8
    max_scale = F(0)
    max_min = F(0)
    for j in range(8):
        xb = x[32 * j:32 * j + 32]
        sum_x2 = F(0)
        for v in xb:
            sum_x2 = F(sum_x2 + F(v * v))
        av_x = F(np.sqrt(F(sum_x2 / F(32))))
        weights = [F(av_x + abs(v)) for v in xb]
        s, m, lj = make_qkx2_quants(32, 15, xb, weights, F(-1.0), F(0.1), 20, False)
        scales[j] = s
        mins[j] = m
        L[32 * j:32 * j + 32] = lj
        if s > max_scale:
            max_scale = s
        if m > max_min:
            max_min = m
    inv_scale = F(F(63) / max_scale) if max_scale > 0 else F(0)
    inv_min = F(F(63) / max_min) if max_min > 0 else F(0)
    sc = [0] * 12
    for j in range(8):
        ls = min(63, nearest_int(F(inv_scale * scales[j])) & 0xFF)
        lm = min(63, nearest_int(F(inv_min * mins[j])) & 0xFF)
        if j < 4:
            sc[j] = ls
            sc[j + 4] = lm
        else:
            sc[j + 4] = (ls & 0xF) | ((lm & 0xF) << 4)
            sc[j - 4] |= (ls >> 4) << 6
            sc[j] |= (lm >> 4) << 6
    d = f16_round(F(max_scale / F(63)))
    dmin = f16_round(F(max_min / F(63)))
    for j in range(8):
        if j < 4:
            s, m = sc[j] & 63, sc[j + 4] & 63
        else:
            s = (sc[j + 4] & 0xF) | ((sc[j - 4] >> 6) << 4)
            m = (sc[j + 4] >> 4) | ((sc[j] >> 6) << 4)
        dd = F(d * F(s))
        if dd == 0:
            continue
        dm = F(dmin * F(m))
        for ii in range(32):
            L[32 * j + ii] = max(0, min(15, nearest_int(F(F(x[32 * j + ii] + dm) / dd))))
    qs = bytearray(128)
    for j in range(0, QK_K, 64):
        for l in range(32):
            qs[j // 2 + l] = L[j + l] | (L[j + l + 32] << 4)
    return f16_bytes(max_scale / F(63)) + f16_bytes(max_min / F(63)) + bytes(sc) + bytes(qs)


def make_qx_quants_rmse1(n, nmax, x):
    vmax = F(0)
    amax = F(0)
    for v in x:
        if abs(v) > amax:
            amax = abs(v)
            vmax = v
    if amax < GROUP_MAX_EPS:
        return F(0), [0] * n
    iscale = F(F(-nmax) / vmax)

    def fit(iscale):
        sumlx = F(0)
        suml2 = F(0)
        ls = []
        for v in x:
            l = max(-nmax, min(nmax - 1, nearest_int(F(iscale * v))))
            ls.append(l + nmax)
            w = F(v * v)
            sumlx = F(sumlx + F(F(w * v) * F(l)))
            suml2 = F(suml2 + F(F(w * F(l)) * F(l)))
        return sumlx, suml2, ls

    sumlx, suml2, L = fit(iscale)
    scale = F(sumlx / suml2) if suml2 != 0 else F(0)
    best = F(scale * sumlx)
    for step in range(-9, 10):
        if step == 0:
            continue
        iscale = F(-F(F(nmax) + F(F(0.1) * F(step))) / vmax)
        sumlx, suml2, ls = fit(iscale)
        if suml2 > 0 and F(sumlx * sumlx) > F(best * suml2):
            L = ls
            scale = F(sumlx / suml2)
            best = F(scale * sumlx)
    return scale, L


def quantize_q6_k_block(x):
    L = [0] * QK_K
    scales = [F(0)] * 16
    max_scale = F(0)
    max_abs = F(0)
    for ib in range(16):
        s, ls = make_qx_quants_rmse1(16, 32, x[16 * ib:16 * ib + 16])
        scales[ib] = s
        L[16 * ib:16 * ib + 16] = ls
        if abs(s) > max_abs:
            max_abs = abs(s)
            max_scale = s
    if max_abs < GROUP_MAX_EPS:
        return bytes(210)
    iscale = F(F(-128) / max_scale)
    d_bytes = f16_bytes(F(F(1) / iscale))
    d0 = f16_round(F(F(1) / iscale))
    sc = [min(127, nearest_int(F(iscale * s))) for s in scales]
    for j in range(16):
        d = F(d0 * F(sc[j]))
        if d == 0:
            continue
        for ii in range(16):
            L[16 * j + ii] = max(-32, min(31, nearest_int(F(x[16 * j + ii] / d)))) + 32
    ql = bytearray(128)
    qh = bytearray(64)
    for half in range(2):
        j = 128 * half
        for l in range(32):
            a, b, c, e = L[j + l], L[j + l + 32], L[j + l + 64], L[j + l + 96]
            ql[64 * half + l] = (a & 0xF) | ((c & 0xF) << 4)
            ql[64 * half + l + 32] = (b & 0xF) | ((e & 0xF) << 4)
            qh[32 * half + l] = (a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6)
    return bytes(ql) + bytes(qh) + np.array(sc, dtype=np.int8).tobytes() + d_bytes


PORTS = {"q4_k": quantize_q4_k_block, "q6_k": quantize_q6_k_block}


def run(job):
    op, name, rows, k = job["op"], job["type"], int(job["rows"]), int(job["k"])
    if name not in TYPES:
        raise ValueError(f"unknown type {name}")
    qt = TYPES[name]
    if op == "quantize":
        x = np.fromfile(job["in"], dtype="<f4").reshape(rows, k)
        if qt == T.F16:
            out = x.astype(np.float16).view(np.uint8)
        else:
            out = gq.quantize(x, qt)
        np.ascontiguousarray(out).tofile(job["out"])
    elif op == "dequantize":
        raw = np.fromfile(job["in"], dtype=np.uint8)
        if qt == T.F16:
            out = raw.view("<f2").astype(np.float32)
        else:
            out = gq.dequantize(raw.reshape(rows, -1), qt)
        np.ascontiguousarray(out, dtype="<f4").tofile(job["out"])
    elif op == "port-quantize":
        if name not in PORTS:
            raise ValueError(f"no port for {name}")
        x = np.fromfile(job["in"], dtype="<f4")
        blocks = [PORTS[name]([F(v) for v in x[b:b + QK_K]]) for b in range(0, rows * k, QK_K)]
        with open(job["out"], "wb") as f:
            f.write(b"".join(blocks))
    else:
        raise ValueError(f"unknown op {op}")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    for job in jobs:
        try:
            run(job)
        except Exception as e:  # noqa: BLE001
            print(f"gguf_reference.py: job {job}: {e}", file=sys.stderr)
            sys.exit(2)


if __name__ == "__main__":
    main()
