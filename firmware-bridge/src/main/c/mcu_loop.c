/*
 * The device loop TinyFed's serial firmware runs, whatever it runs on: it says hello, receives meta-model
 * snapshots and tasks from the gateway, adapts the model on its local sine samples with the exported runtime
 * (tf_train_step_s16, int16 fixed point) and sends the adapted model back, or, when the task asks for a compressed
 * uplink and the export keeps a residual, only the top of its change (tf_compress_s16, error feedback in the arena).
 * Deployed versions go to two model slots (A/B: the version it serves and the one before, as received); an install
 * is personalised on the local samples and compared in shadow, test-then-train, with the previous release
 * personalised the same way on the next live samples of its sensor; a rollback returns to the other slot. Until a
 * version is deployed it serves the newest meta-model. A round adapts at the TASK frame's learning rate and an
 * install is personalised at the DEPLOY frame's (the exported rate when a frame's is out of the runtime's range);
 * live learning while a candidate is compared uses the exported rate. The line and the log are the platform's
 * (mcu_platform.h): stdin/stdout on a host (virtual_mcu.c), a UART on a Cortex-M4 board (firmware_mps2.c). No heap.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mcu_loop.h"
#include "mcu_platform.h"
#include "model.h"
#include "tinyfed_serial.h"

#define SAMPLES 10
#define RETRANSMIT_MS 200
#define RETRIES 10
#define PARAMETRIZED (MODEL_TENSORS / 2)
#define STATE_BYTES (MODEL_TENSORS + 1 + PARAMETRIZED + 2 * MODEL_PARAMS)
#define DEPLOY_HEADER 11 /* action u8, shadow samples u32, personalisation steps u16, learning rate f32 */
#define CHUNK 496
#define NONE 0xFFFFFFFFu

enum { DEPLOY_INSTALL = 1, DEPLOY_ROLLBACK = 2 };
enum { ST_RECEIVED = 0, ST_SHADOWING = 1, ST_SERVING = 2, ST_FAILED = 3, ST_ROLLED_BACK = 4, ST_NONE = 0xFF };

#define ARENA_WORDS ((MODEL_ARENA_BYTES + 3u) / 4u)
static uint32_t arena[ARENA_WORDS];        /* the served model; it keeps learning while compared in shadow */
static uint32_t shadow_arena[ARENA_WORDS]; /* the previous release, beside the candidate during shadow */
static uint32_t train_arena[ARENA_WORDS];  /* a round's adaptation of the meta-model */
static tf_stats stats;
static tf_serial link_state;
static uint8_t meta[STATE_BYTES];                     /* the newest meta-model from the gateway */
static uint8_t assembly[DEPLOY_HEADER + STATE_BYTES]; /* incoming snapshot or deploy */
static uint8_t slot[2][STATE_BYTES];                  /* deployed releases: A/B */
static uint32_t slot_version[2] = {NONE, NONE};
static int serving_slot = -1; /* -1: serves the newest meta-model */
static int has_previous;
static uint8_t outgoing[16 + STATE_BYTES]; /* outgoing update */
static int16_t params[MODEL_PARAMS];
/* a compressed update: at most a quarter of the values (more is sent whole, and the gateway compresses it) */
#define S8_CAPACITY (MODEL_PARAMS / 4 + 1)
static uint16_t s8_positions[S8_CAPACITY];
static int8_t s8_values[S8_CAPACITY];
static int8_t s8_block_frac[S8_CAPACITY / TF_S8_BLOCK + 1];
static float xs[SAMPLES][MODEL_INPUTS];
static float ys[SAMPLES][MODEL_OUTPUTS];
static uint32_t rng;
static double amplitude, phase;

/* deployment state, reported in DEPLOYMENT frames */
static uint8_t dep_state = ST_NONE;
static uint32_t dep_target = NONE;
static uint32_t shadow_left, shadow_n;
static double shadow_candidate, shadow_previous;
static uint8_t personalised;
static uint32_t meta_version = NONE;

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
    if (n > 200) {
        n = 200;
    }
    p[0] = (uint8_t) n;
    memcpy(p + 1, s, n);
    return n + 1;
}

