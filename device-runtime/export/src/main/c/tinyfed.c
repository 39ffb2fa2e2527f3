/*
 * TinyFed C99 runtime: int16 fixed-point inference, bit-exact to the Java S16 engine
 * (device-runtime/core: FixedPoint, Dense.forwardS16, Activations, ActivationTables, S16Engine).
 * The arithmetic is docs/fixed-point.md; section numbers below refer to it.
 */
#include "tinyfed.h"

#include <math.h>
#include <string.h>

#define TF_S16_MIN (-32768)
#define TF_S16_MAX 32767
#define TF_MASTER_EXTRA 16 /* master weights and accumulators carry 16 more fractional bits than their weight */

/*
 * The optional modes' functions stay out of the training step's body, so that its direct-mode inner loops are
 * compiled as they are without them (inlined, they cost the Cortex-M4 step 14% more instructions in register spills).
 */
#if defined(__GNUC__)
#define TF_NOINLINE __attribute__((noinline))
#else
#define TF_NOINLINE
#endif

/* ---- section 2: primitives ----------------------------------------------------------------------------- */

int16_t tf_saturate16(int64_t v) {
    return (int16_t) (v > TF_S16_MAX ? TF_S16_MAX : (v < TF_S16_MIN ? TF_S16_MIN : v));
}

/* Left shift without the undefined behaviour of shifting a negative signed value (two's complement). */
static int64_t shl64(int64_t v, int s) {
    return (int64_t) ((uint64_t) v << s);
}

int64_t tf_rounding_shift(int64_t v, int shift) {
    if (shift > 0) {
        /* round half up: (v + 2^(s-1)) >> s, arithmetic shift (gcc/clang on every TinyFed target) */
        return (int64_t) ((uint64_t) v + ((uint64_t) 1 << (shift - 1))) >> shift;
    }
    return shl64(v, -shift);
}

int64_t tf_shift_left_sat(int64_t v, int s) {
    int64_t limit = INT64_MAX >> s;
    if (v > limit) {
        return INT64_MAX;
    }
    if (v < -limit) {
        return -INT64_MAX;
    }
    return shl64(v, s);
}

int16_t tf_rounding_shift_sat16(int64_t v, int shift) {
    if (shift >= 0) {
        return tf_saturate16(tf_rounding_shift(v, shift));
    }
    return tf_saturate16(tf_shift_left_sat(v, -shift));
}

/* ---- kernels: reference and Cortex-M DSP ---------------------------------------------------------------- */

/*
 * Three kernel sets, equal bit for bit (the parity tests and the Cortex-M4 state hash check it):
 * - TF_DSP, where the Arm DSP extension is there (__ARM_FEATURE_DSP: Cortex-M4, M7, M33 ...): the inner loops use its
 *   dual 16-bit multiply-accumulate into a 64-bit accumulator (SMLALD, as CMSIS-DSP's q15 dot products do);
 * - TF_VECTOR, when TF_VECTOR_KERNELS is defined, for hosts with a SIMD unit (gateways: x86-64, AArch64): loops
 *   without data-dependent branches or indirection, in 32-bit lanes, for the compiler to vectorise. Build them with
 *   -O3 (and -march for the host): at -O2 gcc does not vectorise them and they are slower than the reference;
 * - the reference, the plain C loops below them, everywhere else and whenever TF_REFERENCE_KERNELS is defined.
 * Each forms the same exact sums and steps, so the results are the same.
 */
#if defined(__ARM_FEATURE_DSP) && !defined(TF_REFERENCE_KERNELS)
#include <arm_acle.h>
#define TF_DSP 1
#elif defined(TF_VECTOR_KERNELS) && !defined(TF_REFERENCE_KERNELS)
#define TF_VECTOR 1
#endif

/* y = saturate16(roundingShift(acc, shift)) for 0 < shift < 63 and |acc| < 2^62; returns 1 if it saturated. */
static inline int32_t store_rounded(int64_t acc, int shift, int16_t *y) {
    int64_t r = (acc + ((int64_t) 1 << (shift - 1))) >> shift;
    if (r > TF_S16_MAX || r < TF_S16_MIN) {
        *y = r > 0 ? TF_S16_MAX : TF_S16_MIN;
        return 1;
    }
    *y = (int16_t) r;
    return 0;
}

#ifdef TF_VECTOR
/*
 * sum_i a[i] b[i] exactly, in 32-bit lanes: each product p splits into p >> 16 (|.| <= 2^14) and p & 0xFFFF (< 2^16),
 * summed apart over blocks of at most 32,767 products (neither sum can overflow int32) and joined in int64.
 */
static int64_t dot_split(const int16_t *a, const int16_t *b, int32_t n) {
    int64_t acc = 0;
    for (int32_t i0 = 0; i0 < n; i0 += 32767) {
        int32_t end = n - i0 < 32767 ? n : i0 + 32767;
        int32_t hi = 0;
        int32_t lo = 0;
        for (int32_t i = i0; i < end; i++) {
            int32_t p = (int32_t) a[i] * (int32_t) b[i];
            hi += p >> 16;
            lo += p & 0xFFFF;
        }
        acc += (int64_t) hi * 65536 + lo;
    }
    return acc;
}
#endif

#ifdef TF_DSP
static int32_t pair(const int16_t *p) {
    int32_t v;
    memcpy(&v, p, 4); /* one (unaligned) word: Cortex-M4 loads it in one instruction */
    return v;
}

/*
 * floor(a b / 2^s) for 0 <= s < 62 when the result fits in int32: one SMULL, then the 64-bit product's two words
 * funnelled by s (or its high word alone for s >= 32).
 */
static inline int32_t floor_shift(int32_t a, int32_t b, int s) {
    int64_t t = (int64_t) a * (int64_t) b;
    uint32_t lo = (uint32_t) t;
    int32_t hi = (int32_t) (t >> 32);
    if (s >= 32) {
        return hi >> (s - 32);
    }
    if (s == 0) {
        return (int32_t) lo;
    }
    return (int32_t) ((lo >> s) | ((uint32_t) hi << (32 - s)));
}

/* acc + sum_i a[i] * b[i], in int64, four products per iteration. */
static int64_t dot_s16(const int16_t *a, const int16_t *b, int32_t n, int64_t acc) {
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        acc = __smlald(pair(a + i), pair(b + i), acc);
        acc = __smlald(pair(a + i + 2), pair(b + i + 2), acc);
    }
    for (; i < n; i++) {
        acc += (int32_t) a[i] * (int32_t) b[i];
    }
    return acc;
}
#endif

/* ---- section 3: forward kernels ------------------------------------------------------------------------ */

