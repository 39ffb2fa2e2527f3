/* Test harness: reads "steps" then, per step, input_size + output_size floats (C99 hex floats, exact),
 * runs tf_train_step_s16 on each, and at checkpoints (steps 1, 10, 100 and the last) prints
 * "step K", the counters, the scales and every parameter. Used by ParityCheck (tests and ./tinyfed bench firmware). */
#include <stdio.h>
#include <stdlib.h>

#include "model.h"

static uint32_t arena[(MODEL_ARENA_BYTES + 3u) / 4u];

static void dump(int step, const tf_stats *st) {
    const int32_t *q = (const int32_t *) arena;
    const int16_t *s = (const int16_t *) ((const uint8_t *) arena + (size_t) model_model.wide_len * 4u);
    printf("step %d\n%llu %llu\n", step, (unsigned long long) st->saturations, (unsigned long long) st->adaptations);
    for (int i = 0; i < model_model.tensor_count + model_model.layer_count + 1; i++) {
        printf(i ? " %d" : "%d", (int) q[model_model.scales_off + i]);
    }
    printf("\n");
    for (int i = 0; i < model_model.param_count; i++) {
        printf(i ? " %d" : "%d", (int) s[model_model.weights_off + i]);
    }
    printf("\n");
}

int main(void) {
    int steps;
    char buf[64];
    if (scanf("%d", &steps) != 1) {
        return 2;
    }
    tf_stats stats = {0};
    if (tf_init_s16(&model_model, arena, sizeof arena) != TF_OK) {
        return 3;
    }
    float *x = malloc(sizeof(float) * (size_t) model_model.input_size);   /* the harness may allocate */
    float *t = malloc(sizeof(float) * (size_t) model_model.output_size);
    for (int k = 1; k <= steps; k++) {
        for (int i = 0; i < model_model.input_size; i++) {
            if (scanf("%63s", buf) != 1) {
                return 4;
            }
            x[i] = strtof(buf, NULL);
        }
        for (int i = 0; i < model_model.output_size; i++) {
            if (scanf("%63s", buf) != 1) {
                return 4;
            }
            t[i] = strtof(buf, NULL);
        }
        tf_status st = tf_train_step_s16(&model_model, arena, x, t, &stats);
        if (st != TF_OK) {
            fprintf(stderr, "step %d failed: %d\n", k, (int) st);
            return 5;
        }
        if (k == 1 || k == 10 || k == 100 || k == steps) {
            dump(k, &stats);
        }
    }
    free(x);
    free(t);
    return 0;
}
