/*
 * Speed of the runtime built for the host, for ./tinyfed bench firmware: on the samples of the file named by its
 * argument (bench runtime's samples, written by the bench), after 2,000 warm-up steps, five timed batches of 20,000
 * training steps and of 20,000 inferences cycling through the samples (CLOCK_MONOTONIC); prints the median nanoseconds
 * per call of each. Built once per kernel set (reference, vector).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>

#include "model.h"

#define MAX_SAMPLES 256
#define BATCH 20000
#define BATCHES 5

static uint32_t arena[(MODEL_ARENA_BYTES + 3u) / 4u];
static float xs[MAX_SAMPLES][MODEL_INPUTS];
static float ts[MAX_SAMPLES][MODEL_OUTPUTS];
static int16_t xq[MAX_SAMPLES][MODEL_INPUTS];

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

/* samples.bin: uint32 count, then per sample MODEL_INPUTS and MODEL_OUTPUTS float32, all little-endian (host order). */
static int load_samples(const char *path) {
    FILE *f = fopen(path, "rb");
    uint32_t n = 0;
    if (f == NULL) {
        return -1;
    }
    if (fread(&n, 4, 1, f) != 1 || n == 0 || n > MAX_SAMPLES) {
        fclose(f);
        return -1;
    }
    for (uint32_t k = 0; k < n; k++) {
        if (fread(xs[k], sizeof(float), MODEL_INPUTS, f) != MODEL_INPUTS
            || fread(ts[k], sizeof(float), MODEL_OUTPUTS, f) != MODEL_OUTPUTS) {
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return (int) n;
}

int main(int argc, char **argv) {
    tf_stats stats;
    memset(&stats, 0, sizeof stats);
    if (tf_init_s16(&model_model, arena, sizeof arena) != TF_OK) {
        return 3;
    }
    int samples = load_samples(argc > 1 ? argv[1] : "samples.bin");
    if (samples < 0) {
        fprintf(stderr, "cannot read the samples file\n");
        return 2;
    }
    int in_frac = ((int32_t *) arena)[model_model.scales_off + model_model.tensor_count + model_model.layer_count];
    for (int k = 0; k < samples; k++) {
        for (int i = 0; i < MODEL_INPUTS; i++) {
            xq[k][i] = tf_saturate16((int64_t) floor((double) xs[k][i] * (double) (1 << in_frac) + 0.5));
        }
    }
    int16_t out[MODEL_OUTPUTS];
    for (int s = 0; s < 2000; s++) {
        tf_train_step_s16(&model_model, arena, xs[s % samples], ts[s % samples], &stats);
    }
    double train[BATCHES];
    double infer[BATCHES];
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_ns();
        for (int s = 0; s < BATCH; s++) {
            tf_train_step_s16(&model_model, arena, xs[s % samples], ts[s % samples], &stats);
        }
        double t1 = now_ns();
        for (int s = 0; s < BATCH; s++) {
            tf_infer_s16(&model_model, arena, xq[s % samples], out, &stats);
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
