/*
 * Drives tf_compress_s16 for CCompressParityTest. Reads from stdin "rounds", then per round "permille", the base
 * model's tensor fractional bits and int16 parameters, and the adapted model's; loads the adapted model into one arena
 * (the residual stays there from round to round, as on a device) and prints what it sends and the residual it keeps:
 * "count", the positions, the values, the block exponents, the residual's fractional bits and its values.
 */
#include <stdio.h>
#include <stdlib.h>

#include "model.h"

static uint32_t arena[(MODEL_ARENA_BYTES + 3u) / 4u];
static int16_t base[MODEL_PARAMS], adapted[MODEL_PARAMS];
static int8_t base_frac[MODEL_TENSORS], adapted_frac[MODEL_TENSORS];
static uint16_t positions[MODEL_PARAMS];
static int8_t values[MODEL_PARAMS], block_frac[MODEL_PARAMS / TF_S8_BLOCK + 1];

static int read_model(int16_t *params, int8_t *frac) {
    for (int t = 0; t < MODEL_TENSORS; t++) {
        int v;
        if (scanf("%d", &v) != 1) {
            return 0;
        }
        frac[t] = (int8_t) v;
    }
    for (int i = 0; i < MODEL_PARAMS; i++) {
        int v;
        if (scanf("%d", &v) != 1) {
            return 0;
        }
        params[i] = (int16_t) v;
    }
    return 1;
}

int main(void) {
    const tf_model *m = &model_model;
    int rounds;
    if (tf_init_s16(m, arena, sizeof arena) != TF_OK || scanf("%d", &rounds) != 1) {
        return 1;
    }
    for (int r = 0; r < rounds; r++) {
        int permille;
        int32_t count;
        if (scanf("%d", &permille) != 1 || !read_model(base, base_frac) || !read_model(adapted, adapted_frac)
            || tf_load_s16(m, arena, adapted, adapted_frac, m->input_frac, m->output_frac) != TF_OK) {
            return 2;
        }
        tf_status st = tf_compress_s16(m, arena, base, base_frac, permille, positions, values, block_frac,
                                       MODEL_PARAMS, &count);
        if (st != TF_OK) {
            printf("status %d\n", (int) st);
            continue;
        }
        printf("count %d\n", (int) count);
        for (int32_t j = 0; j < count; j++) {
            printf("%d %d\n", positions[j], values[j]);
        }
        for (int32_t b = 0; b < (count + TF_S8_BLOCK - 1) / TF_S8_BLOCK; b++) {
            printf("%d\n", block_frac[b]);
        }
        const int16_t *residual = (const int16_t *) ((const uint8_t *) arena + (size_t) m->wide_len * 4u) + m->residual_off;
        printf("%d\n", (int) ((const int32_t *) arena)[m->residual_frac_off]);
        for (int i = 0; i < MODEL_PARAMS; i++) {
            printf("%d\n", residual[i]);
        }
    }
    return 0;
}
