package io.tinyfed.bench;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One measured figure in the metrics JSON shape shared by every {@code --json} in TinyFed:
 * {@code {"name", "model", "format", "value", "unit"}}, plus an optional {@code config} naming a
 * variant (e.g. an S16 rounding remedy). Null fields are omitted.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Metric(String name, String model, String format, String config, double value, String unit) {
    public static Metric of(String name, String model, String format, double value, String unit) {
        return new Metric(name, model, format, null, value, unit);
    }
}
