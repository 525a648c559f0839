package io.plimsoll.api;

import io.plimsoll.engine.*;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!(has(self.count) && has(self.fraction))",
        message = "set either count (whole devices) or fraction (part of one device), not both")
@ValidationRule(value = "!has(self.fraction) || (self.fraction > 0.0 && self.fraction < 1.0)",
        message = "fraction must be greater than 0 and less than 1; for one or more whole devices use count instead")
@ValidationRule(value = "self.type != 'None' || (!has(self.count) && !has(self.fraction) && !has(self.minMemoryGiB))",
        message = "type None asks for no accelerator: remove count, fraction and minMemoryGiB, or set type to GPU or TPU")
@ValidationRule(value = "self.type == 'None' || has(self.count) || has(self.fraction)",
        message = "an accelerator request needs count (whole devices) or fraction (part of one device)")
@ValidationRule(value = "!has(self.topology) || self.type == 'TPU'",
        message = "topology applies only to type TPU: remove it or set type to TPU")
@ValidationRule(value = "!has(self.fraction) || self.type == 'GPU'",
        message = "fraction is only supported for GPUs: use count for TPU chips")
public class AcceleratorRequest {

    @JsonPropertyDescription("Accelerator kind: GPU, TPU or None (CPU only). Default None.")
    @Default("None")
    private AcceleratorType type = AcceleratorType.None;

    @JsonPropertyDescription("Whole devices per replica (GPUs or TPU chips). Mutually exclusive with fraction.")
    @Min(1)
    @Max(64)
    private Integer count;

    @JsonPropertyDescription("Part of one GPU per replica, 0 < fraction < 1 (e.g. 0.25). The replica is pinned to one device of a Fractional or MIG pool.")
    private Double fraction;

    @JsonPropertyDescription("Device memory in GiB each device (or device share) must offer, e.g. 24. Pools whose devices have less are skipped.")
    @Min(0)
    @Max(65536)
    private Double minMemoryGiB;

    @JsonPropertyDescription("Allow-list of accelerator models (e.g. [L4, A100]); empty means any model.")
    private List<String> models = new ArrayList<>();

    @JsonPropertyDescription("TPU slice topology such as 2x2 or 2x2x1; only for type TPU.")
    @Pattern("^[1-9][0-9]*(x[1-9][0-9]*){1,2}$")
    private String topology;

    public AcceleratorType getType() { return type; }
    public void setType(AcceleratorType type) { this.type = type; }
    public Integer getCount() { return count; }
    public void setCount(Integer count) { this.count = count; }
    public Double getFraction() { return fraction; }
    public void setFraction(Double fraction) { this.fraction = fraction; }
    public Double getMinMemoryGiB() { return minMemoryGiB; }
    public void setMinMemoryGiB(Double minMemoryGiB) { this.minMemoryGiB = minMemoryGiB; }
    public List<String> getModels() { return models; }
    public void setModels(List<String> models) { this.models = models; }
    public String getTopology() { return topology; }
    public void setTopology(String topology) { this.topology = topology; }
}
