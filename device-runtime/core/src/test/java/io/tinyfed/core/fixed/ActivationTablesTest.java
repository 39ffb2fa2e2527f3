package io.tinyfed.core.fixed;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Exhaustive error of the S16 nonlinearities over every Q4.11 input. The bounds asserted here are
 * the ones documented in docs/fixed-point.md.
 */
class ActivationTablesTest {

    @Test
    void tanh_isWithinDocumentedErrorForEveryInput() {
        double worst = 0;
        for (int x = -32768; x <= 32767; x++) {
            double exact = Math.tanh(x / 2048.0);
            double actual = ActivationTables.tanh(x) / 32768.0;
            worst = Math.max(worst, Math.abs(exact - actual));
        }
        assertThat(worst).isLessThan(4.0e-4);
    }

    @Test
    void sigmoid_isWithinDocumentedErrorForEveryInput() {
        double worst = 0;
        for (int x = -32768; x <= 32767; x++) {
            double exact = 1.0 / (1.0 + Math.exp(-x / 2048.0));
            double actual = ActivationTables.sigmoid(x) / 32768.0;
            worst = Math.max(worst, Math.abs(exact - actual));
        }
        assertThat(worst).isLessThan(3.4e-4);
    }

    @Test
    void exp_isWithinDocumentedErrorForEveryNonPositiveInput() {
        double worst = 0;
        for (int x = -32768; x <= 0; x++) {
            double exact = Math.exp(x / 2048.0);
            double actual = ActivationTables.exp(x) / 32768.0;
            worst = Math.max(worst, Math.abs(exact - actual));
        }
        assertThat(worst).isLessThan(5.0e-4);
        assertThat(ActivationTables.exp(0)).isEqualTo(32768);
        assertThat(ActivationTables.exp(1000)).as("positive inputs clamp to 0").isEqualTo(32768);
    }

    @Test
    void tables_areMonotoneAndSaturateAtTheEnds() {
        for (int x = -32768; x < 32767; x++) {
            assertThat(ActivationTables.tanh(x + 1)).isGreaterThanOrEqualTo(ActivationTables.tanh(x));
            assertThat(ActivationTables.sigmoid(x + 1)).isGreaterThanOrEqualTo(ActivationTables.sigmoid(x));
        }
        assertThat(ActivationTables.tanh(32767)).isEqualTo((short) 32767);
        assertThat(ActivationTables.tanh(-32768)).isEqualTo((short) -32768);
        assertThat(ActivationTables.tanh(0)).isEqualTo((short) 0);
        assertThat(ActivationTables.sigmoid(0)).isEqualTo((short) 16384);
    }
}
