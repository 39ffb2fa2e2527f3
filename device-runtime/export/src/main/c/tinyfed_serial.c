/* Device side of the serial protocol (docs/serial-protocol.md). Mirrors io.tinyfed.firmware.serial. */
#include "tinyfed_serial.h"

#include <string.h>

uint16_t tf_crc16(const uint8_t *data, size_t len) {
    uint16_t crc = 0xFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t) ((uint16_t) data[i] << 8);
        for (int b = 0; b < 8; b++) {
            crc = (crc & 0x8000u) ? (uint16_t) ((crc << 1) ^ 0x1021u) : (uint16_t) (crc << 1);
        }
    }
    return crc;
}

void tf_serial_init(tf_serial *l, int (*write)(void *, const uint8_t *, size_t), int (*read)(void *, uint8_t *, uint32_t),
                    void *ctx) {
    memset(l, 0, sizeof *l);
    l->write = write;
    l->read = read;
    l->ctx = ctx;
    l->last_accepted = -1;
    l->last_ack = -1;
}

/* COBS-encodes type, seq, payload and the CRC into out (delimiter included); returns the length. */
static size_t encode(uint8_t type, uint8_t seq, const uint8_t *payload, uint16_t len, uint8_t *out) {
    uint8_t raw[TF_SERIAL_MAX_FRAME];
    size_t n = (size_t) len + 4u;
    raw[0] = type;
    raw[1] = seq;
    memcpy(raw + 2, payload, len);
    uint16_t crc = tf_crc16(raw, (size_t) len + 2u);
    raw[n - 2] = (uint8_t) (crc & 0xFFu);
    raw[n - 1] = (uint8_t) (crc >> 8);
    size_t o = 1;
    size_t code_at = 0;
    uint8_t code = 1;
    for (size_t i = 0; i < n; i++) {
        if (raw[i] == 0) {
            out[code_at] = code;
            code_at = o++;
            code = 1;
        } else {
            out[o++] = raw[i];
            if (++code == 0xFF) {
                out[code_at] = code;
                code_at = o++;
                code = 1;
            }
        }
    }
    out[code_at] = code;
    out[o++] = 0;
    return o;
}

static int send_raw(tf_serial *l, uint8_t type, uint8_t seq, const uint8_t *payload, uint16_t len) {
    uint8_t wire[TF_SERIAL_MAX_ENCODED];
    size_t n = encode(type, seq, payload, len, wire);
    return l->write(l->ctx, wire, n);
}

/* Decodes the frame in l->rx; returns 1 with a valid frame in f, 0 if dropped (counted). */
static int decode(tf_serial *l, tf_frame *f) {
    uint8_t raw[TF_SERIAL_MAX_ENCODED];
    size_t o = 0;
    size_t i = 0;
    while (i < l->rx_len) {
        uint8_t code = l->rx[i++];
        if (code == 0 || i + code - 1u > l->rx_len) {
            l->malformed++;
            return 0;
        }
        for (uint8_t k = 1; k < code; k++) {
            raw[o++] = l->rx[i++];
        }
        if (code < 0xFF && i < l->rx_len) {
            raw[o++] = 0;
        }
    }
    if (o < 4) {
        l->malformed++;
        return 0;
    }
    if (o > TF_SERIAL_MAX_FRAME) {
        l->oversize++;
        return 0;
    }
    uint16_t crc = (uint16_t) (raw[o - 2] | (uint16_t) raw[o - 1] << 8);
    if (crc != tf_crc16(raw, o - 2)) {
        l->bad_crc++;
        return 0;
    }
    f->type = raw[0];
    f->seq = raw[1];
    f->len = (uint16_t) (o - 4);
    memcpy(f->payload, raw + 2, f->len);
    return 1;
}

/* Reads bytes until one frame is decoded (1), the timeout passes (0) or the line is gone (< 0).
 * Acknowledgements update last_ack; data frames are acknowledged; duplicates are dropped. */
static int pump(tf_serial *l, tf_frame *f, uint32_t timeout_ms) {
    for (;;) {
        uint8_t b;
        int r = l->read(l->ctx, &b, timeout_ms);
        if (r <= 0) {
            return r;
        }
        if (b != 0) {
            if (l->rx_len < sizeof l->rx) {
                l->rx[l->rx_len++] = b;
            } else {
                l->rx_overflow = 1;
            }
            continue;
        }
        int ok = 0;
        if (l->rx_overflow) {
            l->oversize++;
        } else if (l->rx_len > 0) {
            ok = decode(l, f);
        }
        l->rx_len = 0;
        l->rx_overflow = 0;
        if (!ok) {
            continue;
        }
        if (f->type == TF_FRAME_ACK) {
            if (f->len == 1) {
                l->last_ack = f->payload[0];
            }
            return 1;
        }
        uint8_t ack = f->seq;
        if (send_raw(l, TF_FRAME_ACK, 0, &ack, 1) < 0) {
            return -1;
        }
        if ((int16_t) f->seq == l->last_accepted) {
            l->duplicates++;
            continue;
        }
        l->last_accepted = (int16_t) f->seq;
        return 1;
    }
}

int tf_serial_receive(tf_serial *l, tf_frame *out, uint32_t timeout_ms) {
    if (l->has_pending) {
        *out = l->pending;
        l->has_pending = 0;
        return 1;
    }
    for (;;) {
        int r = pump(l, out, timeout_ms);
        if (r <= 0) {
            return r;
        }
        if (out->type != TF_FRAME_ACK) {
            return 1;
        }
    }
}

int tf_serial_send(tf_serial *l, uint8_t type, const uint8_t *payload, uint16_t len, uint32_t retransmit_ms, int retries) {
    if (len > TF_SERIAL_MAX_PAYLOAD) {
        return -2;
    }
    uint8_t seq = l->next_seq++;
    tf_frame f;
    for (int attempt = 0; attempt <= retries; attempt++) {
        if (attempt > 0) {
            l->retransmissions++;
        }
        l->last_ack = -1;
        if (send_raw(l, type, seq, payload, len) < 0) {
            return -1;
        }
        for (;;) {
            int r = pump(l, &f, retransmit_ms);
            if (r < 0) {
                return -1;
            }
            if (r == 0) {
                break; /* timeout: retransmit */
            }
            if (f.type == TF_FRAME_ACK) {
                if (l->last_ack == (int16_t) seq) {
                    return 0;
                }
            } else if (!l->has_pending) {
                l->pending = f; /* a data frame from the gateway while we wait: keep it for receive */
                l->has_pending = 1;
            }
        }
    }
    l->failed_sends++;
    return -3;
}
