/* Footprint probe: the smallest firmware that links the TinyFed runtime and one exported model, infers
 * and trains once, so the linker keeps what a device would use. Built for Cortex-M4 by Footprint. */
#include "model.h"

static uint32_t arena[(MODEL_ARENA_BYTES + 3u) / 4u];
static tf_stats stats;
static int16_t input_q[64];
static int16_t output_q[64];
static float input_f[64];
static float target_f[64];
volatile int status;

int main(void) {
    status = tf_init_s16(&model_model, arena, sizeof arena);
    status |= tf_infer_s16(&model_model, arena, input_q, output_q, &stats);
    if (model_model.training) {
        status |= tf_train_step_s16(&model_model, arena, input_f, target_f, &stats);
    }
    for (;;) {
    }
}