int32_t tf_dense_s16(const int16_t *w, int wf, const int16_t *b, int bf, const int16_t *x, int xf,
                     int16_t *y, int yf, int32_t in, int32_t out) {
    int acc_frac = wf + xf;
    int bias_shift = bf - acc_frac;
    int out_shift = acc_frac - yf;
    int32_t saturated = 0;
    int32_t j = 0;
#ifdef TF_DSP
    /* two rows at a time share each load of the input (as CMSIS-NN's fully connected kernels do) */
    if (out_shift > 0 && out_shift < 63) {
        for (; j + 2 <= out; j += 2) {
            const int16_t *r0 = w + (size_t) j * (size_t) in;
            const int16_t *r1 = r0 + in;
            int64_t a0 = bias_shift <= 0 && bias_shift > -32 ? (int64_t) b[j] * ((int64_t) 1 << -bias_shift)
                                                             : tf_rounding_shift(b[j], bias_shift);
            int64_t a1 = bias_shift <= 0 && bias_shift > -32 ? (int64_t) b[j + 1] * ((int64_t) 1 << -bias_shift)
                                                             : tf_rounding_shift(b[j + 1], bias_shift);
            int32_t i = 0;
            for (; i + 2 <= in; i += 2) {
                int32_t xv = pair(x + i);
                a0 = __smlald(pair(r0 + i), xv, a0);
                a1 = __smlald(pair(r1 + i), xv, a1);
            }
            for (; i < in; i++) {
                a0 += (int32_t) r0[i] * (int32_t) x[i];
                a1 += (int32_t) r1[i] * (int32_t) x[i];
            }
            saturated += store_rounded(a0, out_shift, y + j);
            saturated += store_rounded(a1, out_shift, y + j + 1);
        }
    }
#endif
    for (; j < out; j++) {
        int64_t acc = tf_rounding_shift(b[j], bias_shift);
        const int16_t *row = w + (size_t) j * (size_t) in;
#if defined(TF_DSP) || defined(TF_VECTOR)
#ifdef TF_DSP
        acc = dot_s16(row, x, in, acc);
#else
        if (in >= 8) {
            acc += dot_split(row, x, in);
        } else {
            for (int32_t i = 0; i < in; i++) { /* too short a row for vectors */
                acc += (int32_t) row[i] * (int32_t) x[i];
            }
        }
#endif
        if (out_shift > 0 && out_shift < 63) {
            /* the rounding shift inline: the accumulator is far from int64's ends (|acc| < 2^47), so no wrap */
            saturated += store_rounded(acc, out_shift, y + j);
            continue;
        }
#else
        for (int32_t i = 0; i < in; i++) {
            acc += (int32_t) row[i] * (int32_t) x[i];
        }
#endif
        int64_t r = out_shift >= 0 ? tf_rounding_shift(acc, out_shift) : tf_shift_left_sat(acc, -out_shift);
        if (r > TF_S16_MAX || r < TF_S16_MIN) {
            saturated++;
        }
        y[j] = tf_saturate16(r);
    }
    return saturated;
}

int32_t tf_conv1d_s16(const int16_t *w, int wf, const int16_t *b, int bf, const int16_t *x, int xf,
                      int16_t *y, int yf, int32_t len, int32_t cin, int32_t filters, int32_t kernel) {
    int32_t saturated = 0;
    for (int32_t t = 0; t + kernel <= len; t++) {
        saturated += tf_dense_s16(w, wf, b, bf, x + (size_t) t * (size_t) cin, xf, y + (size_t) t * (size_t) filters, yf,
                                  kernel * cin, filters);
    }
    return saturated;
}

void tf_relu_s16(const int16_t *x, int16_t *y, int32_t n) {
    for (int32_t i = 0; i < n; i++) {
        y[i] = x[i] > 0 ? x[i] : 0;
    }
}

enum { TF_TABLE_INPUT_FRAC = 11, TF_SEGMENT_SHIFT = 7, TF_SEGMENTS = 256 };

static int32_t interpolate(const int32_t *table, int32_t u) {
    int32_t seg = u >> TF_SEGMENT_SHIFT;
    int32_t t = u & ((1 << TF_SEGMENT_SHIFT) - 1);
    if (seg >= TF_SEGMENTS) {
        return table[TF_SEGMENTS];
    }
    int32_t a = table[seg];
    int32_t b = table[seg + 1];
    return a + (((b - a) * t + (1 << (TF_SEGMENT_SHIFT - 1))) >> TF_SEGMENT_SHIFT);
}

static int32_t clamp_signed(int32_t x) {
    return x < -8 * 2048 ? -8 * 2048 : (x > 8 * 2048 - 1 ? 8 * 2048 - 1 : x);
}

static int32_t exp_q15(int32_t x) {
    int32_t u = (x < -32768 ? -32768 : (x > 0 ? 0 : x)) + 32768;
    return interpolate(tf_exp_table, u);
}

/*
 * tf_rounding_shift_sat16(x, shift) for an int16 x and |shift| <= 15 in 32-bit arithmetic (the DSP path's; the
 * reference calls the int64 helper for every element).
 */
static int32_t table_input(int32_t x, int shift) {
#ifdef TF_DSP
    if (shift > 0 && shift <= 15) {
        return (x + (1 << (shift - 1))) >> shift;
    }
    if (shift <= 0 && shift >= -15) {
        return __ssat(x * (1 << -shift), 16);
    }
#endif
    return tf_rounding_shift_sat16(x, shift);
}

void tf_tanh_s16(const int16_t *x, int xf, int16_t *y, int32_t n) {
    int shift = xf - TF_TABLE_INPUT_FRAC;
    for (int32_t i = 0; i < n; i++) {
        y[i] = (int16_t) interpolate(tf_tanh_table, clamp_signed(table_input(x[i], shift)) + 8 * 2048);
    }
}

void tf_sigmoid_s16(const int16_t *x, int xf, int16_t *y, int32_t n) {
    int shift = xf - TF_TABLE_INPUT_FRAC;
    for (int32_t i = 0; i < n; i++) {
        y[i] = (int16_t) interpolate(tf_sigmoid_table, clamp_signed(tf_rounding_shift_sat16(x[i], shift)) + 8 * 2048);
    }
}

void tf_softmax_s16(const int16_t *x, int xf, int16_t *y, int32_t n) {
    int32_t max = TF_S16_MIN;
    for (int32_t i = 0; i < n; i++) {
        max = x[i] > max ? x[i] : max;
    }
    int shift = xf - TF_TABLE_INPUT_FRAC;
    int64_t sum = 0;
    for (int32_t i = 0; i < n; i++) {
        sum += exp_q15(tf_rounding_shift_sat16((int32_t) x[i] - max, shift));
    }
    for (int32_t i = 0; i < n; i++) {
        /* recomputed rather than stored: exp(0) = 32768 does not fit the int16 output */
        int32_t e = exp_q15(tf_rounding_shift_sat16((int32_t) x[i] - max, shift));
        int64_t p = ((int64_t) e * 32768 + sum / 2) / sum;
        y[i] = (int16_t) (p < TF_S16_MAX ? p : TF_S16_MAX);
    }
}

/* ---- the network: arena layout of the Java planner (section 11) ---------------------------------------- */

static int32_t *wide(void *arena) {
    return (int32_t *) arena;
}

static int16_t *narrow(const tf_model *m, void *arena) {
    return (int16_t *) ((uint8_t *) arena + (size_t) m->wide_len * 4u);
}

/* Index of layer l's output fractional bits in the scales section (l = -1: the network input). */
static int32_t layer_frac_index(const tf_model *m, int32_t l) {
    return l < 0 ? m->scales_off + m->tensor_count + m->layer_count : m->scales_off + m->tensor_count + l;
}

