/**
 * @file tinyfed.h
 * @brief TinyFed C99 runtime: int16 fixed-point inference, bit-exact to the Java S16 engine.
 *
 * The arithmetic is specified in docs/fixed-point.md; every function here follows it bit for bit.
 * No malloc: the caller supplies one arena of exactly TF_<MODEL>_ARENA_BYTES (the Java planner's
 * figure), laid out as the planner lays it out (a 32-bit region of scales and scratch, then a 16-bit
 * region of parameters and activations). Functions return a tf_status (0 ok, negative error).
 */
#ifndef TINYFED_H
#define TINYFED_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Status of every runtime call. */
typedef enum {
    TF_OK = 0,
    TF_ERR_ARGUMENT = -1,  /**< a null pointer or a size that does not match the model */
    TF_ERR_ARENA = -2,     /**< the arena is smaller than the model's planned size or misaligned */
    TF_ERR_LAYER = -3      /**< a layer kind this runtime does not implement */
} tf_status;

/** Layer kinds, numbered as the Java engine numbers them in the exported layout. */
typedef enum {
    TF_DENSE = 0,
    TF_CONV1D = 1,
    TF_RELU = 2,
    TF_TANH = 3,
    TF_SIGMOID = 4,
    TF_SOFTMAX = 5
} tf_layer_kind;

/**
 * One layer: kind, sizes, and offsets (in elements) into the arena's 16-bit region. A Conv1D layer (stride 1, no
 * padding) takes [len][cin] (len = in_size / conv_cin), has weights [filters][kernel][cin] and gives
 * [len - kernel + 1][filters], channels last.
 */
typedef struct {
    uint8_t kind;          /**< tf_layer_kind */
    int32_t in_size;       /**< input elements */
    int32_t out_size;      /**< output elements */
    int32_t weight_off;    /**< Dense, Conv1D: first weight, relative to the parameters; -1 otherwise */
    int32_t bias_off;      /**< Dense, Conv1D: first bias, relative to the parameters; -1 otherwise */
    int32_t tensor;        /**< Dense, Conv1D: index of its weight tensor (bias is tensor + 1); -1 otherwise */
    int32_t in_off;        /**< input buffer in the 16-bit region */
    int32_t out_off;       /**< output buffer in the 16-bit region */
    int32_t conv_cin;      /**< Conv1D: input channels; 0 otherwise */
    int32_t conv_filters;  /**< Conv1D: filters (output channels); 0 otherwise */
    int32_t conv_kernel;   /**< Conv1D: taps; 0 otherwise */
} tf_layer;

/** Compile-time limits of the step counters (the exporter refuses larger models). */
#define TF_MAX_LAYERS 32
#define TF_MAX_TENSORS 32

/** Losses of the training step. */
typedef enum { TF_LOSS_MSE = 0, TF_LOSS_SOFTMAX_CROSS_ENTROPY = 1 } tf_loss;

/**
 * Caller-owned counters that persist across calls, as the Java engine's do: saturations of layer
 * outputs (also from inference) and of trainable tensors are acted on at the end of the next
 * training step (scale adaptation). Zero-initialise once per network.
 */
typedef struct {
    uint64_t saturations;                 /**< every clamp counted so far (inputs, outputs, weights) */
    uint64_t adaptations;                 /**< fractional bits given up by scale adaptation so far */
    int32_t layer_hits[TF_MAX_LAYERS];    /**< per layer, pending for the next step's adaptation */
    int32_t tensor_hits[TF_MAX_TENSORS];  /**< per tensor, pending likewise */
} tf_stats;

