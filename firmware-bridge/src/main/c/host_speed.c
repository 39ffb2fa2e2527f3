/*
 * Speed of the runtime built for the host (gcc -O2, the reference kernels), for ./tinyfed bench firmware: after
 * 2,000 warm-up steps, five timed batches of 20,000 training steps and of 20,000 inferences on seeded inputs
 * (CLOCK_MONOTONIC); prints the median nanoseconds per call of each. The same inputs every batch, cycled.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"

#define SAMPLES 64
#define BATCH 20000
#define BATCHES 5

static uint32_t arena[(MODEL_ARENA_BYTES + 3u) / 4u];
static float xs[SAMPLES][MODEL_INPUTS];
static float ts[SAMPLES][MODEL_OUTPUTS];
static int16_t xq[SAMPLES][MODEL_INPUTS];

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec * 1e9 + (double) t.tv_nsec;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *) a;
    double y = *(const double *) b;
    return x < y ? -1 : (x > y ? 1 : 0);
}

int main(void) {
    uint32_t rng = 12345u;
    tf_stats stats;
    memset(&stats, 0, sizeof stats);
    if (tf_init_s16(&model_model, arena, sizeof arena) != TF_OK) {
        return 3;
    }
    int in_frac = ((int32_t *) arena)[model_model.scales_off + model_model.tensor_count + model_model.layer_count];
    for (int k = 0; k < SAMPLES; k++) {
        for (int i = 0; i < MODEL_INPUTS; i++) {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            xs[k][i] = (float) (rng % 100000u) / 50000.0f - 1.0f;
            xq[k][i] = (int16_t) (xs[k][i] * (float) (1 << in_frac));
        }
        for (int j = 0; j < MODEL_OUTPUTS; j++) {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            ts[k][j] = (float) (rng % 100000u) / 50000.0f - 1.0f;
        }
    }
    int16_t out[MODEL_OUTPUTS];
    for (int s = 0; s < 2000; s++) {
        tf_train_step_s16(&model_model, arena, xs[s % SAMPLES], ts[s % SAMPLES], &stats);
    }
    double train[BATCHES];
    double infer[BATCHES];
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_ns();
        for (int s = 0; s < BATCH; s++) {
            tf_train_step_s16(&model_model, arena, xs[s % SAMPLES], ts[s % SAMPLES], &stats);
        }
        double t1 = now_ns();
        for (int s = 0; s < BATCH; s++) {
            tf_infer_s16(&model_model, arena, xq[s % SAMPLES], out, &stats);
        }
        double t2 = now_ns();
        train[b] = (t1 - t0) / BATCH;
        infer[b] = (t2 - t1) / BATCH;
    }
    qsort(train, BATCHES, sizeof train[0], compare);
    qsort(infer, BATCHES, sizeof infer[0], compare);
    printf("train %.1f\ninfer %.1f\n", train[BATCHES / 2], infer[BATCHES / 2]);
    volatile int16_t sink = out[0]; /* the inferences are kept */
    (void) sink;
    return 0;
}
