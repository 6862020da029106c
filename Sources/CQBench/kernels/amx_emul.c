// The AMX kernels of amx_impl.h over a plain-C tile emulator (test hooks, not registry entries): the same
// packing, tiling and epilogue code as amx.c, so it can be verified against scalar on machines without AMX.
// Tile semantics follow the Intel SDM (TILELOADD/TILESTORED, TDPBSSD, TDPBF16PS) for palette 1.
#include "qb_protos.h"
#include "qb_ref.h"

typedef struct {
    uint8_t t[8][16][64];
    int rows[8], colsb[8];
} qb_tilefile;

static __thread qb_tilefile qb_emu;

static void qb_emu_cfg(const void *cfgp) {
    const uint8_t *c = (const uint8_t *)cfgp;
    for (int i = 0; i < 8; i++) {
        uint16_t cb;
        memcpy(&cb, c + 16 + 2 * i, 2);
        qb_emu.colsb[i] = cb;
        qb_emu.rows[i] = c[48 + i];
    }
    memset(qb_emu.t, 0, sizeof(qb_emu.t));
}
static void qb_emu_zero(int t) { memset(qb_emu.t[t], 0, sizeof(qb_emu.t[t])); }
static void qb_emu_load(int t, const void *p, size_t stride) {
    qb_emu_zero(t);
    for (int r = 0; r < qb_emu.rows[t]; r++)
        memcpy(qb_emu.t[t][r], (const uint8_t *)p + (size_t)r * stride, (size_t)qb_emu.colsb[t]);
}
static void qb_emu_store(int t, void *p, size_t stride) {
    for (int r = 0; r < qb_emu.rows[t]; r++)
        memcpy((uint8_t *)p + (size_t)r * stride, qb_emu.t[t][r], (size_t)qb_emu.colsb[t]);
}
static void qb_emu_dpbssd(int c, int a, int b) {
    for (int m = 0; m < qb_emu.rows[c]; m++)
        for (int n = 0; n < qb_emu.colsb[c] / 4; n++) {
            int32_t acc;
            memcpy(&acc, &qb_emu.t[c][m][4 * n], 4);
            for (int k = 0; k < qb_emu.colsb[a] / 4; k++)
                for (int j = 0; j < 4; j++)
                    acc += (int32_t)(int8_t)qb_emu.t[a][m][4 * k + j] * (int8_t)qb_emu.t[b][k][4 * n + j];
            memcpy(&qb_emu.t[c][m][4 * n], &acc, 4);
        }
}
static void qb_emu_dpbf16ps(int c, int a, int b) {
    for (int m = 0; m < qb_emu.rows[c]; m++)
        for (int n = 0; n < qb_emu.colsb[c] / 4; n++) {
            float acc;
            memcpy(&acc, &qb_emu.t[c][m][4 * n], 4);
            for (int k = 0; k < qb_emu.colsb[a] / 4; k++)
                for (int j = 0; j < 2; j++)
                    acc += qb_bf16_to_f32(qb_load_u16(&qb_emu.t[a][m][4 * k + 2 * j])) *
                           qb_bf16_to_f32(qb_load_u16(&qb_emu.t[b][k][4 * n + 2 * j]));
            memcpy(&qb_emu.t[c][m][4 * n], &acc, 4);
        }
}

#define QB_AMX_SUFFIX(name) name##_amx_emulated
#define QB_AMX_PREPARE() 0
#define QB_TCFG(cfg) qb_emu_cfg(cfg)
#define QB_TZERO(t) qb_emu_zero(t)
#define QB_TLOAD(t, p, s) qb_emu_load(t, p, s)
#define QB_TSTORE(t, p, s) qb_emu_store(t, p, s)
#define QB_TDPBSSD(c, a, b) qb_emu_dpbssd(c, a, b)
#define QB_TDPBF16PS(c, a, b) qb_emu_dpbf16ps(c, a, b)
#define QB_TRELEASE() ((void)0)

#include "amx_impl.h"
