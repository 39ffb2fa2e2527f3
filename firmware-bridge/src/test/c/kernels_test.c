/*
 * The Java kernel tests' golden vectors (device-runtime/core: DenseTest, FixedPointTest examples of
 * docs/fixed-point.md section 2), run against the C runtime. Includes tinyfed.c to reach its static
 * kernels. Prints "ok N" and exits 0, or names the first failing check and exits 1. Run by CKernelGoldenTest.
 */
#include <stdio.h>
#include <string.h>

#include "tinyfed.c"

static int checks;

#define CHECK(cond, what)                                        \
    do {                                                         \
        checks++;                                                \
        if (!(cond)) {                                           \
            printf("FAILED: %s (line %d)\n", what, __LINE__);    \
            return 1;                                            \
        }                                                        \
    } while (0)

/* DenseTest: W Q1.14 (6 x 2), bias Q5.10, x Q4.11, output Q3.12, including the rounding edges. */
static const int16_t W[12] = {16384, -8192, 4096, 32767, 1, 0, 2, 0, -2, 0, 3, 0};
static const int16_t B[6] = {1024, -2048, 0, 0, 0, 0};
static const int16_t X[2] = {2048, -1024};

int main(void) {
    /* FixedPoint examples (section 2) */
    CHECK(tf_rounding_shift(3, 1) == 2, "roundingShift(3, 1) = 2");
    CHECK(tf_rounding_shift(-3, 1) == -1, "roundingShift(-3, 1) = -1");
    CHECK(tf_rounding_shift(-1, 1) == 0, "roundingShift(-1, 1) = 0");
    CHECK(tf_rounding_shift_sat16(40000, 0) == 32767, "saturate high");
    CHECK(tf_rounding_shift_sat16(-40000, 0) == -32768, "saturate low");
    CHECK(tf_shift_left_sat(INT64_MAX / 2 + 1, 1) == INT64_MAX, "shiftLeftSat clamps");
    CHECK(rounding_divide(-5, 2) == -3 && rounding_divide(5, 2) == 3, "roundingDivide half away from zero");
    CHECK(bit_length(0) == 0 && bit_length(32767) == 15 && bit_length(32768) == 16, "bitLength");
    CHECK(step_stochastic(5, 2, 0) == 1 && step_stochastic(5, 2, 0xFFFF) == 2, "stochasticShift bounds");

    /* DenseTest.forwardS16_matchesGoldenVectorIncludingRoundingEdges */
    int16_t y[6];
    int32_t sat = tf_dense_s16(W, 14, B, 10, X, 11, y, 12, 2, 6);
    const int16_t expected[6] = {9216, -11264, 0, 1, 0, 1};
    CHECK(memcmp(y, expected, sizeof y) == 0 && sat == 0, "Dense forward golden vector");

    /* DenseTest.forwardS16_saturatesAndCountsOverflow */
    const int16_t w2[4] = {32767, -32768, 1, 1};
    const int16_t b2[2] = {0, 0};
    const int16_t x2[2] = {32767, -32768};
    int16_t y2[2];
    sat = tf_dense_s16(w2, 14, b2, 14, x2, 11, y2, 12, 2, 2);
    CHECK(y2[0] == 32767 && y2[1] == 0 && sat == 1, "Dense forward saturation");

    /* DenseTest.backwardInputS16_isTransposedProductPreShifted */
    const int16_t dy[2] = {1000, -2000};
    int32_t dx[2];
    int32_t low[2];
    dense_backward_input(W, dy, dx, low, 2, 2);
    CHECK(dx[0] == 125 && dx[1] == -1125, "Dense input gradient golden vector");

    /* DenseTest.updateS16Direct_roundsEveryElementAndCountsSaturation */
    int16_t wu[4] = {100, 32767, 0, 0};
    const int16_t xu[2] = {1 << 11, 1 << 11};
    const int16_t du[1] = {-16384};
    int32_t hits[2] = {0, 0};
    int32_t nz[2];
    dense_update(wu, 4, wu + 2, 4, xu, 11, du, 15, 2, 1, 32768, NULL, hits, nz);
    CHECK(wu[0] == 104 && wu[1] == 32767 && wu[2] == 4 && hits[0] == 1 && hits[1] == 0, "Dense update golden vector");

    /* xorshift32 and the noise stride (section 7) */
    CHECK(xorshift32(1u) == 270369u, "xorshift32(1)");
    CHECK(noise(270369u, 1) == (int32_t) ((270369u + 40503u) & 0xFFFFu), "noise(draw, 1)");

    printf("ok %d\n", checks);
    return 0;
}