/* Loads a model state (tensor fracs, input frac, output fracs, int16 parameters LE) into an arena. */
static tf_status load_state(void *a, const uint8_t *state) {
    const int8_t *fr = (const int8_t *) state;
    for (int i = 0; i < MODEL_PARAMS; i++) {
        params[i] = (int16_t) get16(state + MODEL_TENSORS + 1 + PARAMETRIZED + 2 * i);
    }
    return tf_load_s16(&model_model, a, params, fr, fr[MODEL_TENSORS], fr + MODEL_TENSORS + 1);
}

static void save_state(const void *a, uint8_t *state) {
    int8_t *fr = (int8_t *) state;
    int8_t in_frac;
    tf_save_s16(&model_model, a, params, fr, &in_frac, fr + MODEL_TENSORS + 1);
    fr[MODEL_TENSORS] = in_frac;
    for (int i = 0; i < MODEL_PARAMS; i++) {
        uint8_t *p = state + MODEL_TENSORS + 1 + PARAMETRIZED + 2 * i;
        p[0] = (uint8_t) params[i];
        p[1] = (uint8_t) ((uint16_t) params[i] >> 8);
    }
}

/*
 * A compressed update (UPDATE_S8) after the 16-byte header in outgoing: the top @p permille of the round's delta
 * against the meta-model, plus the residual the runtime keeps in the training arena (tf_compress_s16): count u16, one
 * exponent i8 per block of TF_S8_BLOCK, then position u16 and value i8 for each sent value. Returns its length, or 0
 * when the task asked for the whole state, the export has no residual, or more than S8_CAPACITY values are asked for.
 */
static size_t compressed(uint16_t permille) {
    if (permille == 0 || model_model.residual_off < 0) {
        return 0;
    }
    for (int i = 0; i < MODEL_PARAMS; i++) {
        params[i] = (int16_t) get16(meta + MODEL_TENSORS + 1 + PARAMETRIZED + 2 * i);
    }
    int32_t count;
    if (tf_compress_s16(&model_model, train_arena, params, (const int8_t *) meta, permille, s8_positions, s8_values,
                        s8_block_frac, S8_CAPACITY, &count) != TF_OK) {
        return 0;
    }
    uint8_t *p = outgoing + 16;
    int32_t blocks = (count + TF_S8_BLOCK - 1) / TF_S8_BLOCK;
    p[0] = (uint8_t) count;
    p[1] = (uint8_t) (count >> 8);
    memcpy(p + 2, s8_block_frac, (size_t) blocks);
    p += 2 + blocks;
    for (int32_t j = 0; j < count; j++, p += 3) {
        p[0] = (uint8_t) s8_positions[j];
        p[1] = (uint8_t) (s8_positions[j] >> 8);
        p[2] = (uint8_t) s8_values[j];
    }
    return (size_t) (p - outgoing);
}

/* Sends the first @p total bytes of outgoing as @p type frames of CHUNK bytes: round u32, index u16, count u16, bytes. */
static void send_chunks(uint8_t type, uint32_t round, size_t total) {
    uint16_t count = (uint16_t) ((total + CHUNK - 1) / CHUNK);
    uint8_t out[8 + CHUNK];
    for (uint16_t c = 0; c < count; c++) {
        size_t at = (size_t) c * CHUNK;
        size_t len = total - at < CHUNK ? total - at : CHUNK;
        put32(out, round);
        out[4] = (uint8_t) c;
        out[5] = (uint8_t) (c >> 8);
        out[6] = (uint8_t) count;
        out[7] = (uint8_t) (count >> 8);
        memcpy(out + 8, outgoing + at, len);
        if (tf_serial_send(&link_state, type, out, (uint16_t) (8 + len), RETRANSMIT_MS, RETRIES) != 0) {
            return;
        }
    }
}

