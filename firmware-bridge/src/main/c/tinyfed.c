/*
 * TinyFed C99 runtime: int16 fixed-point inference, bit-exact to the Java S16 engine
 * (device-runtime/core: FixedPoint, Dense.forwardS16, Activations, ActivationTables, S16Engine).
 * The arithmetic is docs/fixed-point.md; section numbers below refer to it.
 */
#include "tinyfed.h"

#include <string.h>

#define TF_S16_MIN (-32768)
#define TF_S16_MAX 32767

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

/* ---- section 3: forward kernels ------------------------------------------------------------------------ */

int32_t tf_dense_s16(const int16_t *w, int wf, const int16_t *b, int bf, const int16_t *x, int xf,
                     int16_t *y, int yf, int32_t in, int32_t out) {
    int acc_frac = wf + xf;
    int bias_shift = bf - acc_frac;
    int out_shift = acc_frac - yf;
    int32_t saturated = 0;
    for (int32_t j = 0; j < out; j++) {
        int64_t acc = tf_rounding_shift(b[j], bias_shift);
        const int16_t *row = w + (size_t) j * (size_t) in;
        for (int32_t i = 0; i < in; i++) {
            acc += (int32_t) row[i] * (int32_t) x[i];
        }
        int64_t r = out_shift >= 0 ? tf_rounding_shift(acc, out_shift) : tf_shift_left_sat(acc, -out_shift);
        if (r > TF_S16_MAX || r < TF_S16_MIN) {
            saturated++;
        }
        y[j] = tf_saturate16(r);
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

void tf_tanh_s16(const int16_t *x, int xf, int16_t *y, int32_t n) {
    int shift = xf - TF_TABLE_INPUT_FRAC;
    for (int32_t i = 0; i < n; i++) {
        y[i] = (int16_t) interpolate(tf_tanh_table, clamp_signed(tf_rounding_shift_sat16(x[i], shift)) + 8 * 2048);
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
    int32_t *q = wide(arena);
    int16_t *s = narrow(m, arena);
    memcpy(s + m->weights_off, m->params, (size_t) m->param_count * sizeof(int16_t));
    for (int32_t t = 0; t < m->tensor_count; t++) {
        q[m->scales_off + t] = m->tensor_frac[t];
    }
    q[layer_frac_index(m, -1)] = m->input_frac;
    int32_t k = 0;
    for (int32_t l = 0; l < m->layer_count; l++) {
        uint8_t kind = m->layers[l].kind;
        if (kind == TF_DENSE || kind == TF_CONV1D) {
            q[layer_frac_index(m, l)] = m->output_frac[k++];
        }
    }
    derive_activation_fracs(m, q);
    return TF_OK;
}

int tf_output_frac(const tf_model *m, const void *arena) {
    return ((const int32_t *) arena)[layer_frac_index(m, m->layer_count - 1)];
}

tf_status tf_infer_s16(const tf_model *m, void *arena, const int16_t *input, int16_t *output) {
    if (m == NULL || arena == NULL || input == NULL || output == NULL) {
        return TF_ERR_ARGUMENT;
    }
    int32_t *q = wide(arena);
    int16_t *s = narrow(m, arena);
    memcpy(s + m->input_off, input, (size_t) m->input_size * sizeof(int16_t));
    for (int32_t l = 0; l < m->layer_count; l++) {
        const tf_layer *L = &m->layers[l];
        const int16_t *x = s + L->in_off;
        int16_t *y = s + L->out_off;
        int xf = q[layer_frac_index(m, l - 1)];
        switch (L->kind) {
            case TF_DENSE: {
                const int16_t *w = s + m->weights_off + L->weight_off;
                const int16_t *b = s + m->weights_off + L->bias_off;
                (void) tf_dense_s16(w, q[m->scales_off + L->tensor], b, q[m->scales_off + L->tensor + 1], x, xf,
                                    y, q[layer_frac_index(m, l)], L->in_size, L->out_size);
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
    memcpy(output, s + m->layers[m->layer_count - 1].out_off, (size_t) m->output_size * sizeof(int16_t));
    return TF_OK;
}
