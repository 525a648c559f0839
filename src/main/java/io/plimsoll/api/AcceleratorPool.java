package io.plimsoll.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A set of nodes (selected by label) carrying the same accelerator, with a price per node-hour. */
@Group(AIWorkload.GROUP)
@Version(AIWorkload.VERSION)
@ShortNames("apool")
@AdditionalPrinterColumn(name = "Type", jsonPath = ".spec.accelerator.type", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Model", jsonPath = ".spec.accelerator.model", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Sharing", jsonPath = ".spec.accelerator.sharing", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Nodes", jsonPath = ".status.nodeCount", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Devices", jsonPath = ".status.devicesTotal", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Allocated", jsonPath = ".status.devicesAllocated", type = AdditionalPrinterColumn.Type.NUMBER)
@AdditionalPrinterColumn(name = "Util%", jsonPath = ".status.utilizationPercent", type = AdditionalPrinterColumn.Type.NUMBER)
@AdditionalPrinterColumn(name = "Cost/h", jsonPath = ".status.costPerHour", type = AdditionalPrinterColumn.Type.NUMBER)
@AdditionalPrinterColumn(name = "Idle/h", jsonPath = ".status.idleCostPerHour", type = AdditionalPrinterColumn.Type.NUMBER)
public class AcceleratorPool extends CustomResource<AcceleratorPoolSpec, AcceleratorPoolStatus> {
}
