package io.plimsoll.snapshot;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stopped snapshot (the operator shutting down) stays stopped: a late reader, such as a placement cycle that was
 * already running, gets an error instead of starting the informers again on a client that is closing (the bench's
 * shutdown showed it: an uncaught "Client is closed" from the placement loop).
 */
class StoppedSnapshotTest {
    @AutoClose
    private final OneT4Node cluster = new OneT4Node();

    @Test
    void aLateReaderOfAStoppedSnapshotGetsAnErrorAndStartsNothing() {
        assertEquals(1, cluster.snapshot.state().nodes().size());
        cluster.snapshot.stop();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> cluster.snapshot.state());
        assertTrue(e.getMessage().contains("stopped"), e.getMessage());
        assertTrue(cluster.snapshot.watchHealth().isEmpty(), "no informer was started again");

        // Started on purpose, it runs again.
        cluster.snapshot.start();
        assertEquals(1, cluster.snapshot.state().nodes().size());
    }
}