/** An exported model: architecture, int16 parameters and scales, and the planner's arena layout. */
typedef struct {
    int32_t layer_count;
    const tf_layer *layers;
    int32_t param_count;
    const int16_t *params;          /**< all tensors in model order (weights, bias, weights, ...) */
    int32_t tensor_count;
    const int8_t *tensor_frac;      /**< fractional bits per tensor, in [0, 15] */
    int8_t input_frac;              /**< fractional bits of the network input */
    const int8_t *output_frac;      /**< fractional bits of each parametrised layer's output */
    int32_t input_size;
    int32_t output_size;
    int32_t wide_len;               /**< 32-bit region length in int32 elements */
    int32_t narrow_len;             /**< 16-bit region length in int16 elements */
    int32_t scales_off;             /**< scales section in the 32-bit region */
    int32_t weights_off;            /**< parameters in the 16-bit region */
    int32_t input_off;              /**< network input in the 16-bit region */
    uint32_t arena_bytes;           /**< wide_len * 4 + narrow_len * 2: what the caller must supply */
    /* Training (all zero / -1 in an inference-only export). */
    uint8_t training;               /**< 1 if the layout has the training sections */
    uint8_t loss;                   /**< tf_loss */
    uint8_t stochastic;             /**< stochastic rounding of updates (else round half up) */
    uint8_t adapt_scales;           /**< scale adaptation (docs/fixed-point.md section 9) */
    int32_t lr_q;                   /**< learning rate * 2^16, in [1, 16 * 2^16] */
    uint32_t rng_seed_state;        /**< xorshift32 state after tf_init_s16 and every tf_load_s16 */
    int32_t first_trainable;        /**< first layer that trains */
    int32_t err_off;                /**< int16 error vector in the 16-bit region */
    int32_t dx_off;                 /**< int32 gradient scratch in the 32-bit region */
    int32_t dx_low_off;             /**< int32 split-sum / non-zero-list scratch in the 32-bit region */
    int32_t rng_off;                /**< generator state word in the 32-bit region (-1: nearest rounding) */
    const int32_t *tensor_start;    /**< tensor t spans params [tensor_start[t], tensor_start[t + 1]) */
    /* Optimiser sections (docs/fixed-point.md section 7; -1 when the configuration has none). */
    int32_t master_off;             /**< int32 master weights, one per trainable parameter, in the 32-bit region */
    int32_t acc_off;                /**< int32 update accumulators (accumulation or momentum) */
    int32_t vel_off;                /**< int32 momentum velocities */
    int32_t batch_off;              /**< the word counting the steps of the current batch (accumulation > 1) */
    int32_t train_start;            /**< parameter index where the trainable parameters start */
    int32_t accumulation_steps;     /**< steps per update (1: every step) */
    int32_t momentum_q;             /**< momentum * 2^16, rounded as the Java engine rounds it (0: none) */
    /* Uplink compression (-1 when the export planned no residual). */
    int32_t residual_off;           /**< int16 residual, one per parameter, in the 16-bit region */
    int32_t residual_frac_off;      /**< the residual's fractional bits, one word in the 32-bit region */
} tf_model;

/** Sent values per block of one power-of-two scale, and the range of that scale's exponent (io.tinyfed.core.SparseDelta). */
#define TF_S8_BLOCK 32
#define TF_S8_MIN_FRAC (-16)
#define TF_S8_MAX_FRAC 40

/* ---- fixed-point primitives (docs/fixed-point.md section 2) -------------------------------------------- */
int16_t tf_saturate16(int64_t v);
int64_t tf_rounding_shift(int64_t v, int shift);
int64_t tf_shift_left_sat(int64_t v, int s);
int16_t tf_rounding_shift_sat16(int64_t v, int shift);

/* ---- kernels (section 3); each returns the number of outputs that saturated where that is defined ----- */

/**
 * @brief Dense forward, y = saturate16(roundingShift(b aligned + W x, wf + xf - yf)).
 * @param[in] w    weights [out][in], row-major, @p wf fractional bits (0..15)
 * @param[in] b    bias [out], @p bf fractional bits (0..15)
 * @param[in] x    input [in], @p xf fractional bits (0..15)
 * @param[out] y   output [out], @p yf fractional bits (0..15)
 * @return outputs that saturated (>= 0)
 */
int32_t tf_dense_s16(const int16_t *w, int wf, const int16_t *b, int bf, const int16_t *x, int xf,
                     int16_t *y, int yf, int32_t in, int32_t out);

/**
 * @brief Conv1D forward (stride 1, no padding): every output position is a Dense forward of the window
 *        x[t .. t + kernel - 1][*] flattened in memory order, with the weights [filters][kernel][cin].
 * @return outputs that saturated (>= 0)
 */
int32_t tf_conv1d_s16(const int16_t *w, int wf, const int16_t *b, int bf, const int16_t *x, int xf,
                      int16_t *y, int yf, int32_t len, int32_t cin, int32_t filters, int32_t kernel);
void tf_relu_s16(const int16_t *x, int16_t *y, int32_t n);
void tf_tanh_s16(const int16_t *x, int xf, int16_t *y, int32_t n);
void tf_sigmoid_s16(const int16_t *x, int xf, int16_t *y, int32_t n);
void tf_softmax_s16(const int16_t *x, int xf, int16_t *y, int32_t n);

