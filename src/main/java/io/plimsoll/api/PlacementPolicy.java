package io.plimsoll.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** Cluster-wide placement rules per workload phase; the one named "default" applies when a workload names none. */
@Group(AIWorkload.GROUP)
@Version(AIWorkload.VERSION)
@ShortNames("ppol")
@AdditionalPrinterColumn(name = "Valid", jsonPath = ".status.conditions[?(@.type==\"Valid\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class PlacementPolicy extends CustomResource<PlacementPolicySpec, PlacementPolicyStatus> {
    public static final String DEFAULT_NAME = "default";
}
