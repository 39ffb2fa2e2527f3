/* Test harness: reads "n" then n input vectors of int16 from stdin, runs the exported model on each,
 * and prints the output frac, then one line of int16 outputs per input. Used by ParityCheck (tests and ./tinyfed bench firmware). */
#include <stdio.h>
#include <stdlib.h>

#include "model.h"

static uint32_t arena[(MODEL_ARENA_BYTES + 3u) / 4u];

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) {
        return 2;
    }
    tf_status st = tf_init_s16(&model_model, arena, sizeof arena);
    if (st != TF_OK) {
        fprintf(stderr, "init failed: %d\n", (int) st);
        return 3;
    }
    int16_t *in = malloc(sizeof(int16_t) * (size_t) model_model.input_size);   /* the harness may allocate */
    int16_t *out = malloc(sizeof(int16_t) * (size_t) model_model.output_size);
    printf("%d\n", tf_output_frac(&model_model, arena));
    for (int k = 0; k < n; k++) {
        for (int i = 0; i < model_model.input_size; i++) {
            int v;
            if (scanf("%d", &v) != 1) {
                return 4;
            }
            in[i] = (int16_t) v;
        }
        st = tf_infer_s16(&model_model, arena, in, out, NULL);
        if (st != TF_OK) {
            fprintf(stderr, "infer failed: %d\n", (int) st);
            return 5;
        }
        for (int i = 0; i < model_model.output_size; i++) {
            printf(i ? " %d" : "%d", out[i]);
        }
        printf("\n");
    }
    free(in);
    free(out);
    printf("arena %u\n", (unsigned) sizeof arena);
    return 0;
}
