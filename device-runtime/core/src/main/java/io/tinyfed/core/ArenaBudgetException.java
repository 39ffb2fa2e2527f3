package io.tinyfed.core;

/** Thrown by {@code prepare} when the planned arena does not fit the configured budget. */
public final class ArenaBudgetException extends IllegalStateException {
    private final long neededBytes;
    private final long budgetBytes;

    public ArenaBudgetException(ArenaPlan plan, long budgetBytes) {
        super(String.format("arena needs %,d B, budget %,d B: %s", plan.totalBytes(), budgetBytes, plan));
        this.neededBytes = plan.totalBytes();
        this.budgetBytes = budgetBytes;
    }

    public long neededBytes() {
        return neededBytes;
    }

    public long budgetBytes() {
        return budgetBytes;
    }
}
