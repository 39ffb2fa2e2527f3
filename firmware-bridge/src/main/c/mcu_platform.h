/*
 * What the device loop needs of the platform it runs on: a byte line to the gateway and a log.
 */
#ifndef MCU_PLATFORM_H
#define MCU_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

/** Writes @p len bytes to the line; 0 when all are written, -1 when the line is gone. */
int mcu_write(const uint8_t *data, size_t len);

/** Reads one byte within @p timeout_ms: 1 when read, 0 on timeout, -1 when the line is gone. */
int mcu_read(uint8_t *byte, uint32_t timeout_ms);

/** Writes a line of text to the device's log (not the line to the gateway). */
void mcu_log(const char *text);

/** Called when the line has been quiet for a while: the platform may report on itself (e.g. its stack use). */
void mcu_idle(void);

#endif
