/*
 * Start-up of TinyFed's Cortex-M4 firmware: the vector table, and a reset handler that copies initialised data
 * from flash, zeroes .bss, turns the FPU on (the build uses hard-float) and calls main. Symbols come from the
 * linker script (mps2_an386.ld).
 */
#include <stdint.h>
#include <string.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern int main(void);
void SysTick_Handler(void);

/** What the free stack is painted with at reset; the deepest word that changed is the stack's high-water mark. */
#define STACK_PAINT 0xA5A5A5A5u

void Reset_Handler(void) {
    memcpy(&_sdata, &_sidata, (size_t) ((uint8_t *) &_edata - (uint8_t *) &_sdata));
    memset(&_sbss, 0, (size_t) ((uint8_t *) &_ebss - (uint8_t *) &_sbss));
    uint32_t *sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = &_ebss; p < sp - 16; p++) { /* leave the handler's own frame alone */
        *p = STACK_PAINT;
    }
    *(volatile uint32_t *) 0xE000ED88u |= 0xFu << 20; /* CPACR: full access to CP10 and CP11 (the FPU) */
    __asm volatile("dsb\n\tisb");
    main();
    for (;;) {
    }
}

/** Bytes of stack used so far: from the top of RAM down to the deepest word that is no longer paint. */
uint32_t stack_high_water(void) {
    const uint32_t *p = &_ebss;
    while (p < &_estack && *p == STACK_PAINT) {
        p++;
    }
    return (uint32_t) ((const uint8_t *) &_estack - (const uint8_t *) p);
}

/* A fault stops the device where a debugger (or QEMU's -d int) can see it. */
void Fault_Handler(void) {
    for (;;) {
    }
}

__attribute__((section(".isr_vector"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void)) (uintptr_t) &_estack, /* initial stack pointer */
    Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
    0, 0, 0, 0,
    Fault_Handler, /* SVCall */
    Fault_Handler, /* DebugMonitor */
    0,
    Fault_Handler, /* PendSV */
    SysTick_Handler,
};
