package io.plimsoll.sandbox;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.crud.AttributeType;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedded API's indexed store: each request sees only its bucket, and the answers are Fabric8's own. */
class IndexedObjectStoreTest {

    private static AttributeSet key(String plural, String namespace, String name, String... labels) {
        List<Attribute> a = new ArrayList<>(List.of(new Attribute("plural", plural), new Attribute("version", "v1"),
                new Attribute("name", name), new Attribute("metadata.name", name)));
        if (namespace != null) {
            a.add(new Attribute("namespace", namespace));
            a.add(new Attribute("metadata.namespace", namespace));
        }
        for (int i = 0; i < labels.length; i += 2) a.add(new Attribute("labels:" + labels[i], labels[i + 1]));
        return new AttributeSet(a);
    }

    private static AttributeSet query(Attribute... a) {
        return new AttributeSet(a);
    }

    private static List<String> names(List<Map.Entry<AttributeSet, String>> entries) {
        return entries.stream().map(Map.Entry::getValue).toList();
    }

    @Test
    void aScanSeesOnlyTheBucketOfItsNameOrKindAndNamespaceInStoreOrder() {
        IndexedObjectStore store = new IndexedObjectStore();
        for (int i = 0; i < 2000; i++) store.put(key("configmaps", "ns-" + i % 10, "cm-" + i), "cm-" + i);
        store.put(key("pods", "a", "p1", "app", "x"), "a/p1");
        store.put(key("pods", "b", "p1", "app", "y"), "b/p1");
        store.put(key("pods", "a", "p2"), "a/p2");
        store.put(key("nodes", null, "n1"), "n1");
        store.put(key("configmaps", "a", "p1"), "cm a/p1");

        Attribute pods = new Attribute("plural", "pods");
        assertEquals(List.of("a/p1", "b/p1", "a/p2"), names(store.candidates(query(pods))));
        assertEquals(List.of("a/p1", "a/p2"), names(store.candidates(query(pods, new Attribute("namespace", "a")))));
        // a label selector narrows nothing by itself: Fabric8's matching filters the bucket
        assertEquals(List.of("a/p1", "a/p2"), names(store.candidates(query(pods, new Attribute("namespace", "a"),
                new Attribute("labels:app", "x")))));
        // by name: every object of that name, whatever its kind or namespace
        assertEquals(List.of("a/p1", "b/p1", "cm a/p1"), names(store.candidates(query(pods, new Attribute("name", "p1")))));
        assertEquals(List.of("n1"), names(store.candidates(query(new Attribute("plural", "nodes")))));
        assertEquals(List.of(), names(store.candidates(query(new Attribute("plural", "leases")))));
        // attributes an entry need not hold do not narrow: a WITHOUT name, or no attributes at all
        assertEquals(3, store.candidates(query(pods, new Attribute("name", "p1", AttributeType.WITHOUT))).size());
        assertEquals(2005, store.candidates(query()).size());
        assertEquals(2005, store.candidates(null).size());

        // a replaced object (Fabric8 removes the old key, puts the new) moves to the end, as in Fabric8's own map
        store.remove(key("pods", "a", "p1", "app", "x"));
        store.put(key("pods", "a", "p1", "app", "z"), "a/p1 v2");
        assertEquals(List.of("b/p1", "a/p2", "a/p1 v2"), names(store.candidates(query(pods))));
        assertEquals("a/p1 v2", store.get(key("pods", "a", "p1", "app", "z")));
        assertNull(store.get(key("pods", "a", "p1", "app", "x")));
        assertEquals(List.of(), names(store.candidates(query(pods, new Attribute("namespace", "c")))));

        // a scan of entrySet() sees the bucket only inside narrowedTo, and only on that thread
        assertEquals(2005, store.entrySet().size());
        assertEquals(3, (int) store.narrowedTo(query(pods), () -> store.entrySet().size()));
        assertEquals(2005, store.entrySet().size());
        store.clear();
        assertTrue(store.isEmpty());
        assertEquals(List.of(), names(store.candidates(query(pods))));
    }

