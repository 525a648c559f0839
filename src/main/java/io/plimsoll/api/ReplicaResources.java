package io.plimsoll.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class ReplicaResources {

    static final String QUANTITY = "^([0-9]+(\\.[0-9]+)?)(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$";

    @JsonPropertyDescription("CPU per replica as a Kubernetes quantity, e.g. 4 or 500m. Default 1.")
    @Pattern(QUANTITY)
    private String cpu = "1";

    @JsonPropertyDescription("Memory per replica as a Kubernetes quantity, e.g. 16Gi. Default 2Gi.")
    @Pattern(QUANTITY)
    private String memory = "2Gi";

    @JsonPropertyDescription("Accelerator per replica; omit for CPU-only work.")
    private AcceleratorRequest accelerator = new AcceleratorRequest();

    public String getCpu() { return cpu; }
    public void setCpu(String cpu) { this.cpu = cpu; }
    public String getMemory() { return memory; }
    public void setMemory(String memory) { this.memory = memory; }
    public AcceleratorRequest getAccelerator() { return accelerator; }
    public void setAccelerator(AcceleratorRequest accelerator) { this.accelerator = accelerator; }
}
