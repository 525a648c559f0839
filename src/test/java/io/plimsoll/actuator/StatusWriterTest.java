package io.plimsoll.actuator;

import io.plimsoll.api.AIWorkloadStatus;
import io.plimsoll.api.Placement;
import io.plimsoll.api.ReplicaPlacement;
import io.plimsoll.sandbox.EmbeddedKubernetes;
import org.junit.jupiter.api.Test;

/** The status is written whole: what is no longer set goes, arrays are replaced (also on the embedded API). */
class StatusWriterTest {
    @Test
    void aStatusWriteReplacesWhatWasThere() {
        try (EmbeddedKubernetes k = new EmbeddedKubernetes()) {
            var c = k.client();
            var w = io.plimsoll.reconciler.Fixtures.workload("w", io.plimsoll.engine.WorkloadPhase.Inference, 1, io.plimsoll.engine.AcceleratorType.None, null, null, null);
            w = c.resource(w).create();
            var s = new AIWorkloadStatus();
            s.setPlacement(new Placement());
            var a = new ReplicaPlacement(); a.setPod("a"); a.setFraction(0.5);
            var b = new ReplicaPlacement(); b.setPod("b");
            s.getPlacement().getReplicas().add(a); s.getPlacement().getReplicas().add(b);
            s.setMessage("one");
            var sw = new StatusWriter(c);
            org.junit.jupiter.api.Assertions.assertTrue(StatusWriter.body(s).contains("\"scaledToZeroAt\":null"), "unset fields are sent as null");
            sw.write(w, s);
            org.junit.jupiter.api.Assertions.assertEquals(2, c.resource(w).get().getStatus().getPlacement().getReplicas().size());
            s.getPlacement().getReplicas().remove(0);
            s.setMessage(null);
            sw.write(w, s);
            var after = c.resource(w).get().getStatus();
            org.junit.jupiter.api.Assertions.assertEquals(java.util.List.of("b"), after.getPlacement().getReplicas().stream().map(ReplicaPlacement::getPod).toList());
            org.junit.jupiter.api.Assertions.assertNull(after.getMessage());
        }
    }
}
