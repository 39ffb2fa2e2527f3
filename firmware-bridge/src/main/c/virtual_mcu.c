/*
 * A "virtual MCU" for tests and demos: the device loop firmware would run, on the host, with the serial
 * line on stdin/stdout. It says hello, receives meta-model snapshots and tasks from the gateway, adapts
 * the model on its local sine samples with the exported runtime (tf_train_step_s16, int16 fixed point)
 * and sends the adapted model back. Usage: virtual_mcu DEVICE_ID AMPLITUDE PHASE SEED
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "tinyfed_serial.h"

#define SAMPLES 10
#define RETRANSMIT_MS 200
#define RETRIES 10
#define PARAMETRIZED (MODEL_TENSORS / 2)
#define STATE_BYTES (MODEL_TENSORS + 1 + PARAMETRIZED + 2 * MODEL_PARAMS)
#define CHUNK 496

static uint32_t arena[(MODEL_ARENA_BYTES + 3u) / 4u];
static tf_stats stats;
static tf_serial link_state;
static uint8_t assembly[STATE_BYTES];     /* incoming snapshot */
static uint8_t outgoing[16 + STATE_BYTES]; /* outgoing update */
static int16_t params[MODEL_PARAMS];
static float xs[SAMPLES][MODEL_INPUTS];
static float ys[SAMPLES][MODEL_OUTPUTS];

static int io_write(void *ctx, const uint8_t *data, size_t len) {
    (void) ctx;
    while (len > 0) {
        ssize_t n = write(1, data, len);
        if (n <= 0) {
            return -1;
        }
        data += n;
        len -= (size_t) n;
    }
    return 0;
}

static int io_read(void *ctx, uint8_t *byte, uint32_t timeout_ms) {
    (void) ctx;
    struct pollfd p = {0, POLLIN, 0};
    int r = poll(&p, 1, (int) timeout_ms);
    if (r <= 0) {
        return r < 0 ? -1 : 0;
    }
    ssize_t n = read(0, byte, 1);
    return n == 1 ? 1 : -1;
}

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t) v;
    p[1] = (uint8_t) (v >> 8);
    p[2] = (uint8_t) (v >> 16);
    p[3] = (uint8_t) (v >> 24);
}

