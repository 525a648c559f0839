package io.plimsoll.events;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.plimsoll.sandbox.EmbeddedKubernetes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A burst of warnings of one reason on one object (a waiting workload's reasons change with every cluster change)
 * costs one event per interval, and the burst's last message still arrives. Other reasons, objects and normal events
 * are not held back.
 */
class EventRecorderTest {
    private static final String NS = "team-a";
    private EmbeddedKubernetes k8s;
    private KubernetesClient client;

    @BeforeEach
    void start() {
        k8s = new EmbeddedKubernetes();
        client = k8s.client();
    }

    @AfterEach
    void stop() {
        k8s.close();
    }

    private static ConfigMap object(String name) {
        return new ConfigMapBuilder().withNewMetadata().withNamespace(NS).withName(name).withUid(name + "-uid").endMetadata().build();
    }

    private List<String> messages(String object, String reason) {
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> object.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason()))
                .sorted(Comparator.comparing(Event::getMetadata, Comparator.comparing(m -> Long.parseLong(m.getResourceVersion()))))
                .map(Event::getMessage).toList();
    }

    @Test
    void alikeWarningsAreCoalescedAndTheLastWordArrives() {
        EventRecorder events = new EventRecorder(client, 1_500);
        ConfigMap w = object("w");
        for (int free = 9; free >= 1; free--) events.warning(w, "Unschedulable", "at most " + free + " cores free");
        events.warning(object("other"), "Unschedulable", "at most 5 cores free"); // another object: its own interval
        events.warning(w, "PolicyNotFound", "no policy p");                          // another reason: at once
        events.normal(w, "Placed", "placed 1");
        events.normal(w, "Placed", "placed 2");                                      // normal events: never held

        await().atMost(Duration.ofSeconds(5)).until(() -> messages("w", "Placed").size() == 2);
        assertEquals(List.of("at most 9 cores free"), messages("w", "Unschedulable"), "the first at once, the rest held");
        assertEquals(List.of("at most 5 cores free"), messages("other", "Unschedulable"));
        assertEquals(List.of("no policy p"), messages("w", "PolicyNotFound"));

        await().atMost(Duration.ofSeconds(5)).until(() -> messages("w", "Unschedulable").size() == 2);
        assertEquals(List.of("at most 9 cores free", "at most 1 cores free"), messages("w", "Unschedulable"),
                "the burst's last message when the interval ends, nothing between");
    }

    /**
     * With many objects waiting, their alike warnings together keep to a rate: the interval grows with their number
     * (never below the base), and what is remembered of objects whose interval is over is dropped now and then.
     */
    @Test
    void theIntervalGrowsWithTheObjectsThatHaveAlikeWarnings() {
        EventRecorder events = new EventRecorder(client, 1_000, 10);
        assertEquals(1_000, events.similarIntervalMs());
        for (int i = 0; i < 50; i++) events.warning(object("w" + i), "Unschedulable", "at most 3 cores free");
        assertEquals(5_000, events.similarIntervalMs(), "50 objects at 10 a second: each every 5 s");
        events.warning(object("w0"), "Unschedulable", "at most 2 cores free"); // held for the end of its interval
        for (int i = 1; i < 50; i++) events.forget(object("w" + i));
        assertEquals(1_000, events.similarIntervalMs(), "never shorter than the base");
        await().atMost(Duration.ofSeconds(10)).until(() -> messages("w0", "Unschedulable").size() == 2);
        assertEquals(List.of("at most 3 cores free", "at most 2 cores free"), messages("w0", "Unschedulable"), "the last word arrives");

        EventRecorder quick = new EventRecorder(client, 1, 1_000_000); // an interval of 1 ms
        int[] sent = {0};
        await().atMost(Duration.ofSeconds(10)).until(() -> { // batches 100 ms apart: the earlier ones' interval is over
            for (int k = 0; k < 40; k++) quick.warning(object("q" + sent[0]++), "Unschedulable", "at most 3 cores free");
            return quick.similarEntries() < sent[0];
        });
    }
}
