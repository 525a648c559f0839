package io.plimsoll.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Why one pool could not take a workload. */
public class PoolRejection {
    @JsonPropertyDescription("Pool that was considered.")
    private String pool;
    @JsonPropertyDescription("Why the workload did not fit there.")
    private String reason;

    public PoolRejection() {}
    public PoolRejection(String pool, String reason) { this.pool = pool; this.reason = reason; }

    public String getPool() { return pool; }
    public void setPool(String pool) { this.pool = pool; }
    public String getReason() { return reason; }
    public void setReason(String reason) { this.reason = reason; }
}
