/*
 * TinyFed's serial device loop (mcu_loop.c): runs until the line is gone.
 */
#ifndef MCU_LOOP_H
#define MCU_LOOP_H

#include <stdint.h>

/**
 * Runs the device loop as device @p id (its hello names @p cpu) on samples amplitude * sin(x + phase), x drawn
 * by a xorshift generator seeded with @p seed. Returns 0 when the line closes, 3 if the model's arena does not
 * initialise, 4 if the gateway never acknowledges the hello.
 */
int mcu_run(const char *id, const char *cpu, double amplitude, double phase, uint32_t seed);

#endif
