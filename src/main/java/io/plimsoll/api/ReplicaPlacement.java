package io.plimsoll.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class ReplicaPlacement {
    @JsonPropertyDescription("Replica index, 0-based.")
    private Integer index;
    @JsonPropertyDescription("Pod that runs this replica.")
    private String pod;
    @JsonPropertyDescription("Pool of the node (replicas of non-gang workloads may land in different pools).")
    private String pool;
    @JsonPropertyDescription("Node the replica is bound to.")
    private String node;
    @JsonPropertyDescription("Device indexes on the node used by this replica.")
    private List<Integer> devices = new ArrayList<>();
    @JsonPropertyDescription("Share of the device used, for fractional placements (e.g. 0.25).")
    private Double fraction;
    @JsonPropertyDescription("MIG profile assigned, for MIG pools (e.g. 1g.10gb).")
    private String migProfile;
    @JsonPropertyDescription("True while the replica is parked: idle, counted as a share of its device, back to the whole device on the next activity.")
    private Boolean parked;
    @JsonPropertyDescription("UID of the pod. Together with the node it ties this record, which only Plimsoll writes, to the pod it created; device accounting trusts this record, never the pod's annotations.")
    private String podUid;
    @JsonPropertyDescription("Dollars per hour of what the replica holds now (a parked replica costs its share).")
    private Double costPerHour;

    public String getPodUid() { return podUid; }
    public void setPodUid(String podUid) { this.podUid = podUid; }
    public Double getCostPerHour() { return costPerHour; }
    public void setCostPerHour(Double costPerHour) { this.costPerHour = costPerHour; }

    public Boolean getParked() { return parked; }
    public void setParked(Boolean parked) { this.parked = parked; }

    public ReplicaPlacement() {}

    public Integer getIndex() { return index; }
    public void setIndex(Integer index) { this.index = index; }
    public String getPod() { return pod; }
    public void setPod(String pod) { this.pod = pod; }
    public String getPool() { return pool; }
    public void setPool(String pool) { this.pool = pool; }
    public String getNode() { return node; }
    public void setNode(String node) { this.node = node; }
    public List<Integer> getDevices() { return devices; }
    public void setDevices(List<Integer> devices) { this.devices = devices; }
    public Double getFraction() { return fraction; }
    public void setFraction(Double fraction) { this.fraction = fraction; }
    public String getMigProfile() { return migProfile; }
    public void setMigProfile(String migProfile) { this.migProfile = migProfile; }
}