/* ReLU inherits its input's fractional bits; tanh, sigmoid and softmax output Q0.15. */
static void derive_activation_fracs(const tf_model *m, int32_t *q) {
    for (int32_t l = 0; l < m->layer_count; l++) {
        uint8_t k = m->layers[l].kind;
        if (k == TF_RELU) {
            q[layer_frac_index(m, l)] = q[layer_frac_index(m, l - 1)];
        } else if (k == TF_TANH || k == TF_SIGMOID || k == TF_SOFTMAX) {
            q[layer_frac_index(m, l)] = 15;
        }
    }
}

tf_status tf_init_s16(const tf_model *m, void *arena, size_t arena_bytes) {
    if (m == NULL || arena == NULL) {
        return TF_ERR_ARGUMENT;
    }
    if (arena_bytes < m->arena_bytes || ((uintptr_t) arena & 3u) != 0) {
        return TF_ERR_ARENA;
    }
    memset(arena, 0, m->arena_bytes);
    return tf_load_s16(m, arena, m->params, m->tensor_frac, m->input_frac, m->output_frac);
}

tf_status tf_load_s16(const tf_model *m, void *arena, const int16_t *params, const int8_t *tensor_frac,
                      int8_t input_frac, const int8_t *output_frac) {
    if (m == NULL || arena == NULL || params == NULL || tensor_frac == NULL || output_frac == NULL) {
        return TF_ERR_ARGUMENT;
    }
    int32_t *q = wide(arena);
    int16_t *s = narrow(m, arena);
    memcpy(s + m->weights_off, params, (size_t) m->param_count * sizeof(int16_t));
    for (int32_t t = 0; t < m->tensor_count; t++) {
        q[m->scales_off + t] = tensor_frac[t];
    }
    q[layer_frac_index(m, -1)] = input_frac;
    int32_t k = 0;
    for (int32_t l = 0; l < m->layer_count; l++) {
        uint8_t kind = m->layers[l].kind;
        if (kind == TF_DENSE || kind == TF_CONV1D) {
            q[layer_frac_index(m, l)] = output_frac[k++];
        }
    }
    derive_activation_fracs(m, q);
    /* a fresh start of training, as the Java engine's load: generator, accumulators, velocities, batch, masters */
    if (m->rng_off >= 0) {
        q[m->rng_off] = (int32_t) m->rng_seed_state;
    }
    int32_t trainable = m->param_count - m->train_start;
    for (int32_t i = 0; i < trainable; i++) {
        if (m->master_off >= 0) {
            q[m->master_off + i] = (int32_t) ((uint32_t) (int32_t) s[m->weights_off + m->train_start + i] << TF_MASTER_EXTRA);
        }
        if (m->acc_off >= 0) {
            q[m->acc_off + i] = 0;
        }
        if (m->vel_off >= 0) {
            q[m->vel_off + i] = 0;
        }
    }
    if (m->batch_off >= 0) {
        q[m->batch_off] = 0;
    }
    return TF_OK;
}

tf_status tf_save_s16(const tf_model *m, const void *arena, int16_t *params, int8_t *tensor_frac,
                      int8_t *input_frac, int8_t *output_frac) {
    if (m == NULL || arena == NULL || params == NULL || tensor_frac == NULL || input_frac == NULL || output_frac == NULL) {
        return TF_ERR_ARGUMENT;
    }
    const int32_t *q = (const int32_t *) arena;
    const int16_t *s = (const int16_t *) ((const uint8_t *) arena + (size_t) m->wide_len * 4u);
    memcpy(params, s + m->weights_off, (size_t) m->param_count * sizeof(int16_t));
    for (int32_t t = 0; t < m->tensor_count; t++) {
        tensor_frac[t] = (int8_t) q[m->scales_off + t];
    }
    *input_frac = (int8_t) q[layer_frac_index(m, -1)];
    int32_t k = 0;
    for (int32_t l = 0; l < m->layer_count; l++) {
        uint8_t kind = m->layers[l].kind;
        if (kind == TF_DENSE || kind == TF_CONV1D) {
            output_frac[k++] = (int8_t) q[layer_frac_index(m, l)];
        }
    }
    return TF_OK;
}

int tf_output_frac(const tf_model *m, const void *arena) {
    return ((const int32_t *) arena)[layer_frac_index(m, m->layer_count - 1)];
}

static tf_status forward(const tf_model *m, void *arena, tf_stats *stats);

tf_status tf_infer_s16(const tf_model *m, void *arena, const int16_t *input, int16_t *output, tf_stats *stats) {
    if (m == NULL || arena == NULL || input == NULL || output == NULL) {
        return TF_ERR_ARGUMENT;
    }
    int16_t *s = narrow(m, arena);
    memcpy(s + m->input_off, input, (size_t) m->input_size * sizeof(int16_t));
    tf_status st = forward(m, arena, stats);
    if (st != TF_OK) {
        return st;
    }
    memcpy(output, s + m->layers[m->layer_count - 1].out_off, (size_t) m->output_size * sizeof(int16_t));
    return TF_OK;
}

/* Runs every layer on the input already in the arena; counts output saturations per layer. */
static tf_status forward(const tf_model *m, void *arena, tf_stats *stats) {
    int32_t *q = wide(arena);
    int16_t *s = narrow(m, arena);
    for (int32_t l = 0; l < m->layer_count; l++) {
        const tf_layer *L = &m->layers[l];
        const int16_t *x = s + L->in_off;
        int16_t *y = s + L->out_off;
        int xf = q[layer_frac_index(m, l - 1)];
        switch (L->kind) {
            case TF_DENSE: {
                const int16_t *w = s + m->weights_off + L->weight_off;
                const int16_t *b = s + m->weights_off + L->bias_off;
                int32_t hits = tf_dense_s16(w, q[m->scales_off + L->tensor], b, q[m->scales_off + L->tensor + 1], x, xf,
                                            y, q[layer_frac_index(m, l)], L->in_size, L->out_size);
                if (stats != NULL) {
                    stats->layer_hits[l] += hits;
                    stats->saturations += (uint64_t) hits;
                }
                break;
            }
            case TF_CONV1D: {
                const int16_t *w = s + m->weights_off + L->weight_off;
                const int16_t *b = s + m->weights_off + L->bias_off;
                int32_t hits = tf_conv1d_s16(w, q[m->scales_off + L->tensor], b, q[m->scales_off + L->tensor + 1], x, xf,
                                             y, q[layer_frac_index(m, l)], L->in_size / L->conv_cin, L->conv_cin,
                                             L->conv_filters, L->conv_kernel);
                if (stats != NULL) {
                    stats->layer_hits[l] += hits;
                    stats->saturations += (uint64_t) hits;
                }
                break;
            }
            case TF_RELU:
                tf_relu_s16(x, y, L->out_size);
                break;
            case TF_TANH:
                tf_tanh_s16(x, xf, y, L->out_size);
                break;
            case TF_SIGMOID:
                tf_sigmoid_s16(x, xf, y, L->out_size);
                break;
            case TF_SOFTMAX:
                tf_softmax_s16(x, xf, y, L->out_size);
                break;
            default:
                return TF_ERR_LAYER;
        }
    }
    return TF_OK;
}

/* ---- training (sections 4-7 and 9) ----------------------------------------------------------------------- */

