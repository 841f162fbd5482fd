/* Repacking into the LUT and MAD layouts (lut.h) from plain integer codes + scales, or from
 * GGUF blocks (Q4_0, Q4_1, Q2_K, Q3_K, Q4_K, TQ1_0, TQ2_0). Block layouts follow ggml's
 * documented formats; every type is decoded here to (code, d, m) with w = d·code + m per
 * group. Work is per row block, so threads can repack disjoint row slices in parallel. */
#include "lut.h"

typedef struct { int blk, bytes, bits, G, asym, zero; } lt_qinfo;

static int qinfo(int type, lt_qinfo *q) {
  switch (type) {
  case LT_Q4_0:  *q = (lt_qinfo){32, 18, 4, 32, 0, 8}; return 1;
  case LT_Q4_1:  *q = (lt_qinfo){32, 20, 4, 32, 1, 0}; return 1;
  case LT_Q2_K:  *q = (lt_qinfo){256, 84, 2, 16, 1, 0}; return 1;
  case LT_Q3_K:  *q = (lt_qinfo){256, 110, 3, 16, 0, 4}; return 1;
  case LT_Q4_K:  *q = (lt_qinfo){256, 144, 4, 32, 1, 0}; return 1;
  case LT_TQ1_0: *q = (lt_qinfo){256, 54, LT_TERN, 256, 0, 1}; return 1;
  case LT_TQ2_0: *q = (lt_qinfo){256, 66, LT_TERN, 256, 0, 1}; return 1;
  }
  return 0;
}

/* What a GGUF type becomes: out[0] bits (LT_TERN = 8 for ternary; the MAD layout takes
 * ternary as bits 2, zero 1), out[1] G, out[2] asym, out[3] zero, out[4] the asym argument
 * of its LUT layout (LT_KQ: the two-level K-quant layout). 0 if unsupported. */
LT_EXPORT(lt_repack_info)
int lt_repack_info(int type, int32_t *out) {
  lt_qinfo q;
  if (!qinfo(type, &q)) return 0;
  out[0] = q.bits; out[1] = q.G; out[2] = q.asym; out[3] = q.zero;
  out[4] = type == LT_Q2_K ? LT_KQ : q.asym; /* the asym argument of the LUT layout it takes */
  return 1;
}

static void q4k_scale_min(int j, const uint8_t *s, int *sc, int *mn) {
  if (j < 4) { *sc = s[j] & 63; *mn = s[j + 4] & 63; }
  else { *sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4); *mn = (s[j + 4] >> 4) | ((s[j] >> 6) << 4); }
}
static int q3k_scale(int s, const uint8_t *sb) {
  int a = s / 4, i = s % 4, v;
  switch (a) {
  case 0: v = (sb[i] & 0xF) | (((sb[8 + i] >> 0) & 3) << 4); break;
  case 1: v = (sb[4 + i] & 0xF) | (((sb[8 + i] >> 2) & 3) << 4); break;
  case 2: v = (sb[i] >> 4) | (((sb[8 + i] >> 4) & 3) << 4); break;
  default: v = (sb[4 + i] >> 4) | (((sb[8 + i] >> 6) & 3) << 4); break;
  }
  return v - 32;
}

