/**
 * Tests against a real kube-apiserver + etcd (Fabric8 kube-api-test): OpenAPI and CEL validation, RBAC, Pod
 * Security admission and status subresources as a cluster applies them, which the Fabric8 mock server does not.
 *
 * <p>Write one: annotate the class {@link io.plimsoll.realapi.RealApi} (optionally {@code set = "scaling.nodes=true"}),
 * take a {@link io.plimsoll.realapi.RealApiServer} parameter, create nodes with {@link io.plimsoll.realapi.FakeNodes}
 * and a {@link io.plimsoll.sandbox.SimulatedKubelet} on {@code adminClient()}, start the operator as the chart's
 * ServiceAccount with {@code startOperator(identity)}, use fresh namespaces ({@code createNamespace}). Each class
 * gets its own server (about 5 s to start on 2 cores); classes are skipped with a message when none can run.
 */
package io.plimsoll.realapi;