enum { TF_LR_FRAC = 16, TF_DX_PRESHIFT = 16, TF_MAX_GRAD_FRAC = 30, TF_NOISE_STRIDE = 40503 };

static int bit_length(uint64_t v) {
    int n = 0;
    while (v != 0) {
        n++;
        v >>= 1;
    }
    return n;
}

static int64_t rounding_divide(int64_t n, int64_t d) {
    return n >= 0 ? (n + d / 2) / d : -((-n + d / 2) / d);
}

static int overflows16(int64_t v) {
    return v > TF_S16_MAX || v < TF_S16_MIN;
}

/* floor(x * 2^f + 0.5) in double, as the Java engine quantises inputs and targets. */
static int64_t quantize_wide(float x, int f) {
#ifdef TF_DSP
    /*
     * The same without double arithmetic, which a single-precision FPU emulates in software: v = x 2^f is exact in
     * float (a power of two; no overflow below 2^22), its truncation i and fraction v - i are exact, and
     * floor(v + 0.5) is i plus one for a fraction >= 1/2, or i minus one for a fraction < -1/2.
     */
    if (f >= 0 && f < 31) {
        float v = x * (float) ((int32_t) 1 << f);
        if (v > -4194304.0f && v < 4194304.0f) {
            int32_t i = (int32_t) v;
            float frac = v - (float) i;
            return (int64_t) i + (frac >= 0.5f ? 1 : 0) - (frac < -0.5f ? 1 : 0);
        }
    }
#endif
    return (int64_t) floor((double) x * (double) ((int64_t) 1 << f) + 0.5);
}

/* Section 5: block normalisation of an int32 vector with `frac` bits into int16; returns the new frac. */
static int normalize_s16(const int32_t *v, int32_t n, int frac, int16_t *out) {
    int64_t max = 0;
    for (int32_t i = 0; i < n; i++) {
        int64_t a = v[i] < 0 ? -(int64_t) v[i] : (int64_t) v[i];
        max = a > max ? a : max;
    }
    int a = bit_length((uint64_t) max) - 15;
    int b = frac - TF_MAX_GRAD_FRAC;
    int shift = a > b ? a : b;
    for (int32_t i = 0; i < n; i++) {
        out[i] = tf_rounding_shift_sat16(v[i], shift);
    }
    return frac - shift;
}

static uint32_t xorshift32(uint32_t x) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
}

static int32_t noise(uint32_t draw, int32_t k) {
    return (int32_t) ((draw + (uint32_t) k * (uint32_t) TF_NOISE_STRIDE) & 0xFFFFu);
}

static int64_t step_nearest(int64_t v, int shift) {
    return shift > 0 ? tf_rounding_shift(v, shift) : tf_shift_left_sat(v, -shift < 62 ? -shift : 62);
}

static int64_t step_stochastic(int64_t v, int shift, int32_t noise16) {
    if (shift <= 0) {
        return tf_shift_left_sat(v, -shift < 62 ? -shift : 62);
    }
    int64_t n = shift <= 16 ? (int64_t) ((uint32_t) noise16 >> (16 - shift)) : (int64_t) noise16 << (shift - 16);
    return (v + n) >> shift;
}

/*
 * Section 6: dx[i] = roundingShift(sum_j W[j][i] e[j], 16). The reference sums row by row in split int32 sums, rows
 * with e[j] = 0 skipped; the DSP path sums each column in int64, two rows per SMLALD (the column's two weights
 * packed into one word), which is the same exact sum rounded once (docs/fixed-point.md section 6: either form).
 */
static void dense_backward_input(const int16_t *w, const int16_t *e, int32_t *dx, int32_t *low, int32_t in, int32_t out) {
#ifdef TF_DSP
    (void) low;
    for (int32_t i = 0; i < in; i++) {
        const int16_t *col = w + i;
        int64_t acc = 0;
        int32_t j = 0;
        for (; j + 2 <= out; j += 2) {
            int32_t ws = (int32_t) (((uint32_t) (uint16_t) col[(size_t) j * (size_t) in])
                                    | ((uint32_t) (uint16_t) col[(size_t) (j + 1) * (size_t) in] << 16));
            acc = __smlald(ws, pair(e + j), acc);
        }
        for (; j < out; j++) {
            acc += (int32_t) col[(size_t) j * (size_t) in] * (int32_t) e[j];
        }
        dx[i] = (int32_t) tf_rounding_shift(acc, TF_DX_PRESHIFT);
    }
#else
    for (int32_t i = 0; i < in; i++) {
        dx[i] = 0;
        low[i] = 0;
    }
    for (int32_t j = 0; j < out; j++) {
        int32_t g = e[j];
        if (g == 0) {
            continue;
        }
        const int16_t *row = w + (size_t) j * (size_t) in;
        for (int32_t i = 0; i < in; i++) {
            int32_t p = (int32_t) row[i] * g;
            dx[i] += p >> 16;
            low[i] += p & 0xFFFF;
        }
    }
    for (int32_t i = 0; i < in; i++) {
        dx[i] += (low[i] + (1 << (TF_DX_PRESHIFT - 1))) >> TF_DX_PRESHIFT;
    }
#endif
}

#ifdef TF_VECTOR
/* One weight's step in 32-bit arithmetic (see dense_update); returns 1 if the weight saturated. */
static inline int32_t step_weight32(int16_t *w, int32_t x, int32_t gh, int32_t gu, int up, int down, int down2, int32_t c) {
    int32_t q = (int32_t) (((uint32_t) (gh * x) << up) + (uint32_t) ((gu * x) >> down)) >> down2;
    int32_t v = *w - ((q + c) >> 16);
    int32_t sat = v > TF_S16_MAX ? TF_S16_MAX : (v < TF_S16_MIN ? TF_S16_MIN : v);
    *w = (int16_t) sat;
    return sat != v;
}
#endif

