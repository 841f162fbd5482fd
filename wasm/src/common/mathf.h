/* The few elementary functions the forward pass needs, without libc.
 *
 *  - lt_expf / lt_expf4: single precision exp (softmax, SiLU), <= 2 ulp over
 *    the whole float range, with overflow to +inf, underflow through the
 *    subnormals to 0, and NaN propagation. The scalar and SIMD versions run
 *    the same steps, so they give bit-identical results.
 *  - double precision exp, log, sin/cos: used only at set-up and once per
 *    token for RoPE's rotation angles (a few dozen calls per token), where
 *    getting the float result right to the last bit is worth more than speed.
 *  - sqrt is the f32.sqrt instruction (__builtin_sqrtf), correctly rounded.
 */
#ifndef LT_COMMON_MATHF_H
#define LT_COMMON_MATHF_H

#include "common/simd.h"

float lt_expf(float x);
v128_t lt_expf4(v128_t x);

double lt_exp_f64(double x);
double lt_log_f64(double x); /* x > 0 and finite; returns NaN otherwise */
double lt_pow_f64(double base, double e); /* base > 0 */
void lt_sincos_f64(double x, double *s, double *c);

static inline float lt_sqrtf(float x) { return __builtin_sqrtf(x); }

#endif