    // The same requests to Fabric8's plain CRUD mock server and to the embedded API give the same answers.

    @Test
    void answersAsFabric8sOwnStoreDoes() {
        KubernetesMockServer plain = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(List.of()), false);
        plain.init(InetAddress.getLoopbackAddress(), 0);
        try (KubernetesClient plainClient = plain.createClient(); EmbeddedKubernetes embedded = new EmbeddedKubernetes()) {
            for (String f : EmbeddedKubernetes.CRD_FILES) {
                plainClient.apiextensions().v1().customResourceDefinitions().resource(EmbeddedKubernetes.loadCrd(f)).create();
            }
            List<String> expected = scenario(plainClient);
            List<String> actual = scenario(embedded.client());
            assertEquals(expected, actual);
            assertTrue(actual.size() > 40, "the scenario ran");
        } finally {
            plain.destroy();
        }
    }

    private static String id(HasMetadata o) {
        var m = o.getMetadata();
        return (m.getNamespace() == null ? "" : m.getNamespace() + "/") + m.getName() + "@" + m.getResourceVersion()
                + (m.getGeneration() == null ? "" : "g" + m.getGeneration()) + (m.getDeletionTimestamp() == null ? "" : "(deleting)");
    }

    private static String ids(KubernetesResourceList<? extends HasMetadata> list) {
        return list.getItems().stream().map(IndexedObjectStoreTest::id).toList().toString();
    }

    private static String code(Supplier<?> request) {
        try {
            Object o = request.get();
            return o instanceof HasMetadata h ? id(h) : String.valueOf(o);
        } catch (KubernetesClientException e) {
            return "HTTP " + e.getCode();
        }
    }

    private static Pod pod(String ns, String name, String app) {
        PodBuilder b = new PodBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("i").endContainer().endSpec();
        if (app != null) b.editMetadata().addToLabels("app", app).endMetadata();
        return b.build();
    }

    /** Records what the watch sees until the sentinel pod, created last, arrives. */
    private static final class Recorder implements Watcher<Pod> {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void eventReceived(Action action, Pod pod) {
            events.add(action + " " + pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName());
        }

        @Override
        public void onClose(WatcherException cause) {
        }

        List<String> until(String last) {
            await().atMost(Duration.ofSeconds(20)).until(() -> events.stream().anyMatch(e -> e.endsWith(last)));
            return List.copyOf(events);
        }
    }

    private static List<String> scenario(KubernetesClient c) {
        List<String> t = new ArrayList<>();
        var pods = c.pods();
        for (int i = 0; i < 4; i++) {
            c.nodes().resource(new NodeBuilder().withNewMetadata().withName("n-" + i).addToLabels("pool", i % 2 == 0 ? "a" : "b")
                    .endMetadata().build()).create();
        }
        for (String ns : List.of("ns-a", "ns-b")) {
            for (int i = 0; i < 3; i++) pods.resource(pod(ns, "p-" + i, i == 2 ? null : "app-" + i)).create();
            c.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withNamespace(ns).withName("p-0").endMetadata()
                    .addToData("k", "v").build()).create();
        }
        c.leases().resource(new LeaseBuilder().withNewMetadata().withNamespace("ns-a").withName("leader").endMetadata()
                .withNewSpec().withHolderIdentity("one").endSpec().build()).create();
        GenericKubernetesResource workload = new GenericKubernetesResourceBuilder().withApiVersion("plimsoll.io/v1alpha1")
                .withKind("AIWorkload").withNewMetadata().withNamespace("ns-a").withName("w").endMetadata()
                .addToAdditionalProperties("spec", Map.of("replicas", 1)).build();
        var workloads = c.genericKubernetesResources("plimsoll.io/v1alpha1", "AIWorkload");
        t.add(id(workloads.resource(workload).create()));

        Recorder allPods = new Recorder();
        Recorder podsInA = new Recorder();
        Recorder oneByName = new Recorder();
        Recorder byLabel = new Recorder();
        List<Watch> watches = List.of(pods.inAnyNamespace().watch(allPods), pods.inNamespace("ns-a").watch(podsInA),
                pods.inNamespace("ns-a").withName("p-1").watch(oneByName), pods.inAnyNamespace().withLabel("app", "app-0").watch(byLabel));

        // LIST and GET
        t.add(ids(pods.inAnyNamespace().list()));
        t.add(ids(pods.inNamespace("ns-b").list()));
        t.add(ids(pods.inAnyNamespace().withLabel("app", "app-0").list()));
        t.add(ids(pods.inNamespace("ns-a").withLabel("app").list()));
        t.add(ids(pods.inNamespace("ns-a").withoutLabel("app").list()));
        t.add(ids(pods.inAnyNamespace().withLabelNotIn("app", "app-1").list()));
        t.add(ids(pods.inNamespace("ns-a").withField("metadata.name", "p-2").list()));
        t.add(ids(c.nodes().withLabel("pool", "a").list()));
        t.add(ids(c.nodes().list()));
        t.add(ids(c.configMaps().inAnyNamespace().list()));
        t.add(ids(c.leases().inNamespace("ns-a").list()));
        t.add(ids(workloads.inAnyNamespace().list()));
        t.add(code(() -> pods.inNamespace("ns-b").withName("p-1").get()));
        t.add(code(() -> c.configMaps().inNamespace("ns-a").withName("p-0").get()));
        t.add(code(() -> pods.inNamespace("ns-a").withName("missing").get()));
        t.add(code(() -> c.nodes().withName("n-3").get()));

        // POST: a duplicate is a conflict; PUT: a stale resourceVersion is a conflict
        t.add(code(() -> pods.resource(pod("ns-a", "p-0", null)).create()));
        Pod p0 = pods.inNamespace("ns-a").withName("p-0").get();
        p0.getMetadata().getLabels().put("app", "changed");
        t.add(code(() -> pods.resource(p0).update()));
        t.add(code(() -> pods.resource(p0).update()));
        t.add(ids(pods.inNamespace("ns-a").list()));
        t.add(ids(pods.inAnyNamespace().withLabel("app", "app-0").list()));

        // PATCH: JSON patch, strategic merge (the client's default), and the status subresource
        t.add(code(() -> pods.inNamespace("ns-b").withName("p-2").patch(PatchContext.of(PatchType.JSON),
                "[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"app\":\"app-0\"}}]")));
        t.add(code(() -> pods.inNamespace("ns-b").withName("p-1").patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
                "{\"spec\":{\"nodeName\":\"n-1\"}}")));
        t.add(code(() -> pods.inNamespace("ns-b").withName("p-1").patch(PatchContext.of(PatchType.JSON),
                "[{\"op\":\"add\",\"path\":\"/status\",\"value\":{\"phase\":\"Running\"}}]")));
        t.add(code(() -> pods.inNamespace("ns-a").withName("gone").patch(PatchContext.of(PatchType.JSON), "[]")));
        GenericKubernetesResource w = workloads.inNamespace("ns-a").withName("w").get();
        w.setAdditionalProperty("status", Map.of("phase", "Placed"));
        t.add(code(() -> workloads.resource(w).updateStatus()));
        GenericKubernetesResource w2 = workloads.inNamespace("ns-a").withName("w").get();
        w2.setAdditionalProperty("spec", Map.of("replicas", 2));
        t.add(code(() -> workloads.resource(w2).update()));
        t.add(ids(workloads.inAnyNamespace().list()));
        t.add(code(() -> c.leases().inNamespace("ns-a").withName("leader").edit(l -> {
            l.getSpec().setHolderIdentity("two");
            return l;
        })));

        // DELETE: then GET is 404; with a finalizer the object stays, marked, until the finalizer goes
        t.add(String.valueOf(pods.inNamespace("ns-a").withName("p-2").delete().size()));
        t.add(code(() -> pods.inNamespace("ns-a").withName("p-2").get()));
        t.add(String.valueOf(pods.inNamespace("ns-a").withName("p-2").delete().size()));
        t.add(code(() -> c.configMaps().inNamespace("ns-b").withName("p-0").edit(cm -> {
            cm.getMetadata().setFinalizers(List.of("plimsoll.io/test"));
            return cm;
        })));
        t.add(String.valueOf(c.configMaps().inNamespace("ns-b").withName("p-0").delete().size()));
        t.add(code(() -> c.configMaps().inNamespace("ns-b").withName("p-0").get()).replaceAll("@\\d+", "@_"));
        c.configMaps().inNamespace("ns-b").withName("p-0").edit(cm -> {
            cm.getMetadata().setFinalizers(List.of());
            return cm;
        });
        t.add(code(() -> c.configMaps().inNamespace("ns-b").withName("p-0").get()));
        t.add(ids(c.configMaps().inAnyNamespace().list()));
        pods.resource(pod("ns-b", "p-1", "app-1")).createOr(existing -> existing.patch(PatchContext.of(PatchType.JSON),
                "[{\"op\":\"replace\",\"path\":\"/metadata/labels/app\",\"value\":\"app-0\"}]"));
        t.add(ids(pods.inAnyNamespace().list()));

        // the watches saw their own objects only: the sentinel, created last, closes each transcript
        pods.resource(pod("ns-a", "zz-sentinel", "app-0")).create();
        pods.inNamespace("ns-a").withName("p-1").edit(p -> {
            p.getMetadata().getLabels().put("last", "true");
            return p;
        });
        t.add("all pods " + allPods.until("ns-a/zz-sentinel"));
        t.add("pods in ns-a " + podsInA.until("ns-a/zz-sentinel"));
        t.add("app=app-0 " + byLabel.until("ns-a/zz-sentinel"));
        await().atMost(Duration.ofSeconds(20)).until(() -> oneByName.events.size() >= 2);
        t.add("ns-a/p-1 " + oneByName.events);
        watches.forEach(Watch::close);

        t.add(String.valueOf(c.nodes().withName("n-0").delete().size()));
        t.add(ids(c.nodes().list()));
        return t;
    }

    @Test
    void resourceVersionsIncreaseAndAnUnchangedPutKeepsIt() {
        try (EmbeddedKubernetes k8s = new EmbeddedKubernetes()) {
            KubernetesClient c = k8s.client();
            Pod p = c.pods().resource(pod("ns-a", "p", "app")).create();
            long created = Long.parseLong(p.getMetadata().getResourceVersion());
            Pod updated = c.pods().inNamespace("ns-a").withName("p").edit(x -> {
                x.getMetadata().getLabels().put("more", "yes");
                return x;
            });
            long afterUpdate = Long.parseLong(updated.getMetadata().getResourceVersion());
            assertTrue(afterUpdate > created);
            Pod same = c.pods().resource(updated).update();
            assertEquals(afterUpdate, Long.parseLong(same.getMetadata().getResourceVersion()));
            Pod other = c.pods().resource(pod("ns-b", "p", null)).create();
            assertTrue(Long.parseLong(other.getMetadata().getResourceVersion()) > afterUpdate);
            assertNotEquals(p.getMetadata().getUid(), other.getMetadata().getUid());
            KubernetesClientException conflict = assertThrows(KubernetesClientException.class,
                    () -> c.pods().resource(pod("ns-b", "p", null)).create());
            assertEquals(409, conflict.getCode());
            assertTrue(c.pods().inNamespace("ns-a").withName("p").delete().size() == 1);
            assertNull(c.pods().inNamespace("ns-a").withName("p").get());
            assertEquals(List.of("p"), c.pods().inAnyNamespace().list().getItems().stream().map(x -> x.getMetadata().getName()).toList());
        }
    }
}