/* Section 7, direct mode: w -= round(lrQ e_j x_i), one draw per row, zero rows and inputs skipped. */
static void dense_update(int16_t *w, int wf, int16_t *b, int bf, const int16_t *x, int xf, const int16_t *e, int ef,
                         int32_t in, int32_t out, int32_t lr_q, int32_t *rng, int32_t *hits, int32_t *non_zero) {
    int w_shift = ef + xf + TF_LR_FRAC - wf;
    int b_shift = ef + TF_LR_FRAC - bf;
    uint32_t state = rng != NULL ? (uint32_t) *rng : 0u;
    int32_t weight_hits = 0;
    int32_t bias_hits = 0;
    int32_t nz = 0;
    for (int32_t i = 0; i < in; i++) {
        if (x[i] != 0) {
            non_zero[nz++] = i;
        }
    }
#if defined(TF_DSP) || defined(TF_VECTOR)
    int32_t xmax = 0; /* the largest |x|, which bounds every product of a row */
    for (int32_t i = 0; i < in; i++) {
        int32_t ax = x[i] < 0 ? -(int32_t) x[i] : x[i];
        xmax = ax > xmax ? ax : xmax;
    }
#endif
    for (int32_t j = 0; j < out; j++) {
        int32_t g = e[j];
        if (g == 0) {
            continue;
        }
        int64_t gl = (int64_t) g * lr_q;
        int16_t *row = w + (size_t) j * (size_t) in;
        if (rng != NULL) {
            state = xorshift32(state);
        }
        int32_t k = 0;
#ifdef TF_DSP
        /*
         * For a shift s >= 16, floor((gl x + c 2^(s-16)) / 2^s) = floor((floor(gl x / 2^(s-16)) + c) / 2^16), with
         * c the 16-bit noise (stochastic) or 2^15 (nearest): an identity of floors. When |gl| max|x| < 2^(30 + s - 16)
         * the inner floor fits in 30 bits and the whole step is 32-bit arithmetic after one 32x32->64 multiply, with
         * SSAT saturation: the same step as the reference, for every weight of the row.
         */
        if (w_shift >= 16 && w_shift < 62 && gl >= -INT32_MAX && gl <= INT32_MAX
            && (((gl < 0 ? -gl : gl) * (int64_t) xmax) >> (w_shift - 16 + 30)) == 0) {
            int32_t gl32 = (int32_t) gl;
            __asm volatile("" : "+r"(gl32)); /* a 32-bit factor from here on: SMULL, not a 64-bit multiply */
            int s2 = w_shift - 16;
            if (rng != NULL) {
                for (; k < nz; k++) {
                    int32_t i = non_zero[k];
                    int32_t step = (floor_shift(gl32, x[i], s2) + noise(state, i)) >> 16;
                    int32_t v = row[i] - step;
                    int32_t sat = __ssat(v, 16);
                    weight_hits += sat != v;
                    row[i] = (int16_t) sat;
                }
            } else {
                for (; k < nz; k++) {
                    int32_t i = non_zero[k];
                    int32_t step = (floor_shift(gl32, x[i], s2) + 32768) >> 16;
                    int32_t v = row[i] - step;
                    int32_t sat = __ssat(v, 16);
                    weight_hits += sat != v;
                    row[i] = (int16_t) sat;
                }
            }
        }
#endif
#ifdef TF_VECTOR
        /*
         * Every input, zeros included (a zero input's step is 0 under either rounding), without branches, in 32-bit
         * lanes. Under the DSP path's bound (s = w_shift >= 16, |gl| max|x| < 2^(30 + s - 16)), the step is
         * (floor(gl x / 2^(s-16)) + c) >> 16 with c the 16-bit noise or 2^15; with gl = gh 2^16 + gu (0 <= gu < 2^16)
         * the floor is (gh x + ((gu x) >> 16)) >> (s - 32) for s >= 32, and (gh x) 2^(32-s) + ((gu x) >> (s - 16))
         * below, which is exact modulo 2^32 and so exact, the result fitting in 30 bits. Every product fits in int32.
         */
        if (in >= 8 && w_shift >= 16 && w_shift < 62 && gl >= -INT32_MAX && gl <= INT32_MAX
            && (((gl < 0 ? -gl : gl) * (int64_t) xmax) >> (w_shift - 16 + 30)) == 0) {
            int32_t gh = (int32_t) (gl >> 16);
            int32_t gu = (int32_t) (gl & 0xFFFF);
            uint32_t draw = rng != NULL ? state : 0u;
            uint32_t mask = rng != NULL ? 0xFFFFu : 0u;
            int32_t half = rng != NULL ? 0 : 32768;
            /* the step's floor as gh x 2^up + ((gu x) >> down) >> down2: one of up and down2 is 0 */
            int up = w_shift < 32 ? 32 - w_shift : 0;
            int down = w_shift < 32 ? w_shift - 16 : 16;
            int down2 = w_shift < 32 ? 0 : w_shift - 32;
            for (int32_t i = 0; i < in; i++) {
                weight_hits += step_weight32(row + i, x[i], gh, gu, up, down, down2,
                                             (int32_t) ((draw + (uint32_t) i * TF_NOISE_STRIDE) & mask) + half);
            }
            k = nz;
        }
#endif
        for (; k < nz; k++) {
            int32_t i = non_zero[k];
            int64_t update = gl * x[i];
            int64_t step = rng != NULL ? step_stochastic(update, w_shift, noise(state, i)) : step_nearest(update, w_shift);
            int64_t v = row[i] - step;
            weight_hits += overflows16(v);
            row[i] = tf_saturate16(v);
        }
        int64_t step = rng != NULL ? step_stochastic(gl, b_shift, noise(state, in)) : step_nearest(gl, b_shift);
        int64_t v = b[j] - step;
        bias_hits += overflows16(v);
        b[j] = tf_saturate16(v);
    }
    if (rng != NULL) {
        *rng = (int32_t) state;
    }
    hits[0] += weight_hits;
    hits[1] += bias_hits;
}

/* ---- the optimiser sections: master weights, accumulation, momentum (section 7) -------------------------- */

static int32_t saturate32(int64_t v) {
    return (int32_t) (v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : v));
}

/* The model's rounding of an exact update to `shift` fewer bits, with the element's noise. */
static int64_t round_step(const tf_model *m, int64_t v, int shift, int32_t noise16) {
    return m->rng_off >= 0 ? step_stochastic(v, shift, noise16) : step_nearest(v, shift);
}

/* M -= step within the int16 range at 16 more fractional bits (a clamp counts a saturation of `tensor`); W = round(M). */
static void land_on_master(const tf_model *m, int32_t *q, int16_t *w, int32_t trainable, int64_t step, int32_t tensor,
                           tf_stats *st) {
    int32_t *master = q + m->master_off + trainable;
    int64_t v = *master - step;
    int64_t max = (int64_t) TF_S16_MAX << TF_MASTER_EXTRA;
    int64_t min = -((int64_t) 32768 << TF_MASTER_EXTRA);
    if (v > max || v < min) {
        st->tensor_hits[tensor]++;
        v = v > max ? max : min;
    }
    *master = (int32_t) v;
    *w = tf_rounding_shift_sat16(v, TF_MASTER_EXTRA);
}

/*
 * Where one exact update lands when the weights are not stepped directly: into its accumulator (accumulation or
 * momentum), else into its master weight; rounded to the accumulator's 16 extra bits with the element's noise.
 */
static void land(const tf_model *m, int32_t *q, int16_t *w, int32_t trainable, int64_t update, int shift, int32_t noise16,
                 int32_t tensor, tf_stats *st) {
    int64_t step = round_step(m, update, shift - TF_MASTER_EXTRA, noise16);
    if (m->acc_off >= 0) {
        int32_t *acc = q + m->acc_off + trainable;
        *acc = saturate32((int64_t) *acc + step);
    } else {
        land_on_master(m, q, w, trainable, step, tensor, st);
    }
}

static int32_t next_draw(const tf_model *m, int32_t *q) {
    if (m->rng_off < 0) {
        return 0;
    }
    q[m->rng_off] = (int32_t) xorshift32((uint32_t) q[m->rng_off]);
    return q[m->rng_off];
}

