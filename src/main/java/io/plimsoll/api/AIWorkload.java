package io.plimsoll.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** An AI workload described by phase and need; Plimsoll picks the pool, node and devices. */
@Group(AIWorkload.GROUP)
@Version(AIWorkload.VERSION)
@ShortNames("aiw")
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".spec.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "State", jsonPath = ".status.state", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Queue", jsonPath = ".status.queue.position", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Pool", jsonPath = ".status.placement.pool", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Devices", jsonPath = ".status.devices", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Cost/h", jsonPath = ".status.placement.costPerHour", type = AdditionalPrinterColumn.Type.NUMBER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Message", jsonPath = ".status.message", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
public class AIWorkload extends CustomResource<AIWorkloadSpec, AIWorkloadStatus> implements Namespaced {
    public static final String GROUP = "plimsoll.io";
    public static final String VERSION = "v1alpha1";
}
