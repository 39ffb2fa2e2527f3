/*
 * TinyFed's serial firmware for an Arm MPS2 AN386 board (Cortex-M4 with FPU, 25 MHz), as QEMU models it
 * (qemu-system-arm -M mps2-an386): the device loop (mcu_loop.c) on UART0, its log on UART1, time from SysTick.
 * The device's identity and its sensor's sine task come from the build (-DTF_DEVICE_ID="..." -DTF_AMPLITUDE=...
 * -DTF_PHASE=... -DTF_SEED=...), as a real device's would come from its provisioning. No heap: newlib's
 * allocator is never linked (_sbrk below refuses).
 */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

#include "mcu_loop.h"
#include "mcu_platform.h"

#ifndef TF_DEVICE_ID
#define TF_DEVICE_ID "mps2-m4"
#endif
#ifndef TF_AMPLITUDE
#define TF_AMPLITUDE 1.0
#endif
#ifndef TF_PHASE
#define TF_PHASE 0.0
#endif
#ifndef TF_SEED
#define TF_SEED 1u
#endif

#define SYSCLK_HZ 25000000u

/* CMSDK APB UART (ARM DDI 0479): data, state (bit 0 TX full, bit 1 RX full), control (bit 0 TX, bit 1 RX on). */
typedef struct {
    volatile uint32_t data;
    volatile uint32_t state;
    volatile uint32_t ctrl;
    volatile uint32_t intstatus;
    volatile uint32_t bauddiv;
} cmsdk_uart;

#define UART0 ((cmsdk_uart *) 0x40004000u) /* the line to the gateway */
#define UART1 ((cmsdk_uart *) 0x40005000u) /* the log */

/* SysTick (ARMv7-M): a 1 ms tick from the processor clock. */
#define SYST_CSR (*(volatile uint32_t *) 0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *) 0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *) 0xE000E018u)

static volatile uint32_t millis;

void SysTick_Handler(void) {
    millis++;
}

static void uart_init(cmsdk_uart *u) {
    u->bauddiv = SYSCLK_HZ / 115200u;
    u->ctrl = 0x3u;
}

static void uart_put(cmsdk_uart *u, uint8_t b) {
    while (u->state & 0x1u) {
    }
    u->data = b;
}

int mcu_write(const uint8_t *data, size_t len) {
    for (size_t i = 0; i < len; i++) {
        uart_put(UART0, data[i]);
    }
    return 0;
}

int mcu_read(uint8_t *byte, uint32_t timeout_ms) {
    uint32_t start = millis;
    while (!(UART0->state & 0x2u)) {
        if (millis - start >= timeout_ms) {
            return 0;
        }
    }
    *byte = (uint8_t) UART0->data;
    return 1;
}

void mcu_log(const char *text) {
    while (*text) {
        uart_put(UART1, (uint8_t) *text++);
    }
}

uint32_t stack_high_water(void); /* startup_m4.c */

void mcu_idle(void) {
    static uint32_t reported;
    uint32_t used = stack_high_water();
    if (used != reported) {
        reported = used;
        char line[48];
        snprintf(line, sizeof line, "stack high-water %lu B\n", (unsigned long) used);
        mcu_log(line);
    }
}

int main(void) {
    uart_init(UART0);
    uart_init(UART1);
    SYST_RVR = SYSCLK_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 0x7u; /* processor clock, interrupt, enabled */
    mcu_log("TinyFed firmware " TF_DEVICE_ID " on mps2-an386: up\n");
    for (;;) {
        /* a device keeps trying: a gateway that is not there yet, or a line that went quiet, is retried */
        if (mcu_run(TF_DEVICE_ID, "cortex-m4", TF_AMPLITUDE, TF_PHASE, TF_SEED) == 3) {
            mcu_log("the model's arena does not initialise: stopped\n");
            for (;;) {
            }
        }
    }
}

/* No heap on this device: anything that would allocate fails instead. */
void *_sbrk(ptrdiff_t increment) {
    (void) increment;
    errno = ENOMEM;
    return (void *) -1;
}