/* Dense update through land(): the direct mode's row order, row skipping and per-row draw (Dense.updateS16). */
TF_NOINLINE static void dense_update_landed(const tf_model *m, int32_t *q, const tf_layer *L, int16_t *w, int wf, int16_t *b, int bf,
                                const int16_t *x, int xf, const int16_t *e, int ef, tf_stats *st) {
    int32_t in = L->in_size;
    int32_t out = L->out_size;
    int w_shift = ef + xf + TF_LR_FRAC - wf;
    int b_shift = ef + TF_LR_FRAC - bf;
    int32_t base = L->weight_off - m->train_start;
    for (int32_t j = 0; j < out; j++) {
        int32_t g = e[j];
        if (g == 0) {
            continue;
        }
        uint32_t draw = (uint32_t) next_draw(m, q);
        int64_t gl = (int64_t) g * m->lr_q;
        int16_t *row = w + (size_t) j * (size_t) in;
        for (int32_t i = 0; i < in; i++) {
            if (x[i] != 0) {
                land(m, q, row + i, base + j * in + i, gl * x[i], w_shift, noise(draw, i), L->tensor, st);
            }
        }
        land(m, q, b + j, base + in * out + j, gl, b_shift, noise(draw, in), L->tensor + 1, st);
    }
}

/* Section 6, Conv1D: dx[p][c] = saturate32(roundingShift(sum over valid t and filters of W[f][p-t][c] e[t][f], 16)). */
TF_NOINLINE static void conv1d_backward_input(const int16_t *w, const int16_t *e, int32_t *dx, int32_t len, int32_t cin,
                                  int32_t filters, int32_t k) {
    int32_t out_len = len - k + 1;
    int32_t window = k * cin;
    for (int32_t p = 0; p < len; p++) {
        int32_t t_from = p - k + 1 > 0 ? p - k + 1 : 0;
        int32_t t_to = out_len - 1 < p ? out_len - 1 : p;
        for (int32_t c = 0; c < cin; c++) {
            int64_t acc = 0;
            for (int32_t t = t_from; t <= t_to; t++) {
                const int16_t *wi = w + (size_t) (p - t) * (size_t) cin + (size_t) c;
                const int16_t *ei = e + (size_t) t * (size_t) filters;
                for (int32_t f = 0; f < filters; f++) {
                    acc += (int32_t) wi[(size_t) f * (size_t) window] * (int32_t) ei[f];
                }
            }
            dx[p * cin + c] = saturate32(tf_rounding_shift(acc, TF_DX_PRESHIFT));
        }
    }
}

/*
 * Section 7, Conv1D: per filter whose error is not zero everywhere, one draw; each window element's update is summed
 * over output positions first (one rounding per weight), then the bias (element `window`). Direct, or through land().
 */
TF_NOINLINE static void conv1d_update(const tf_model *m, int32_t *q, const tf_layer *L, int16_t *w, int wf, int16_t *b, int bf,
                          const int16_t *x, int xf, const int16_t *e, int ef, tf_stats *st, int landed) {
    int32_t cin = L->conv_cin;
    int32_t filters = L->conv_filters;
    int32_t k = L->conv_kernel;
    int32_t out_len = L->in_size / cin - k + 1;
    int32_t window = k * cin;
    int w_shift = ef + xf + TF_LR_FRAC - wf;
    int b_shift = ef + TF_LR_FRAC - bf;
    int32_t base = L->weight_off - m->train_start;
    for (int32_t f = 0; f < filters; f++) {
        int64_t gsum = 0;
        int any = 0;
        for (int32_t t = 0; t < out_len; t++) {
            int32_t g = e[t * filters + f];
            gsum += g;
            any |= g != 0;
        }
        if (!any) {
            continue;
        }
        uint32_t draw = (uint32_t) next_draw(m, q);
        for (int32_t i = 0; i <= window; i++) {
            int64_t update;
            int shift;
            int16_t *elem;
            if (i < window) {
                int64_t acc = 0;
                for (int32_t t = 0; t < out_len; t++) {
                    acc += (int32_t) e[t * filters + f] * (int32_t) x[t * cin + i];
                }
                update = acc * m->lr_q;
                shift = w_shift;
                elem = w + (size_t) f * (size_t) window + (size_t) i;
            } else {
                update = gsum * m->lr_q;
                shift = b_shift;
                elem = b + f;
            }
            int32_t tensor = L->tensor + (i < window ? 0 : 1);
            if (landed) {
                land(m, q, elem, base + (i < window ? f * window + i : filters * window + f), update, shift,
                     noise(draw, i), tensor, st);
                continue;
            }
            int64_t v = *elem - round_step(m, update, shift, noise(draw, i));
            st->tensor_hits[tensor] += overflows16(v);
            *elem = tf_saturate16(v);
        }
    }
}

/* Counts one step of the batch; 1 when the batch is complete (always, with one step per batch). */
static int batch_complete(const tf_model *m, int32_t *q) {
    if (m->batch_off < 0) {
        return 1;
    }
    if (++q[m->batch_off] < m->accumulation_steps) {
        return 0;
    }
    q[m->batch_off] = 0;
    return 1;
}

/*
 * End of a batch: d = roundingDivide(A, k), A = 0; with momentum V = saturate32(roundingShift(muQ V, 16) + d), d = V;
 * then W -= round(d, 16) with one draw per tensor (or M -= d into the master).
 */
TF_NOINLINE static void apply_accumulated(const tf_model *m, int32_t *q, int16_t *s, tf_stats *st) {
    int32_t k = m->accumulation_steps;
    for (int32_t l = m->first_trainable; l < m->layer_count; l++) {
        const tf_layer *L = &m->layers[l];
        if (L->kind != TF_DENSE && L->kind != TF_CONV1D) {
            continue;
        }
        for (int32_t part = 0; part < 2; part++) {
            int32_t tensor = L->tensor + part;
            uint32_t draw = (uint32_t) next_draw(m, q);
            for (int32_t p = m->tensor_start[tensor]; p < m->tensor_start[tensor + 1]; p++) {
                int32_t trainable = p - m->train_start;
                int32_t *acc = q + m->acc_off + trainable;
                int64_t d = rounding_divide(*acc, k);
                *acc = 0;
                if (m->vel_off >= 0) {
                    int32_t *vel = q + m->vel_off + trainable;
                    d = saturate32(tf_rounding_shift((int64_t) m->momentum_q * *vel, TF_LR_FRAC) + d);
                    *vel = (int32_t) d;
                }
                int16_t *w = s + m->weights_off + p;
                if (m->master_off >= 0) {
                    land_on_master(m, q, w, trainable, d, tensor, st);
                } else {
                    int64_t v = *w - round_step(m, d, TF_MASTER_EXTRA, noise(draw, p - m->tensor_start[tensor]));
                    st->tensor_hits[tensor] += overflows16(v);
                    *w = tf_saturate16(v);
                }
            }
        }
    }
}

