package io.plimsoll.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;

/** One MIG instance profile a MIG pool's nodes advertise, e.g. 1g.10gb exposed as nvidia.com/mig-1g.10gb. */
public class MigProfile {
    @JsonPropertyDescription("Profile name, e.g. 1g.10gb. The node resource is nvidia.com/mig-<name> unless resourceName is set.")
    @Required
    private String name;
    @JsonPropertyDescription("Extended resource the device plugin advertises for this profile. Default nvidia.com/mig-<name>.")
    private String resourceName;
    @JsonPropertyDescription("Device memory of one instance of this profile, in GiB.")
    @Required
    @Min(1)
    @Max(65536)
    private Integer memoryGiB;
    @JsonPropertyDescription("Fraction of one device's compute this profile gives (e.g. 1g of 7g = 0.14). Used for cost and packing; default memoryGiB / device memory.")
    private Double computeFraction;

    public MigProfile() {}
    public MigProfile(String name, int memoryGiB) { this.name = name; this.memoryGiB = memoryGiB; }

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getResourceName() { return resourceName; }
    public void setResourceName(String resourceName) { this.resourceName = resourceName; }
    public Integer getMemoryGiB() { return memoryGiB; }
    public void setMemoryGiB(Integer memoryGiB) { this.memoryGiB = memoryGiB; }
    public Double getComputeFraction() { return computeFraction; }
    public void setComputeFraction(Double computeFraction) { this.computeFraction = computeFraction; }

    public String effectiveResourceName() {
        return resourceName != null && !resourceName.isBlank() ? resourceName : "nvidia.com/mig-" + name;
    }
}
