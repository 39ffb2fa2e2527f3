/*
 * A "virtual MCU" for tests and demos: TinyFed's device loop (mcu_loop.c) on the host, with the serial line on
 * stdin/stdout and its log on stderr. Usage: virtual_mcu DEVICE_ID AMPLITUDE PHASE SEED
 */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mcu_loop.h"
#include "mcu_platform.h"

int mcu_write(const uint8_t *data, size_t len) {
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

int mcu_read(uint8_t *byte, uint32_t timeout_ms) {
    struct pollfd p = {0, POLLIN, 0};
    int r = poll(&p, 1, (int) timeout_ms);
    if (r <= 0) {
        return r < 0 ? -1 : 0;
    }
    ssize_t n = read(0, byte, 1);
    return n == 1 ? 1 : -1;
}

void mcu_log(const char *text) {
    fputs(text, stderr);
}

void mcu_idle(void) {
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: virtual_mcu DEVICE_ID AMPLITUDE PHASE SEED\n");
        return 2;
    }
    return mcu_run(argv[1], "virtual-cortex-m4", atof(argv[2]), atof(argv[3]), (uint32_t) strtoul(argv[4], NULL, 10));
}