tf_status tf_train_step_s16(const tf_model *m, void *arena, const float *input, const float *target, tf_stats *st) {
    if (m == NULL || arena == NULL || input == NULL || target == NULL || st == NULL) {
        return TF_ERR_ARGUMENT;
    }
    if (!m->training) {
        return TF_ERR_ARGUMENT;
    }
    int32_t *q = wide(arena);
    int16_t *s = narrow(m, arena);
    int32_t last = m->layer_count - 1;

    int in_frac = q[layer_frac_index(m, -1)];
    for (int32_t i = 0; i < m->input_size; i++) {
        int64_t v = quantize_wide(input[i], in_frac);
        if (overflows16(v)) {
            st->saturations++;
        }
        s[m->input_off + i] = tf_saturate16(v);
    }
    tf_status status = forward(m, arena, st);
    if (status != TF_OK) {
        return status;
    }

    /* Section 4: output gradient into dx, normalised into the error vector. */
    const int16_t *y = s + m->layers[last].out_off;
    int32_t *dx = q + m->dx_off;
    int16_t *err = s + m->err_off;
    int32_t n = m->output_size;
    int grad_frac;
    if (m->loss == TF_LOSS_SOFTMAX_CROSS_ENTROPY) {
        for (int32_t i = 0; i < n; i++) {
#ifdef TF_DSP
            int64_t t = quantize_wide(target[i], 15);
#else
            int64_t t = (int64_t) floor((double) target[i] * 32768.0 + 0.5);
#endif
            t = t < 0 ? 0 : (t > 32768 ? 32768 : t);
            dx[i] = (int32_t) (y[i] - t);
        }
        grad_frac = 15;
    } else {
        int yf = q[layer_frac_index(m, last)];
        for (int32_t i = 0; i < n; i++) {
            int64_t t = quantize_wide(target[i], yf);
            if (overflows16(t)) {
                st->layer_hits[last]++;
                st->saturations++;
            }
            int64_t e = y[i] - t;
            e = e < -((int64_t) 1 << 22) ? -((int64_t) 1 << 22) : (e > ((int64_t) 1 << 22) ? ((int64_t) 1 << 22) : e);
            dx[i] = (int32_t) rounding_divide(e * 512, n);
        }
        grad_frac = yf + 8;
    }
    int ef = normalize_s16(dx, n, grad_frac, err);

    /* Section 6: backward from the last layer (before a fused softmax) down to the first trainable one. */
    int32_t from = m->layers[last].kind == TF_SOFTMAX ? last - 1 : last;
    for (int32_t l = from; l >= m->first_trainable; l--) {
        const tf_layer *L = &m->layers[l];
        const int16_t *out = s + L->out_off;
        if (L->kind == TF_RELU) {
            for (int32_t i = 0; i < L->out_size; i++) {
                if (out[i] <= 0) {
                    err[i] = 0;
                }
            }
        } else if (L->kind == TF_TANH || L->kind == TF_SIGMOID) {
            for (int32_t i = 0; i < L->out_size; i++) {
                int32_t v = out[i];
                int32_t d = L->kind == TF_TANH ? 32768 - (int32_t) tf_rounding_shift((int64_t) v * v, 15)
                                               : (int32_t) tf_rounding_shift((int64_t) v * (32768 - v), 15);
                dx[i] = err[i] * d;
            }
            ef = normalize_s16(dx, L->out_size, ef + 15, err);
        } else if (L->kind == TF_DENSE || L->kind == TF_CONV1D) {
            int propagate = l > m->first_trainable;
            int dense = L->kind == TF_DENSE;
            int landed = m->acc_off >= 0 || m->master_off >= 0;
            int16_t *w = s + m->weights_off + L->weight_off;
            int16_t *b = s + m->weights_off + L->bias_off;
            int wf = q[m->scales_off + L->tensor];
            int bf = q[m->scales_off + L->tensor + 1];
            int xf = q[layer_frac_index(m, l - 1)];
            const int16_t *x = s + L->in_off;
            int32_t *low = m->dx_low_off >= 0 ? q + m->dx_low_off : NULL; /* there is one for every trainable Dense */
            if (propagate && dense) {
                dense_backward_input(w, err, dx, low, L->in_size, L->out_size);
            } else if (propagate) {
                conv1d_backward_input(w, err, dx, L->in_size / L->conv_cin, L->conv_cin, L->conv_filters, L->conv_kernel);
            }
            if (!dense) {
                conv1d_update(m, q, L, w, wf, b, bf, x, xf, err, ef, st, landed);
            } else if (landed) {
                dense_update_landed(m, q, L, w, wf, b, bf, x, xf, err, ef, st);
            } else {
                dense_update(w, wf, b, bf, x, xf, err, ef, L->in_size, L->out_size, m->lr_q,
                             m->rng_off >= 0 ? q + m->rng_off : NULL, st->tensor_hits + L->tensor, low);
            }
            if (propagate) {
                ef = normalize_s16(dx, L->in_size, wf + ef - TF_DX_PRESHIFT, err);
            }
        } else {
            return TF_ERR_LAYER;
        }
    }
    if (m->acc_off >= 0 && batch_complete(m, q)) {
        apply_accumulated(m, q, s, st);
    }

    /* Section 9: scale adaptation at the end of the step. */
    for (int32_t t = 0; t < m->tensor_count; t++) {
        int32_t hits = st->tensor_hits[t];
        if (hits == 0) {
            continue;
        }
        st->tensor_hits[t] = 0;
        st->saturations += (uint64_t) hits;
        int32_t fi = m->scales_off + t;
        if (!m->adapt_scales || q[fi] == 0) {
            continue;
        }
        q[fi]--;
        st->adaptations++;
        for (int32_t p = m->tensor_start[t]; p < m->tensor_start[t + 1]; p++) {
            s[m->weights_off + p] = (int16_t) tf_rounding_shift(s[m->weights_off + p], 1);
            int32_t trainable = p - m->train_start;
            if (trainable < 0) {
                continue;
            }
            /* accumulators, velocities and masters are halved with the tensor; W is re-derived from its master */
            if (m->acc_off >= 0) {
                q[m->acc_off + trainable] = (int32_t) tf_rounding_shift(q[m->acc_off + trainable], 1);
            }
            if (m->vel_off >= 0) {
                q[m->vel_off + trainable] = (int32_t) tf_rounding_shift(q[m->vel_off + trainable], 1);
            }
            if (m->master_off >= 0) {
                q[m->master_off + trainable] = (int32_t) tf_rounding_shift(q[m->master_off + trainable], 1);
                s[m->weights_off + p] = tf_rounding_shift_sat16(q[m->master_off + trainable], TF_MASTER_EXTRA);
            }
        }
    }
    for (int32_t l = 0; l < m->layer_count; l++) {
        if (st->layer_hits[l] == 0) {
            continue;
        }
        st->layer_hits[l] = 0;
        int32_t fi = layer_frac_index(m, l);
        uint8_t k = m->layers[l].kind;
        if (m->adapt_scales && (k == TF_DENSE || k == TF_CONV1D) && q[fi] > 0) {
            q[fi]--;
            st->adaptations++;
            derive_activation_fracs(m, q);
        }
    }
    return TF_OK;
}

/* ---- uplink compression with error feedback (io.tinyfed.core.DeltaCompressor, S16 residual) ------------------- */

/* Largest exponent f in [TF_S8_MIN_FRAC, TF_S8_MAX_FRAC] with magnitude * 2^f <= limit (the largest for zero). */
static int frac_for(float magnitude, double limit) {
    int f = TF_S8_MAX_FRAC;
    while (f > TF_S8_MIN_FRAC && ldexp((double) magnitude, f) > limit) {
        f--;
    }
    return f;
}

/* Java's Math.round for the values here (a float times a power of two): floor(x + 0.5), clamped to +-limit. */
static int32_t round_clamp(double x, int32_t limit) {
    double q = floor(x + 0.5);
    return q > limit ? limit : (q < -limit ? -limit : (int32_t) q);
}