static uint32_t get32(const uint8_t *p) {
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint16_t get16(const uint8_t *p) {
    return (uint16_t) (p[0] | p[1] << 8);
}

static size_t put_str(uint8_t *p, const char *s) {
    size_t n = strlen(s);
    p[0] = (uint8_t) n;
    memcpy(p + 1, s, n);
    return n + 1;
}

/* Mean squared error of the current model on the local samples (dequantised outputs). */
static float mean_loss(void) {
    float total = 0.f;
    int16_t in_q[MODEL_INPUTS];
    int16_t out_q[MODEL_OUTPUTS];
    int in_frac = ((int32_t *) arena)[model_model.scales_off + model_model.tensor_count + model_model.layer_count];
    for (int k = 0; k < SAMPLES; k++) {
        for (int i = 0; i < MODEL_INPUTS; i++) {
            double v = floor((double) xs[k][i] * (double) (1 << in_frac) + 0.5);
            in_q[i] = (int16_t) (v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
        }
        tf_infer_s16(&model_model, arena, in_q, out_q, &stats);
        int of = tf_output_frac(&model_model, arena);
        for (int j = 0; j < MODEL_OUTPUTS; j++) {
            float d = (float) out_q[j] / (float) (1 << of) - ys[k][j];
            total += d * d;
        }
    }
    return total / (SAMPLES * MODEL_OUTPUTS);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: virtual_mcu DEVICE_ID AMPLITUDE PHASE SEED\n");
        return 2;
    }
    const char *id = argv[1];
    double amplitude = atof(argv[2]);
    double phase = atof(argv[3]);
    uint32_t rng = (uint32_t) strtoul(argv[4], NULL, 10) | 1u;
    for (int k = 0; k < SAMPLES; k++) {
        rng ^= rng << 13;
        rng ^= rng >> 17;
        rng ^= rng << 5;
        xs[k][0] = (float) ((rng % 10000u) / 1000.0 - 5.0);
        ys[k][0] = (float) (amplitude * sin(xs[k][0] + phase));
    }
    if (tf_init_s16(&model_model, arena, sizeof arena) != TF_OK) {
        return 3;
    }
    tf_serial_init(&link_state, io_write, io_read, NULL);

    uint8_t hello[TF_SERIAL_MAX_PAYLOAD];
    put32(hello, 262144u);
    put32(hello + 4, 1048576u);
    hello[8] = 80;
    hello[9] = 0;
    hello[10] = 0x02; /* S16 */
    size_t n = 11;
    n += put_str(hello + n, id);
    n += put_str(hello + n, "virtual-cortex-m4");
    n += put_str(hello + n, "");
    n += put_str(hello + n, "tinyfed-c 0.1");
    if (tf_serial_send(&link_state, TF_FRAME_HELLO, hello, (uint16_t) n, RETRANSMIT_MS, RETRIES) != 0) {
        return 4;
    }

    uint32_t loaded_version = 0;
    uint32_t assembling_version = 0;
    uint32_t chunks_seen = 0;
    tf_frame f;
    for (;;) {
        int r = tf_serial_receive(&link_state, &f, 1000);
        if (r < 0) {
            break; /* the line is gone */
        }
        if (r == 0) {
            continue;
        }
        if (f.type == TF_FRAME_SNAPSHOT && f.len >= 8) {
            uint32_t version = get32(f.payload);
            uint16_t index = get16(f.payload + 4);
            uint16_t count = get16(f.payload + 6);
            if (version != assembling_version || index == 0) {
                assembling_version = version;
                chunks_seen = 0;
            }
            size_t at = (size_t) index * CHUNK;
            size_t len = (size_t) f.len - 8u;
            if (at + len > sizeof assembly || index != chunks_seen) {
                chunks_seen = 0; /* out of order or too long: start over with the next snapshot */
                continue;
            }
            memcpy(assembly + at, f.payload + 8, len);
            chunks_seen++;
            if (chunks_seen == count && at + len == sizeof assembly) {
                const int8_t *fr = (const int8_t *) assembly;
                for (int i = 0; i < MODEL_PARAMS; i++) {
                    params[i] = (int16_t) get16(assembly + MODEL_TENSORS + 1 + PARAMETRIZED + 2 * i);
                }
                if (tf_load_s16(&model_model, arena, params, fr, fr[MODEL_TENSORS], fr + MODEL_TENSORS + 1) == TF_OK) {
                    loaded_version = version;
                }
            }
        } else if (f.type == TF_FRAME_TASK && f.len >= 12) {
            uint32_t round = get32(f.payload);
            uint32_t version = get32(f.payload + 4);
            uint16_t steps = get16(f.payload + 8);
            if (version != loaded_version) {
                continue; /* no snapshot of that version: nothing to adapt */
            }
            float before = mean_loss();
            for (int s = 0; s < steps; s++) {
                tf_train_step_s16(&model_model, arena, xs[s % SAMPLES], ys[s % SAMPLES], &stats);
            }
            float after = mean_loss();
            put32(outgoing, version);
            put32(outgoing + 4, SAMPLES);
            memcpy(outgoing + 8, &before, 4);
            memcpy(outgoing + 12, &after, 4);
            int8_t *fr = (int8_t *) (outgoing + 16);
            int8_t in_frac;
            tf_save_s16(&model_model, arena, params, fr, &in_frac, fr + MODEL_TENSORS + 1);
            fr[MODEL_TENSORS] = in_frac;
            for (int i = 0; i < MODEL_PARAMS; i++) {
                uint8_t *p = outgoing + 16 + MODEL_TENSORS + 1 + PARAMETRIZED + 2 * i;
                p[0] = (uint8_t) params[i];
                p[1] = (uint8_t) ((uint16_t) params[i] >> 8);
            }
            size_t total = sizeof outgoing;
            uint16_t count = (uint16_t) ((total + CHUNK - 1) / CHUNK);
            uint8_t chunk[8 + CHUNK];
            for (uint16_t c = 0; c < count; c++) {
                size_t at = (size_t) c * CHUNK;
                size_t len = total - at < CHUNK ? total - at : CHUNK;
                put32(chunk, round);
                chunk[4] = (uint8_t) c;
                chunk[5] = (uint8_t) (c >> 8);
                chunk[6] = (uint8_t) count;
                chunk[7] = (uint8_t) (count >> 8);
                memcpy(chunk + 8, outgoing + at, len);
                if (tf_serial_send(&link_state, TF_FRAME_UPDATE, chunk, (uint16_t) (8 + len), RETRANSMIT_MS, RETRIES) != 0) {
                    break;
                }
            }
            /* back to the meta-model for the next task: adaptation starts from the snapshot each time */
            const int8_t *sf = (const int8_t *) assembly;
            for (int i = 0; i < MODEL_PARAMS; i++) {
                params[i] = (int16_t) get16(assembly + MODEL_TENSORS + 1 + PARAMETRIZED + 2 * i);
            }
            tf_load_s16(&model_model, arena, params, sf, sf[MODEL_TENSORS], sf + MODEL_TENSORS + 1);
        }
    }
    fprintf(stderr, "%s: bad crc %u, malformed %u, oversize %u, retransmissions %u, duplicates %u\n", id,
            (unsigned) link_state.bad_crc, (unsigned) link_state.malformed, (unsigned) link_state.oversize,
            (unsigned) link_state.retransmissions, (unsigned) link_state.duplicates);
    return 0;
}