/* codes[0..G) (G = src group), d, m of (row, group gi). */
static void src_group(const lt_src *s, int row, int gi, uint8_t *codes, float *d, float *m) {
  const int G = s->G;
  if (s->type < 0) {
    const uint8_t *c = s->p + (size_t)row * s->K + (size_t)gi * G;
    for (int k = 0; k < G; k++) codes[k] = c[k];
    size_t si = (size_t)row * (s->K / G) + gi;
    *d = s->d[si];
    *m = s->m ? s->m[si] : -s->zero * s->d[si];
    return;
  }
  lt_qinfo q; qinfo(s->type, &q);
  const size_t rowb = (size_t)(s->K / q.blk) * q.bytes;
  const int e0 = gi * G;                      /* first element of the group in the row */
  const uint8_t *b = s->p + (size_t)row * rowb + (size_t)(e0 / q.blk) * q.bytes;
  const int o = e0 % q.blk;                   /* offset of the group in its block */
  switch (s->type) {
  case LT_Q4_0: case LT_Q4_1: {
    const uint8_t *qs = b + (s->type == LT_Q4_0 ? 2 : 4);
    for (int i = 0; i < 32; i++) codes[i] = i < 16 ? qs[i] & 15 : qs[i - 16] >> 4;
    *d = lt_f16_to_f32(lt_rd16(b));
    *m = s->type == LT_Q4_0 ? -8.0f * *d : lt_f16_to_f32(lt_rd16(b + 2));
    break;
  }
  case LT_Q2_K: {
    int sc = b[o / 16];
    float dd = lt_f16_to_f32(lt_rd16(b + 80)), dmin = lt_f16_to_f32(lt_rd16(b + 82));
    for (int i = 0; i < 16; i++) {
      int e = o + i, h = e / 128, j = (e % 128) / 32, l = e % 32;
      codes[i] = (b[16 + 32 * h + l] >> (2 * j)) & 3;
    }
    *d = dd * (float)(sc & 0xF); *m = -(dmin * (float)(sc >> 4));
    break;
  }
  case LT_Q3_K: {
    float dd = lt_f16_to_f32(lt_rd16(b + 108));
    for (int i = 0; i < 16; i++) {
      int e = o + i, h = e / 128, j = (e % 128) / 32, l = e % 32;
      int lo = (b[32 + 32 * h + l] >> (2 * j)) & 3, hb = (b[l] >> (4 * h + j)) & 1;
      codes[i] = (uint8_t)(lo + 4 * hb);
    }
    *d = dd * (float)q3k_scale(o / 16, b + 96); *m = -4.0f * *d;
    break;
  }
  case LT_Q4_K: {
    int sb = o / 32, sc, mn;
    q4k_scale_min(sb, b + 4, &sc, &mn);
    const uint8_t *qs = b + 16 + 32 * (sb / 2);
    for (int i = 0; i < 32; i++) codes[i] = (sb & 1) ? qs[i] >> 4 : qs[i] & 15;
    *d = lt_f16_to_f32(lt_rd16(b)) * (float)sc;
    *m = -(lt_f16_to_f32(lt_rd16(b + 2)) * (float)mn);
    break;
  }
  case LT_TQ2_0:
    for (int e = 0; e < 256; e++) codes[e] = (b[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
    *d = lt_f16_to_f32(lt_rd16(b + 64)); *m = -*d;
    break;
  case LT_TQ1_0: {
    static const uint8_t pow3[5] = {1, 3, 9, 27, 81};
    for (int e = 0; e < 256; e++) {
      int byte, n;
      if (e < 160) { n = e / 32; byte = b[e % 32]; }
      else if (e < 240) { n = (e - 160) / 16; byte = b[32 + (e - 160) % 16]; }
      else { n = (e - 240) / 4; byte = b[48 + (e - 240) % 4]; }
      uint8_t v = (uint8_t)(byte * pow3[n]);
      codes[e] = (uint8_t)(((uint16_t)v * 3) >> 8);
    }
    *d = lt_f16_to_f32(lt_rd16(b + 52)); *m = -*d;
    break;
  }
  }
}

#define LT_MAXG 16384 /* largest group (per-row ternary scale: G = K) repackable; codes buffer on the C stack */

static int repack_lut(uint8_t *dst, const lt_src *s, int bits, int asym, int M, int row0, int row1) {
  const int K = s->K, G = s->G;
  if (row0 % 32 || row1 % 32 || M % 32 || row1 > M || row0 < 0 || K % G || G % 16 || G > LT_MAXG) return -LT_ERR_SHAPE;
  if (bits == LT_TERN && asym) return -LT_ERR_ARG;
  const int P = LT_PLANES(bits);
  const int rec = lt_lut_rec_bytes(bits, G, asym), nb = (G / 4) * P * 16;
  const uint32_t rbb = lt_lut_rb_bytes(bits, K, G, asym);
  const float half = 0.5f * (float)((1 << P) - 1);
  static const uint8_t tern[4] = {0, 1, 3, 3}; /* w+1 ∈ {0,1,2} → balanced planes */
  uint8_t codes[LT_MAXG];
  for (int rb = row0 / 32; rb < row1 / 32; rb++) {
    uint8_t *r = dst + (size_t)rb * rbb;
    for (int gi = 0; gi < K / G; gi++, r += rec) {
      for (int i = 0; i < nb; i++) r[i] = 0;
      float *dd = (float *)(r + nb);
      for (int rr = 0; rr < 32; rr++) {
        float d, m;
        src_group(s, rb * 32 + rr, gi, codes, &d, &m);
        dd[rr] = d;
        if (asym) dd[32 + rr] = m + d * half;
        for (int k = 0; k < G; k++) {
          int c = bits == LT_TERN ? tern[codes[k] & 3] : codes[k];
          for (int p = 0; p < P; p++) {
            if (!((c >> p) & 1)) continue;
            int byte, hi;
            lt_lut_pos(bits, rr, p, &byte, &hi);
            r[(k / 4) * P * 16 + byte] |= (uint8_t)(1 << ((k % 4) + 4 * hi));
          }
        }
      }
    }
  }
  return 0;
}

/* GGUF Q2_K → the two-level K-quant layout (lut.h): bit-planes as the canonical layout with
 * G = 256, GGUF's scale bytes moved to (pair, row) order, d and dmin as f32. */
static int repack_kq(uint8_t *dst, const lt_src *s, int M, int row0, int row1) {
  const int K = s->K, nsb = K / 256;
  if (row0 % 32 || row1 % 32 || M % 32 || row1 > M || row0 < 0 || K % 256 || K > LT_KQ_MAXK) return -LT_ERR_SHAPE;
  const uint32_t rbb = (uint32_t)nsb * LT_KQ_REC;
  const size_t rowb = (size_t)nsb * 84;
  for (int rb = row0 / 32; rb < row1 / 32; rb++) {
    uint8_t *r = dst + (size_t)rb * rbb;
    for (int sb = 0; sb < nsb; sb++, r += LT_KQ_REC) {
      for (int i = 0; i < 64 * 2 * 16; i++) r[i] = 0;
      uint8_t *scm = r + 64 * 2 * 16;
      float *d = (float *)(scm + 8 * 64), *dmin = d + 32;
      for (int rr = 0; rr < 32; rr++) {
        const uint8_t *b = s->p + (size_t)(rb * 32 + rr) * rowb + (size_t)sb * 84;
        for (int j = 0; j < 16; j++) scm[64 * (j / 2) + 2 * rr + (j & 1)] = b[j];
        d[rr] = lt_f16_to_f32(lt_rd16(b + 80));
        dmin[rr] = lt_f16_to_f32(lt_rd16(b + 82));
        for (int e = 0; e < 256; e++) {
          int c = (b[16 + 32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
          for (int p = 0; p < 2; p++) {
            if (!((c >> p) & 1)) continue;
            int byte, hi;
            lt_lut_pos(2, rr, p, &byte, &hi);
            r[(e / 4) * 32 + byte] |= (uint8_t)(1 << ((e % 4) + 4 * hi));
          }
        }
      }
    }
  }
  return 0;
}

static int repack_mad(uint8_t *dst, const lt_src *s, int bits, int asym, int M, int row0, int row1) {
  const int K = s->K, G = s->G, R = lt_mad_rec_k(G);
  if (row0 % 16 || row1 % 16 || M % 16 || row1 > M || row0 < 0 || K % G || K % R || G % 16 || G > LT_MAXG) return -LT_ERR_SHAPE;
  const int rec = lt_mad_rec_bytes(bits, G, asym), data = (R / 32) * 64 * bits, sstride = asym ? 32 : 16;
  const uint32_t rbb = lt_mad_rb_bytes(bits, K, G, asym);
  /* parts: (width, code shift, byte offset in the quad's 16·bits bytes) */
  int pw[2], ps[2], po[2], np;
  if (bits == 3) { np = 2; pw[0] = 2; ps[0] = 0; po[0] = 0; pw[1] = 1; ps[1] = 2; po[1] = 32; }
  else { np = 1; pw[0] = bits; ps[0] = 0; po[0] = 0; }
  uint8_t codes[LT_MAXG];
  for (int rb = row0 / 16; rb < row1 / 16; rb++) {
    uint8_t *r = dst + (size_t)rb * rbb;
    for (int k0 = 0; k0 < K; k0 += R, r += rec) {
      for (int i = 0; i < data; i++) r[i] = 0;
      for (int rr = 0; rr < 16; rr++) {
        for (int gg = 0; gg < R / G; gg++) {
          float d, m;
          src_group(s, rb * 16 + rr, k0 / G + gg, codes, &d, &m);
          float *sc = (float *)(r + data) + gg * sstride;
          sc[rr] = d;
          if (asym) sc[16 + rr] = m;
          for (int k = 0; k < G; k++) {
            int kr = gg * G + k, c = kr / 32, t = (kr % 32) / 4, qd = rr / 4, bi = 4 * (rr % 4) + kr % 4;
            for (int pi = 0; pi < np; pi++) {
              int w = pw[pi], per = 8 / w;
              int v = (codes[k] >> ps[pi]) & ((1 << w) - 1);
              r[c * 64 * bits + qd * 16 * bits + po[pi] + 16 * (t / per) + bi] |= (uint8_t)(v << (w * (t % per)));
            }
          }
        }
      }
    }
  }
  return 0;
}

static int make_src(lt_src *s, int type, const uint8_t *p, const float *d, const float *m, float zero,
                    int K, int G, int *bits, int *asym) {
  s->type = type; s->p = p; s->d = d; s->m = m; s->zero = zero; s->K = K;
  if (type < 0) { s->G = G; *asym = m != 0; return ((*bits >= 1 && *bits <= 4) || *bits == LT_TERN) ? 0 : -LT_ERR_ARG; }
  lt_qinfo q;
  if (!qinfo(type, &q)) return -LT_ERR_UNSUPPORTED_TYPE;
  if (K % q.blk) return -LT_ERR_SHAPE;
  s->G = q.G; *bits = q.bits; *asym = q.asym;
  if (type == LT_TQ1_0 || type == LT_TQ2_0) *bits = LT_TERN;
  return 0;
}

/* Byte sizes of a repacked [M][K] weight. */
LT_EXPORT(lt_lut_weight_bytes)
uint32_t lt_lut_weight_bytes(int bits, int M, int K, int G, int asym) {
  if (((bits < 1 || bits > 4) && bits != LT_TERN) || M % 32 || G < 16 || G % 16 || K % G) return 0;
  if (asym == LT_KQ && (bits != 2 || G != 16 || K % 256 || K > LT_KQ_MAXK)) return 0;
  return (uint32_t)(M / 32) * lt_lut_rb_bytes(bits, K, G, asym);
}
LT_EXPORT(lt_mad_weight_bytes)
uint32_t lt_mad_weight_bytes(int bits, int M, int K, int G, int asym) {
  if (M % 16 || G < 16 || G % 16 || K % G || K % lt_mad_rec_k(G)) return 0;
  return (uint32_t)(M / 16) * lt_mad_rb_bytes(bits, K, G, asym);
}

/* Plain codes: codes[M][K] (one byte each, < 2^bits), d[M][K/G], m[M][K/G] or 0 for the
 * symmetric form w = d·(q − zero). GGUF (type ≥ 0): src = the tensor's blocks; bits, G,
 * asym, zero come from lt_repack_info. Writes rows [row0, row1) of dst. */
LT_EXPORT(lt_repack_lut)
int lt_repack_lut(uint8_t *dst, int type, const uint8_t *src, const float *d, const float *m, float zero,
                  int bits, int M, int K, int G, int row0, int row1) {
  lt_src s; int asym;
  int e = make_src(&s, type, src, d, m, zero, K, G, &bits, &asym);
  if (e) return e;
  return type == LT_Q2_K ? repack_kq(dst, &s, M, row0, row1) : repack_lut(dst, &s, bits, asym, M, row0, row1);
}
LT_EXPORT(lt_repack_mad)
int lt_repack_mad(uint8_t *dst, int type, const uint8_t *src, const float *d, const float *m, float zero,
                  int bits, int M, int K, int G, int row0, int row1) {
  lt_src s; int asym;
  int e = make_src(&s, type, src, d, m, zero, K, G, &bits, &asym);
  return e ? e : repack_mad(dst, &s, bits == LT_TERN ? 2 : bits, asym, M, row0, row1);
}

/* Dequantize one row of a repacked weight (tests, embeddings). */
LT_EXPORT(lt_lut_dequant_row)
int lt_lut_dequant_row(const uint8_t *W, int bits, int K, int G, int asym, float zero, int row, float *out) {
  if (asym == LT_KQ) { /* ggml's Q2_K arithmetic: (d·sc)·q − dmin·mn */
    const int rr = row % 32;
    const uint8_t *r = W + (size_t)(row / 32) * lt_lut_rb_bytes(2, K, 16, LT_KQ);
    for (int sb = 0; sb < K / 256; sb++, r += LT_KQ_REC) {
      const uint8_t *scm = r + 64 * 2 * 16;
      const float *d = (const float *)(scm + 8 * 64);
      for (int e = 0; e < 256; e++) {
        int j = e / 16, sc = scm[64 * (j / 2) + 2 * rr + (j & 1)], q = 0;
        for (int p = 0; p < 2; p++) {
          int byte, hi;
          lt_lut_pos(2, rr, p, &byte, &hi);
          q |= ((r[(e / 4) * 32 + byte] >> ((e % 4) + 4 * hi)) & 1) << p;
        }
        float dl = d[rr] * (float)(sc & 0xF), ml = d[32 + rr] * (float)(sc >> 4);
        out[sb * 256 + e] = dl * (float)q - ml;
      }
    }
    return 0;
  }
  const int P = LT_PLANES(bits);
  const int rec = lt_lut_rec_bytes(bits, G, asym), nb = (G / 4) * P * 16, rr = row % 32;
  const uint8_t *r = W + (size_t)(row / 32) * lt_lut_rb_bytes(bits, K, G, asym);
  const float half = 0.5f * (float)((1 << P) - 1);
  for (int gi = 0; gi < K / G; gi++, r += rec) {
    const float *dd = (const float *)(r + nb);
    float d = dd[rr], m = asym ? dd[32 + rr] - d * half : -zero * d;
    for (int k = 0; k < G; k++) {
      int q = 0;
      for (int p = 0; p < P; p++) {
        int byte, hi;
        lt_lut_pos(bits, rr, p, &byte, &hi);
        q |= ((r[(k / 4) * P * 16 + byte] >> ((k % 4) + 4 * hi)) & 1) << p;
      }
      if (bits == LT_TERN) out[gi * G + k] = d * (float)((q & 1) + (q >> 1) - 1);
      else out[gi * G + k] = d * (float)q + m;
    }
  }
  return 0;
}
LT_EXPORT(lt_mad_dequant_row)
int lt_mad_dequant_row(const uint8_t *W, int bits, int K, int G, int asym, float zero, int row, float *out) {
  const int R = lt_mad_rec_k(G), rec = lt_mad_rec_bytes(bits, G, asym), data = (R / 32) * 64 * bits;
  const int rr = row % 16, sstride = asym ? 32 : 16;
  const uint8_t *r = W + (size_t)(row / 16) * lt_mad_rb_bytes(bits, K, G, asym);
  for (int k0 = 0; k0 < K; k0 += R, r += rec) {
    for (int kr = 0; kr < R; kr++) {
      int c = kr / 32, t = (kr % 32) / 4, qd = rr / 4, bi = 4 * (rr % 4) + kr % 4, q;
      const uint8_t *base = r + c * 64 * bits + qd * 16 * bits;
      if (bits == 3) {
        q = (base[16 * (t / 4) + bi] >> (2 * (t % 4))) & 3;
        q |= ((base[32 + bi] >> t) & 1) << 2;
      } else {
        int per = 8 / bits;
        q = (base[16 * (t / per) + bi] >> (bits * (t % per))) & ((1 << bits) - 1);
      }
      const float *sc = (const float *)(r + data) + (kr / G) * sstride;
      float d = sc[rr], m = asym ? sc[16 + rr] : -zero * d;
      out[k0 + kr] = d * (float)q + m;
    }
  }
  return 0;
}