static uint32_t float_bits(float v) {
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

/* 2^-frac as a float (exact for every scale here). */
static float pow2_neg(int frac) {
    return (float) ldexp(1.0, -frac);
}

/*
 * delta + residual, value by value in parameter order: a cursor over the adapted model in the arena, the base and the
 * residual. The delta is recomputed on every pass, so the compressor needs no float scratch of its own.
 */
typedef struct {
    const tf_model *m;
    const int32_t *wide;      /* the arena's 32-bit region: the adapted model's scales */
    const int16_t *adapted;
    const int16_t *base;
    const int8_t *base_frac;
    const int16_t *residual;
    float residual_scale;
    int32_t t;                /* tensor of the next position */
    float adapted_scale, base_scale;
} corrected_cursor;

static void cursor_rewind(corrected_cursor *c) {
    c->t = -1;
}

/* The delta at position i, adapted minus base in float; positions must come in increasing order after a rewind. */
static float delta_at(corrected_cursor *c, int32_t i) {
    while (c->t < 0 || i >= c->m->tensor_start[c->t + 1]) {
        c->t++;
        c->adapted_scale = pow2_neg(c->wide[c->m->scales_off + c->t]);
        c->base_scale = pow2_neg(c->base_frac[c->t]);
    }
    return (float) c->adapted[i] * c->adapted_scale - (float) c->base[i] * c->base_scale;
}

/* delta + residual at position i (in increasing order after a rewind, as delta_at). */
static float corrected_at(corrected_cursor *c, int32_t i) {
    return delta_at(c, i) + (float) c->residual[i] * c->residual_scale;
}

/*
 * What position i keeps after the send: delta + residual, less the value sent for it (q * 2^-frac of its block, as
 * the receiver reads it) when it is the next of the k sent positions; *next walks the positions (start at 0).
 */
static float unsent_at(corrected_cursor *c, int32_t i, const uint16_t *positions, const int8_t *values,
                       const int8_t *block_frac, int32_t k, int32_t *next) {
    float v = corrected_at(c, i);
    if (*next < k && positions[*next] == i) {
        v -= (float) ldexp((double) values[*next], -block_frac[*next / TF_S8_BLOCK]);
        (*next)++;
    }
    return v;
}

tf_status tf_compress_s16(const tf_model *m, void *arena, const int16_t *base, const int8_t *base_tensor_frac,
                          int32_t permille, uint16_t *positions, int8_t *values, int8_t *block_frac, int32_t capacity,
                          int32_t *count) {
    if (m == NULL || arena == NULL || base == NULL || base_tensor_frac == NULL || positions == NULL || values == NULL
        || block_frac == NULL || count == NULL || m->residual_off < 0 || m->residual_frac_off < 0 || permille < 1
        || permille > 1000 || m->param_count > 65535) {
        return TF_ERR_ARGUMENT;
    }
    int32_t n = m->param_count;
    double wanted = floor((double) permille / 1000.0 * (double) n + 0.5);
    int32_t k = wanted < 1 ? 1 : (wanted > n ? n : (int32_t) wanted);
    if (k > capacity) {
        return TF_ERR_ARGUMENT;
    }
    int32_t *wide = (int32_t *) arena;
    int16_t *residual = narrow(m, arena) + m->residual_off;
    corrected_cursor c = {m, wide, narrow(m, arena) + m->weights_off, base, base_tensor_frac, residual,
                          pow2_neg(wide[m->residual_frac_off]), -1, 0.f, 0.f};
    /* a non-finite delta is refused before anything changes */
    cursor_rewind(&c);
    for (int32_t i = 0; i < n; i++) {
        if (!isfinite(delta_at(&c, i))) {
            return TF_ERR_ARGUMENT;
        }
    }
    /* the k-th largest magnitude, by radix selection over the bit patterns of the magnitudes (non-negative floats
       order as their bits do), a byte at a time from the top: four passes and one histogram on the stack. What is
       left of k at the end is how many values equal to it are sent: the lowest positions among them. */
    uint32_t threshold = 0, known = 0;
    int32_t ties = k;
    for (int shift = 24; shift >= 0; shift -= 8) {
        uint16_t histogram[256];
        memset(histogram, 0, sizeof histogram);
        cursor_rewind(&c);
        for (int32_t i = 0; i < n; i++) {
            uint32_t b = float_bits(fabsf(corrected_at(&c, i)));
            if ((b & known) == threshold) {
                histogram[(b >> shift) & 0xFFu]++;
            }
        }
        int digit = 255;
        while (histogram[digit] < ties) {
            ties -= histogram[digit--];
        }
        threshold |= (uint32_t) digit << shift;
        known |= 0xFFu << shift;
    }
    /* send the chosen positions in order, each block scaled so its largest magnitude fills int8 */
    float block[TF_S8_BLOCK];
    int32_t sent = 0;
    cursor_rewind(&c);
    for (int32_t i = 0; i < n && sent < k; i++) {
        float v = corrected_at(&c, i);
        uint32_t b = float_bits(fabsf(v));
        if (!(b > threshold || (b == threshold && ties-- > 0))) {
            continue;
        }
        positions[sent] = (uint16_t) i;
        block[sent % TF_S8_BLOCK] = v;
        sent++;
        if (sent % TF_S8_BLOCK == 0 || sent == k) {
            int32_t from = (sent - 1) / TF_S8_BLOCK * TF_S8_BLOCK;
            float max = 0.f;
            for (int32_t j = from; j < sent; j++) {
                float a = fabsf(block[j - from]);
                max = a > max ? a : max;
            }
            int frac = frac_for(max, 127.0);
            double scale = ldexp(1.0, frac);
            block_frac[from / TF_S8_BLOCK] = (int8_t) frac;
            for (int32_t j = from; j < sent; j++) {
                values[j] = (int8_t) round_clamp((double) block[j - from] * scale, 127);
            }
        }
    }
    *count = k;
    /* what was not sent, and each sent value's rounding error, is the new residual, scaled so its largest fills int16:
       one pass for the largest, one to write it (each value is read before it is overwritten) */
    float max = 0.f;
    int32_t next = 0;
    cursor_rewind(&c);
    for (int32_t i = 0; i < n; i++) {
        float a = fabsf(unsent_at(&c, i, positions, values, block_frac, k, &next));
        max = a > max ? a : max;
    }
    int new_frac = frac_for(max, 32767.0);
    double residual_scale = ldexp(1.0, new_frac);
    next = 0;
    cursor_rewind(&c);
    for (int32_t i = 0; i < n; i++) {
        residual[i] = (int16_t) round_clamp((double) unsent_at(&c, i, positions, values, block_frac, k, &next)
                                            * residual_scale, 32767);
    }
    wide[m->residual_frac_off] = new_frac;
    return TF_OK;
}

tf_status tf_residual_reset_s16(const tf_model *m, void *arena) {
    if (m == NULL || arena == NULL || m->residual_off < 0 || m->residual_frac_off < 0) {
        return TF_ERR_ARGUMENT;
    }
    memset(narrow(m, arena) + m->residual_off, 0, (size_t) m->param_count * sizeof(int16_t));
    ((int32_t *) arena)[m->residual_frac_off] = 0;
    return TF_OK;
}
