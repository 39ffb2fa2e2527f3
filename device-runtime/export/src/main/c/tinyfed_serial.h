/**
 * @file tinyfed_serial.h
 * @brief The device side of TinyFed's serial protocol (docs/serial-protocol.md): COBS framing with
 *        CRC-16/CCITT-FALSE, sequence numbers, acknowledgements and retransmission. Platform I/O is
 *        two callbacks; the link holds about 1.6 KB (receive buffer, one decoded frame, one pending frame).
 */
#ifndef TINYFED_SERIAL_H
#define TINYFED_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#define TF_SERIAL_MAX_FRAME 512
#define TF_SERIAL_MAX_PAYLOAD (TF_SERIAL_MAX_FRAME - 4)
#define TF_SERIAL_MAX_ENCODED (TF_SERIAL_MAX_FRAME + TF_SERIAL_MAX_FRAME / 254 + 2)

enum {
    TF_FRAME_HELLO = 0x01,
    TF_FRAME_STATE = 0x02,
    TF_FRAME_TASK = 0x03,
    TF_FRAME_SNAPSHOT = 0x04,
    TF_FRAME_UPDATE = 0x05,
    TF_FRAME_METRICS = 0x06,
    TF_FRAME_ACK = 0x07,
    TF_FRAME_DEPLOY = 0x08,
    TF_FRAME_DEPLOYMENT = 0x09,
    TF_FRAME_UPDATE_S8 = 0x0A
};

/** One decoded data frame. */
typedef struct {
    uint8_t type;
    uint8_t seq;
    uint16_t len;
    uint8_t payload[TF_SERIAL_MAX_PAYLOAD];
} tf_frame;

/** Link state; zero-initialise, then set the callbacks. */
typedef struct {
    /** Writes all bytes; returns 0, or negative if the line is gone. */
    int (*write)(void *ctx, const uint8_t *data, size_t len);
    /** Reads one byte within timeout_ms; returns 1, 0 on timeout, negative if the line is gone. */
    int (*read)(void *ctx, uint8_t *byte, uint32_t timeout_ms);
    void *ctx;
    uint8_t rx[TF_SERIAL_MAX_ENCODED];
    uint16_t rx_len;
    uint8_t rx_overflow;
    uint8_t next_seq;
    int16_t last_accepted;   /**< seq of the last accepted data frame; -1 before the first */
    int16_t last_ack;        /**< seq of the last acknowledgement received; -1 when none is pending */
    uint8_t has_pending;     /**< a data frame arrived while a send waited for its ack */
    tf_frame pending;
    uint32_t bad_crc, malformed, oversize, retransmissions, duplicates, failed_sends;
} tf_serial;

uint16_t tf_crc16(const uint8_t *data, size_t len);

/** @brief Initialises the link (counters zero, no frame pending). */
void tf_serial_init(tf_serial *link, int (*write)(void *, const uint8_t *, size_t),
                    int (*read)(void *, uint8_t *, uint32_t), void *ctx);

/**
 * @brief Waits up to @p timeout_ms for the next data frame (acknowledging it; duplicates are
 *        re-acknowledged and skipped). @return 1 with @p out filled, 0 on timeout, negative when the line is gone.
 */
int tf_serial_receive(tf_serial *link, tf_frame *out, uint32_t timeout_ms);

/**
 * @brief Sends one data frame and waits for its acknowledgement, retransmitting after
 *        @p retransmit_ms up to @p retries times. @return 0 when acknowledged, negative otherwise.
 */
int tf_serial_send(tf_serial *link, uint8_t type, const uint8_t *payload, uint16_t len, uint32_t retransmit_ms,
                   int retries);

#endif /* TINYFED_SERIAL_H */
