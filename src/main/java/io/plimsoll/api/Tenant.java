package io.plimsoll.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A team's share of the cluster (cluster-scoped, admin-owned): the namespaces it owns (by label selector), what it is
 * guaranteed and may take at most, in GPU-equivalents and CPU cores, and its weight when unused capacity is shared.
 */
@Group(AIWorkload.GROUP)
@Version(AIWorkload.VERSION)
@ShortNames("tn")
@AdditionalPrinterColumn(name = "Guaranteed", jsonPath = ".status.guaranteed", type = AdditionalPrinterColumn.Type.NUMBER)
@AdditionalPrinterColumn(name = "Limit", jsonPath = ".spec.limit.gpuEquivalents", type = AdditionalPrinterColumn.Type.NUMBER)
@AdditionalPrinterColumn(name = "Used", jsonPath = ".status.used", type = AdditionalPrinterColumn.Type.NUMBER)
@AdditionalPrinterColumn(name = "Borrowed", jsonPath = ".status.borrowed", type = AdditionalPrinterColumn.Type.NUMBER)
@AdditionalPrinterColumn(name = "Pending", jsonPath = ".status.pending", type = AdditionalPrinterColumn.Type.NUMBER)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Namespaces", jsonPath = ".status.namespaces", type = AdditionalPrinterColumn.Type.INTEGER, priority = 1)
@AdditionalPrinterColumn(name = "Lent", jsonPath = ".status.lent", type = AdditionalPrinterColumn.Type.NUMBER, priority = 1)
public class Tenant extends CustomResource<TenantSpec, TenantStatus> {
}