/* Squared error of the model in arena @p a on one sample (dequantised outputs). */
static float sample_loss(void *a, const float *x, const float *y) {
    int16_t in_q[MODEL_INPUTS];
    int16_t out_q[MODEL_OUTPUTS];
    int in_frac = ((int32_t *) a)[model_model.scales_off + model_model.tensor_count + model_model.layer_count];
    for (int i = 0; i < MODEL_INPUTS; i++) {
        double v = floor((double) x[i] * (double) (1 << in_frac) + 0.5);
        in_q[i] = (int16_t) (v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
    }
    tf_infer_s16(&model_model, a, in_q, out_q, &stats);
    int of = tf_output_frac(&model_model, a);
    float total = 0.f;
    for (int j = 0; j < MODEL_OUTPUTS; j++) {
        float d = (float) out_q[j] / (float) (1 << of) - y[j];
        total += d * d;
    }
    return total / MODEL_OUTPUTS;
}

/* Mean squared error of the model in arena @p a on the local samples. */
static float mean_loss(void *a) {
    float total = 0.f;
    for (int k = 0; k < SAMPLES; k++) {
        total += sample_loss(a, xs[k], ys[k]);
    }
    return total / SAMPLES;
}

static double next_x(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return (rng % 10000u) / 1000.0 - 5.0;
}

static float get_f32(const uint8_t *p) {
    uint32_t bits = get32(p);
    float v;
    memcpy(&v, &bits, 4);
    return v;
}

/*
 * The exported model with learning rate @p lr: the runtime's lr_q, rounded as the Java engine rounds it
 * (floor(lr * 2^16 + 0.5)); the exported rate when @p lr is outside the runtime's range [2^-16, 16]. The arena's
 * layout does not depend on the rate, so the same arena trains with either.
 */
static const tf_model *with_rate(float lr) {
    static tf_model m;
    double q = floor((double) lr * 65536.0 + 0.5);
    if (!(lr > 0.0f) || q < 1.0 || q > 16.0 * 65536.0) {
        return &model_model;
    }
    m = model_model;
    m.lr_q = (int32_t) q;
    return &m;
}

static void personalise(void *a, uint16_t steps, float lr) {
    const tf_model *m = with_rate(lr);
    for (int s = 0; s < steps; s++) {
        tf_train_step_s16(m, a, xs[s % SAMPLES], ys[s % SAMPLES], &stats);
    }
}

static uint32_t serving_version(void) {
    return serving_slot >= 0 ? slot_version[serving_slot] : meta_version;
}

/* DEPLOYMENT: state u8, serving u32, previous u32, target u32, shadow samples u32, candidate loss f32,
 * previous loss f32, personalised u8, reason str */
static void report(uint8_t state, const char *reason) {
    dep_state = state;
    uint8_t p[TF_SERIAL_MAX_PAYLOAD];
    int compared = shadow_n > 0 && (state == ST_SHADOWING || state == ST_SERVING);
    float candidate = compared ? (float) (shadow_candidate / shadow_n) : NAN;
    float previous = compared ? (float) (shadow_previous / shadow_n) : NAN;
    p[0] = state;
    put32(p + 1, serving_version());
    put32(p + 5, has_previous ? slot_version[1 - serving_slot] : NONE);
    put32(p + 9, dep_target);
    put32(p + 13, compared ? shadow_n : 0);
    memcpy(p + 17, &candidate, 4);
    memcpy(p + 21, &previous, 4);
    p[25] = personalised;
    size_t n = 26 + put_str(p + 26, reason);
    tf_serial_send(&link_state, TF_FRAME_DEPLOYMENT, p, (uint16_t) n, RETRANSMIT_MS, RETRIES);
}

static void install(uint32_t version, const uint8_t *body, size_t len) {
    uint32_t shadow = get32(body + 1);
    uint16_t steps = get16(body + 5);
    float lr = get_f32(body + 7);
    if (len != DEPLOY_HEADER + STATE_BYTES) {
        char why[96];
        snprintf(why, sizeof why, "model state of %u B; this firmware's model has %u B", (unsigned) (len - DEPLOY_HEADER),
                 (unsigned) STATE_BYTES);
        dep_target = version;
        report(ST_FAILED, why);
        return;
    }
    if (serving_slot >= 0 && slot_version[serving_slot] == version && dep_target == version
        && (dep_state == ST_SHADOWING || dep_state == ST_SERVING)) {
        report(dep_state, ""); /* sent again: already installed */
        return;
    }
    /* what it served before: a deployed release, or the meta-model it followed (kept as the previous release) */
    int next;
    if (serving_slot >= 0) {
        next = 1 - serving_slot;
    } else {
        next = 0;
        if (meta_version != NONE) {
            memcpy(slot[1], meta, STATE_BYTES);
            slot_version[1] = meta_version;
        }
    }
    int previous_ok = serving_slot >= 0 || meta_version != NONE;
    if (load_state(arena, body + DEPLOY_HEADER) != TF_OK) {
        if (previous_ok) {
            load_state(arena, serving_slot >= 0 ? slot[serving_slot] : meta);
        }
        dep_target = version;
        report(ST_FAILED, "the runtime refused the model state (scales out of range)");
        return;
    }
    memcpy(slot[next], body + DEPLOY_HEADER, STATE_BYTES);
    slot_version[next] = version;
    serving_slot = next;
    has_previous = previous_ok;
    dep_target = version;
    personalised = steps > 0;
    personalise(arena, steps, lr);
    shadow_n = 0;
    shadow_candidate = shadow_previous = 0;
    shadow_left = 0;
    if (has_previous && shadow > 0 && load_state(shadow_arena, slot[1 - serving_slot]) == TF_OK) {
        personalise(shadow_arena, steps, lr);
        shadow_left = shadow;
    }
    char line[64];
    snprintf(line, sizeof line, "serving v%u%s\n", (unsigned) version, personalised ? " (personalised)" : "");
    mcu_log(line);
    report(shadow_left > 0 ? ST_SHADOWING : ST_SERVING, "");
}

static void rollback(void) {
    if (serving_slot >= 0 && has_previous && (dep_state == ST_SHADOWING || dep_state == ST_SERVING)) {
        serving_slot = 1 - serving_slot;
        has_previous = 0;
        shadow_left = 0;
        shadow_n = 0;
        personalised = 0;
        load_state(arena, slot[serving_slot]);
        char line[48];
        snprintf(line, sizeof line, "rolled back to v%u\n", (unsigned) slot_version[serving_slot]);
        mcu_log(line);
        report(ST_ROLLED_BACK, "rolled back by the coordinator");
    } else {
        report(ST_ROLLED_BACK, "nothing of the rollout installed: serving unchanged");
    }
}

/* One live sample from the sensor while a candidate is compared: each model is tested, then trains on it. */
static void shadow_step(void) {
    float x[MODEL_INPUTS];
    float y[MODEL_OUTPUTS];
    x[0] = (float) next_x();
    y[0] = (float) (amplitude * sin(x[0] + phase));
    shadow_candidate += sample_loss(arena, x, y);
    tf_train_step_s16(&model_model, arena, x, y, &stats);
    shadow_previous += sample_loss(shadow_arena, x, y);
    tf_train_step_s16(&model_model, shadow_arena, x, y, &stats);
    shadow_n++;
    if (--shadow_left == 0) {
        report(ST_SERVING, "");
    }
}

/* Reassembles SNAPSHOT and DEPLOY chunks (version u32, index u16, count u16, bytes); returns the length when complete. */
static size_t chunk(const tf_frame *f, uint32_t *assembling, uint32_t *seen, size_t *filled) {
    uint32_t version = get32(f->payload);
    uint16_t index = get16(f->payload + 4);
    uint16_t count = get16(f->payload + 6);
    if (version != *assembling || index == 0) {
        *assembling = version;
        *seen = 0;
        *filled = 0;
    }
    size_t len = (size_t) f->len - 8u;
    if (index != *seen || *filled + len > sizeof assembly) {
        *seen = 0; /* out of order or too long: start over with the next one */
        *filled = 0;
        return 0;
    }
    memcpy(assembly + *filled, f->payload + 8, len);
    *filled += len;
    (*seen)++;
    return *seen == count ? *filled : 0;
}

static int io_write(void *ctx, const uint8_t *data, size_t len) {
    (void) ctx;
    return mcu_write(data, len);
}

static int io_read(void *ctx, uint8_t *byte, uint32_t timeout_ms) {
    (void) ctx;
    return mcu_read(byte, timeout_ms);
}

int mcu_run(const char *id, const char *cpu, double amplitude_, double phase_, uint32_t seed) {
    amplitude = amplitude_;
    phase = phase_;
    rng = seed | 1u;
    for (int k = 0; k < SAMPLES; k++) {
        xs[k][0] = (float) next_x();
        ys[k][0] = (float) (amplitude * sin(xs[k][0] + phase));
    }
    if (tf_init_s16(&model_model, arena, sizeof arena) != TF_OK
        || tf_init_s16(&model_model, shadow_arena, sizeof shadow_arena) != TF_OK
        || tf_init_s16(&model_model, train_arena, sizeof train_arena) != TF_OK) {
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
    n += put_str(hello + n, cpu);
    n += put_str(hello + n, "");
    n += put_str(hello + n, "tinyfed-c 0.1");
    if (tf_serial_send(&link_state, TF_FRAME_HELLO, hello, (uint16_t) n, RETRANSMIT_MS, RETRIES) != 0) {
        return 4;
    }

    uint32_t assembling = NONE;
    uint32_t seen = 0;
    size_t filled = 0;
    int assembling_type = 0;
    tf_frame f;
    for (;;) {
        int r = tf_serial_receive(&link_state, &f, shadow_left > 0 ? 5 : 1000);
        if (r < 0) {
            break; /* the line is gone */
        }
        if (shadow_left > 0) {
            shadow_step();
        }
        if (r == 0) {
            if (shadow_left == 0) {
                mcu_idle();
            }
            continue;
        }
        if ((f.type == TF_FRAME_SNAPSHOT || f.type == TF_FRAME_DEPLOY) && f.len >= 8) {
            if (f.type != assembling_type) {
                assembling = NONE; /* a snapshot and a deploy never interleave: start over */
                assembling_type = f.type;
            }
            uint32_t version = get32(f.payload);
            size_t len = chunk(&f, &assembling, &seen, &filled);
            if (len == 0) {
                continue;
            }
            assembling = NONE;
            if (f.type == TF_FRAME_SNAPSHOT) {
                if (len == STATE_BYTES && load_state(train_arena, assembly) == TF_OK) {
                    memcpy(meta, assembly, STATE_BYTES);
                    meta_version = version;
                    if (serving_slot < 0) {
                        load_state(arena, meta); /* nothing deployed: serve the newest meta-model */
                    }
                }
            } else if (len >= DEPLOY_HEADER && assembly[0] == DEPLOY_INSTALL) {
                install(version, assembly, len);
            } else if (len >= DEPLOY_HEADER && assembly[0] == DEPLOY_ROLLBACK) {
                rollback();
            } else {
                report(ST_FAILED, "unknown deploy action");
            }
        } else if (f.type == TF_FRAME_TASK && f.len >= 12) {
            uint32_t round = get32(f.payload);
            uint32_t version = get32(f.payload + 4);
            uint16_t steps = get16(f.payload + 8);
            const tf_model *m = f.len >= 16 ? with_rate(get_f32(f.payload + 12)) : &model_model;
            if (version != meta_version || load_state(train_arena, meta) != TF_OK) {
                continue; /* no snapshot of that version: nothing to adapt */
            }
            /* a round adapts the meta-model in its own arena: what the device serves is untouched */
            float before = mean_loss(train_arena);
            for (int s = 0; s < steps; s++) {
                tf_train_step_s16(m, train_arena, xs[s % SAMPLES], ys[s % SAMPLES], &stats);
            }
            float after = mean_loss(train_arena);
            put32(outgoing, version);
            put32(outgoing + 4, SAMPLES);
            memcpy(outgoing + 8, &before, 4);
            memcpy(outgoing + 12, &after, 4);
            uint16_t permille = f.len >= 18 ? get16(f.payload + 16) : 0;
            size_t total = compressed(permille);
            uint8_t type = TF_FRAME_UPDATE_S8;
            if (total == 0) { /* the whole adapted state: asked for, or the compressor cannot send this much */
                save_state(train_arena, outgoing + 16);
                total = sizeof outgoing;
                type = TF_FRAME_UPDATE;
            }
            send_chunks(type, round, total);
        }
    }
    char line[160];
    snprintf(line, sizeof line, "%s: bad crc %u, malformed %u, oversize %u, retransmissions %u, duplicates %u\n", id,
             (unsigned) link_state.bad_crc, (unsigned) link_state.malformed, (unsigned) link_state.oversize,
             (unsigned) link_state.retransmissions, (unsigned) link_state.duplicates);
    mcu_log(line);
    return 0;
}