/* ---- network ------------------------------------------------------------------------------------------ */

/**
 * @brief Lays out @p arena for @p model: copies the parameters and scales into it.
 * @param[in] arena       at least model->arena_bytes bytes, 4-byte aligned
 * @param[in] arena_bytes the arena's size
 */
tf_status tf_init_s16(const tf_model *model, void *arena, size_t arena_bytes);

/**
 * @brief Replaces the parameters and scales in a prepared arena (a new meta-model from the gateway), and starts its
 *        training afresh as the Java engine's load does: the rounding generator back to its seeded state, the
 *        accumulators, velocities and batch count cleared, the master weights set from the new parameters.
 * @param[in] params       model->param_count int16 values
 * @param[in] tensor_frac  model->tensor_count fractional-bit counts (0..15)
 * @param[in] output_frac  one per parametrised layer (0..15)
 */
tf_status tf_load_s16(const tf_model *model, void *arena, const int16_t *params, const int8_t *tensor_frac,
                      int8_t input_frac, const int8_t *output_frac);

/** @brief Copies the current parameters and scales out of the arena (the adapted model, for an update). */
tf_status tf_save_s16(const tf_model *model, const void *arena, int16_t *params, int8_t *tensor_frac,
                      int8_t *input_frac, int8_t *output_frac);

/**
 * @brief Runs the network on @p input (int16 at model->input_frac) into @p output (int16 at the
 *        output layer's fractional bits, see tf_output_frac). Allocates nothing.
 */
tf_status tf_infer_s16(const tf_model *model, void *arena, const int16_t *input, int16_t *output, tf_stats *stats);

/**
 * @brief One SGD step on one sample, bit-exact to the Java S16 engine's trainStep: input and target
 *        are quantised as Java quantises them (floor(x * 2^f + 0.5) in double), then forward, loss
 *        gradient, backward, update with the model's rounding, and scale adaptation.
 * @param[in]     input  input_size finite floats
 * @param[in]     target output_size finite floats (cross-entropy: probabilities)
 * @param[in,out] stats  the network's counters (required)
 */
tf_status tf_train_step_s16(const tf_model *model, void *arena, const float *input, const float *target,
                            tf_stats *stats);

/**
 * @brief The uplink's compression with error feedback, bit-exact to io.tinyfed.core.DeltaCompressor on an S16 device.
 *        The delta is the model in @p arena (adapted) minus @p base, each value dequantised to float and subtracted in
 *        float; the residual kept in the arena is added; the largest round(permille / 1000 * n) magnitudes (at least one,
 *        ties to the lower position) are sent as int8, each block of TF_S8_BLOCK of them with the power-of-two scale
 *        that makes its largest fill int8 (rounded half up); what is not sent, and each sent value's rounding error,
 *        becomes the new residual (int16 with one scale). No scratch beyond the arena and a 512-byte histogram on
 *        the stack: values are recomputed on each of its eight passes.
 * @param[in]     base       the model the delta is against (the meta-model): params, tensor fractional bits
 * @param[in]     permille   1..1000
 * @param[out]    positions  the sent positions, increasing (capacity values)
 * @param[out]    values     the sent values (capacity values)
 * @param[out]    block_frac one exponent per block: value = q * 2^-frac (capacity / TF_S8_BLOCK + 1 values)
 * @param[out]    count      how many values were sent
 * @return TF_ERR_ARGUMENT when the export has no residual, permille is out of range, more than 65,535 parameters, a
 *         delta value is not finite (the residual is left as it was) or more than @p capacity values would be sent
 */
tf_status tf_compress_s16(const tf_model *model, void *arena, const int16_t *base, const int8_t *base_tensor_frac,
                          int32_t permille, uint16_t *positions, int8_t *values, int8_t *block_frac, int32_t capacity,
                          int32_t *count);

/** @brief Forgets the residual (a model of another shape, or a version too far from the one it was kept for). */
tf_status tf_residual_reset_s16(const tf_model *model, void *arena);

/** @brief Fractional bits of the network output in the current arena (scales can change when training). */
int tf_output_frac(const tf_model *model, const void *arena);

/* Activation tables (generated from the Java engine's tables: tinyfed_tables.c). */
extern const int32_t tf_tanh_table[257];
extern const int32_t tf_sigmoid_table[257];
extern const int32_t tf_exp_table[257];

#ifdef __cplusplus
}
#endif

#endif /* TINYFED_H */
