/*
 * Instruction counts of the runtime on a Cortex-M4, for ./tinyfed bench firmware: run on QEMU's MPS2 AN386 with
 * -icount shift=0, where every instruction advances virtual time by exactly 1 ns, so SysTick, clocked from the
 * 25 MHz processor clock, ticks once per 40 instructions. It times STEPS calls of tf_infer_s16 and of
 * tf_train_step_s16 on seeded inputs (one SysTick read before and after each call, the cost of the reads measured
 * and taken off), checks the clock on a loop of known length, prints the figures on UART0 and exits QEMU by
 * semihosting; with a residual in the export, it also times one compressed update (tf_compress_s16, top 10%). Counts are
 * instructions executed, not cycles: QEMU does not model the M4's pipeline or wait states.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

#define STEPS 64
#define INSTRUCTIONS_PER_TICK 40u /* 1 ns per instruction, a 25 MHz SysTick */

#define SYST_CSR (*(volatile uint32_t *) 0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *) 0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *) 0xE000E018u)
#define UART0_DATA (*(volatile uint32_t *) 0x40004000u)
#define UART0_STATE (*(volatile uint32_t *) 0x40004004u)
#define UART0_CTRL (*(volatile uint32_t *) 0x40004008u)
#define UART0_BAUDDIV (*(volatile uint32_t *) 0x40004010u)

static uint32_t arena[(MODEL_ARENA_BYTES + 3u) / 4u];
static uint32_t rng = 12345u;

void SysTick_Handler(void) {
}

static void out(const char *s) {
    while (*s) {
        while (UART0_STATE & 0x1u) {
        }
        UART0_DATA = (uint8_t) *s++;
    }
}

static float uniform(float lo, float hi) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return lo + (hi - lo) * (float) (rng % 100000u) / 100000.0f;
}

/* Ticks between two reads of the down-counting 24-bit SysTick. */
static uint32_t elapsed(uint32_t before, uint32_t after) {
    return (before - after) & 0xFFFFFFu;
}

static void exit_qemu(void) {
    /* semihosting SYS_EXIT with ADP_Stopped_ApplicationExit */
    register uint32_t op __asm("r0") = 0x18u;
    register uint32_t arg __asm("r1") = 0x20026u;
    __asm volatile("bkpt 0xab" : : "r"(op), "r"(arg) : "memory");
}

int main(void) {
    UART0_BAUDDIV = 217u;
    UART0_CTRL = 0x1u;
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 0x5u; /* processor clock, no interrupt, enabled */
    char line[160];
    tf_stats stats;
    memset(&stats, 0, sizeof stats);
    if (tf_init_s16(&model_model, arena, sizeof arena) != TF_OK) {
        out("error init\n");
        exit_qemu();
    }
    /* the cost of the two reads themselves */
    uint32_t overhead = 0;
    for (int k = 0; k < STEPS; k++) {
        uint32_t a = SYST_CVR;
        uint32_t b = SYST_CVR;
        overhead += elapsed(a, b);
    }
    /* the clock on a loop of known length: 2 instructions per iteration */
    uint32_t n = 100000u;
    uint32_t a = SYST_CVR;
    __asm volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
    uint32_t b = SYST_CVR;
    snprintf(line, sizeof line, "calibration %lu %lu\n", (unsigned long) (elapsed(a, b) * INSTRUCTIONS_PER_TICK),
             200000ul);
    out(line);

    static int16_t in_q[MODEL_INPUTS];
    static int16_t out_q[MODEL_OUTPUTS];
    static float x[MODEL_INPUTS];
    static float t[MODEL_OUTPUTS];
    uint32_t infer = 0;
    uint32_t train = 0;
    for (int k = 0; k < STEPS; k++) {
        int in_frac = ((int32_t *) arena)[model_model.scales_off + model_model.tensor_count + model_model.layer_count];
        for (int i = 0; i < MODEL_INPUTS; i++) {
            x[i] = uniform(-1.0f, 1.0f);
            in_q[i] = (int16_t) (x[i] * (float) (1 << in_frac));
        }
        for (int j = 0; j < MODEL_OUTPUTS; j++) {
            t[j] = uniform(-1.0f, 1.0f);
        }
        uint32_t i0 = SYST_CVR;
        tf_status s1 = tf_infer_s16(&model_model, arena, in_q, out_q, &stats);
        uint32_t i1 = SYST_CVR;
        tf_status s2 = tf_train_step_s16(&model_model, arena, x, t, &stats);
        uint32_t i2 = SYST_CVR;
        if (s1 != TF_OK || s2 != TF_OK) {
            out("error step\n");
            exit_qemu();
        }
        infer += elapsed(i0, i1);
        train += elapsed(i1, i2);
    }
    /* per call, without the reads around it (one pair of reads per measurement) */
    snprintf(line, sizeof line, "infer %lu\ntrain %lu\nsteps %d\n",
             (unsigned long) ((uint64_t) (infer - overhead) * INSTRUCTIONS_PER_TICK / STEPS),
             (unsigned long) ((uint64_t) (train - overhead) * INSTRUCTIONS_PER_TICK / STEPS), STEPS);
    out(line);
    /* what the steps left behind (parameters, scales, counters), so two builds can be compared bit for bit */
    uint32_t h = 2166136261u;
    const int16_t *params = (const int16_t *) ((const uint8_t *) arena + (size_t) model_model.wide_len * 4u)
                            + model_model.weights_off;
    for (int i = 0; i < model_model.param_count; i++) {
        h = (h ^ (uint16_t) params[i]) * 16777619u;
    }
    const int32_t *scales = (const int32_t *) arena + model_model.scales_off;
    for (int i = 0; i < model_model.tensor_count + model_model.layer_count + 1; i++) {
        h = (h ^ (uint32_t) scales[i]) * 16777619u;
    }
    h = (h ^ (uint32_t) stats.saturations) * 16777619u;
    h = (h ^ (uint32_t) out_q[0]) * 16777619u;
    snprintf(line, sizeof line, "state %08lx\n", (unsigned long) h);
    out(line);
    /* with a residual in the arena: one compressed update (top 10%) of the trained model against the exported one */
    if (model_model.residual_off >= 0) {
        static uint16_t positions[MODEL_PARAMS];
        static int8_t values[MODEL_PARAMS];
        static int8_t block_frac[MODEL_PARAMS / TF_S8_BLOCK + 1];
        int32_t count = 0;
        uint32_t c0 = SYST_CVR;
        tf_status sc = tf_compress_s16(&model_model, arena, model_model.params, model_model.tensor_frac, 100, positions,
                                       values, block_frac, MODEL_PARAMS, &count);
        uint32_t c1 = SYST_CVR;
        if (sc != TF_OK) {
            out("error compress\n");
            exit_qemu();
        }
        snprintf(line, sizeof line, "compress %lu %ld\n",
                 (unsigned long) ((uint64_t) (elapsed(c0, c1) - overhead / STEPS) * INSTRUCTIONS_PER_TICK), (long) count);
        out(line);
    }
    exit_qemu();
    for (;;) {
    }
}

/* No heap. */
void *_sbrk(ptrdiff_t increment) {
    (void) increment;
    return (void *) -1;
}
