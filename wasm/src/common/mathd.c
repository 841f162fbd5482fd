/* Double precision exp, log, pow, sin/cos (see mathf.h).
 *
 * Only RoPE uses these: the inverse frequencies base^(-2i/d) once at model
 * creation, and sin/cos of pos * freq once per token (shared by all layers
 * and heads). Working in double and rounding to float at the end makes the
 * rotation angles correct to the float ulp, which is at least as good as
 * llama.cpp's float powf/sinf/cosf; speed does not matter here.
 * Not meant for inf/NaN inputs (the callers never pass them).
 */
#include "common/mathf.h"

#define LN2_HI 0x1.62e42fee00000p-1 /* 32 significant bits: k*LN2_HI exact for |k| < 2^21 */
#define LN2_LO 1.9082149292705877e-10

/* 2^k for any integer k in [-2044, 2046] (two normal factors). */
static double pow2i(int k) {
  int k1 = k / 2, k2 = k - k1;
  return lt_bits_f64((uint64_t)(k1 + 1023) << 52) * lt_bits_f64((uint64_t)(k2 + 1023) << 52);
}

double lt_exp_f64(double x) {
  if (x > 709.8) return __builtin_inf();
  if (x < -745.2) return 0.0;
  double k = __builtin_rint(x * 1.4426950408889634);
  double r = (x - k * LN2_HI) - k * LN2_LO; /* |r| <= 0.347 */
  /* Taylor to r^13: the next term is < 4e-18, below double's 1.1e-16. */
  double p = 1.0 / 6227020800.0;
  static const double inv_fact[] = {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
                                    1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0,
                                    1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0};
  for (unsigned i = 0; i < sizeof inv_fact / sizeof inv_fact[0]; i++) p = inv_fact[i] + r * p;
  return p * pow2i((int)k);
}

double lt_log_f64(double x) {
  if (!(x > 0) || x > 1.7976931348623157e308) return __builtin_nan("");
  uint64_t u = lt_f64_bits(x);
  int e = (int)((u >> 52) & 0x7ff);
  if (e == 0) { /* subnormal: scale into the normal range first */
    x *= 0x1p54;
    u = lt_f64_bits(x);
    e = (int)((u >> 52) & 0x7ff) - 54;
  }
  e -= 1023;
  double m = lt_bits_f64((u & 0x000fffffffffffffull) | 0x3ff0000000000000ull); /* [1, 2) */
  if (m > 1.4142135623730951) { m *= 0.5; e += 1; } /* [sqrt(1/2), sqrt(2)] */
  /* log(m) = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.1716: the odd series in s
   * to s^25 leaves < 1e-20. */
  double s = (m - 1.0) / (m + 1.0), s2 = s * s;
  double t = 1.0 / 25;
  for (int n = 23; n >= 1; n -= 2) t = 1.0 / n + s2 * t;
  double logm = 2.0 * s * t;
  return (double)e * LN2_HI + ((double)e * LN2_LO + logm);
}

double lt_pow_f64(double base, double e) { return lt_exp_f64(e * lt_log_f64(base)); }

/* pi/2 in three 33-bit pieces: k * piece is exact for |k| < 2^20, so the
 * reduction x - k*pi/2 is accurate for |x| up to about 1.6e6 (positions times
 * frequencies never get near that in practice: frequencies are <= 1). */
#define PIO2_1 0x1.921fb54400000p+0
#define PIO2_2 0x1.0b4611a600000p-34
#define PIO2_3 2.0222662487959506e-21
#define TWO_OVER_PI 0.6366197723675814

void lt_sincos_f64(double x, double *sp, double *cp) {
  double k = __builtin_rint(x * TWO_OVER_PI);
  double r = ((x - k * PIO2_1) - k * PIO2_2) - k * PIO2_3; /* |r| <= ~pi/4 */
  double r2 = r * r;
  /* Taylor series on |r| <= pi/4: sin to r^19, cos to r^18 (next terms < 1e-19). */
  double s = -1.0 / 121645100408832000.0;                            /* -1/19! */
  static const double sin_c[] = {1.0 / 355687428096000.0, -1.0 / 1307674368000.0,
                                 1.0 / 6227020800.0, -1.0 / 39916800.0, 1.0 / 362880.0,
                                 -1.0 / 5040.0, 1.0 / 120.0, -1.0 / 6.0};
  for (unsigned i = 0; i < sizeof sin_c / sizeof sin_c[0]; i++) s = sin_c[i] + r2 * s;
  s = r + r * r2 * s;
  double c = 1.0 / 6402373705728000.0;                               /* 1/18! */
  static const double cos_c[] = {-1.0 / 20922789888000.0, 1.0 / 87178291200.0,
                                 -1.0 / 479001600.0, 1.0 / 3628800.0, -1.0 / 40320.0,
                                 1.0 / 720.0, -1.0 / 24.0, 0.5};
  for (unsigned i = 0; i < sizeof cos_c / sizeof cos_c[0]; i++) c = cos_c[i] + r2 * c;
  c = 1.0 - r2 * c;
  /* c's loop computes 1/2 - r^2/24 + ..., so 1 - r2*c is cos(r). */
  switch ((int64_t)k & 3) {
    case 0: *sp = s; *cp = c; break;
    case 1: *sp = c; *cp = -s; break;
    case 2: *sp = -s; *cp = -c; break;
    default: *sp = -c; *cp = s; break;
  }
}

/* Exported for tests. */
LT_EXPORT(lt_test_exp_f64) double lt_test_exp_f64(double x) { return lt_exp_f64(x); }
LT_EXPORT(lt_test_log_f64) double lt_test_log_f64(double x) { return lt_log_f64(x); }
LT_EXPORT(lt_test_sin_f64) double lt_test_sin_f64(double x) { double s, c; lt_sincos_f64(x, &s, &c); return s; }
LT_EXPORT(lt_test_cos_f64) double lt_test_cos_f64(double x) { double s, c; lt_sincos_f64(x, &s, &c); return c; }
